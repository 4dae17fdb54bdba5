"""B2: 64 items that each wait 0.5 s on a loopback HTTP server, in 4 phases, under ``-n 8``.

Prints the wall time against the ideal (sum over phases of ceil(items/8) x 0.5 s), the
span from the first item's start to the last item's end (wall time minus worker start-up),
and the proof that no item of a phase started before the previous phase's last item
finished. Run from the repository root: ``python benchmarks/b2_phases.py``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAND_IN_PLUGIN_DIR = ROOT / "tests" / "xdist_phases"
ITEMS, PHASES, WORKERS, WAIT_S = 64, 4, 8, 0.5

PROJECT = """
import json, os, time, urllib.request
import pytest

def wait_on_server(phase):
    start = time.time()
    with urllib.request.urlopen(os.environ["B2_URL"], timeout=10) as response:
        assert response.status == 200
    line = {{"phase": phase, "start": start, "end": time.time()}}
    with open(os.environ["B2_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\\n")
{tests}
"""

TEST = """
@pytest.mark.phase({phase})
@pytest.mark.parametrize("n", range({count}))
def test_phase_{phase}(n):
    wait_on_server({phase})
"""


class SlowHandler(BaseHTTPRequestHandler):
    """Answers every GET with 200 after WAIT_S seconds."""

    def do_GET(self) -> None:
        time.sleep(WAIT_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the benchmark's output to its numbers."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=WORKERS)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    per_phase = [ITEMS // PHASES] * PHASES
    with tempfile.TemporaryDirectory(prefix="b2-") as workdir:
        project = Path(workdir)
        tests = "".join(TEST.format(phase=p + 1, count=c) for p, c in enumerate(per_phase))
        (project / "test_b2.py").write_text(PROJECT.format(tests=tests), encoding="utf-8")
        log = project / "b2.jsonl"
        env = dict(
            os.environ,
            B2_URL=f"http://127.0.0.1:{server.server_port}/",
            B2_LOG=str(log),
            PYTHONPATH=os.pathsep.join([str(ROOT), str(STAND_IN_PLUGIN_DIR)]),
        )
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "phase_marker_plugin", "--readiness", "-n", str(options.workers),
        ]  # fmt: skip
        began = time.perf_counter()
        run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - began
        server.shutdown()
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-2000:], sep="\n")
            return 1
        entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    report(entries, per_phase, options.workers, wall)
    return 0


def report(
    entries: list[dict[str, float]], per_phase: list[int], workers: int, wall: float
) -> None:
    ideal = sum(math.ceil(count / workers) * WAIT_S for count in per_phase)
    by_phase: dict[int, list[dict[str, float]]] = defaultdict(list)
    for entry in entries:
        by_phase[int(entry["phase"])].append(entry)
    span = max(e["end"] for e in entries) - min(e["start"] for e in entries)
    print(f"B2: {len(entries)} items, {len(per_phase)} phases, -n {workers}, {WAIT_S} s each")
    print(f"ideal            {ideal:6.2f} s")
    print(f"wall time        {wall:6.2f} s  ({wall / ideal:.2f} x ideal, incl. worker start-up)")
    print(f"first start to last end {span:6.2f} s  ({span / ideal:.2f} x ideal)")
    ordered = True
    for earlier, later in itertools.pairwise(sorted(by_phase)):
        last_end = max(e["end"] for e in by_phase[earlier])
        first_start = min(e["start"] for e in by_phase[later])
        gap = first_start - last_end
        ordered = ordered and gap >= 0
        print(f"phase {earlier} last end -> phase {later} first start: {gap * 1000:+.1f} ms")
    print("barrier held: " + ("yes" if ordered else "NO"))


if __name__ == "__main__":
    sys.exit(main())
