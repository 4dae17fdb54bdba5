"""B2: 64 checks that each wait 0.5 s on a loopback HTTP server, in 4 phases, with ``-n 8``.

Runs ``pytest --readiness -n 8`` on a generated checklist (16 items each of gate, db,
infra, feature; every item GETs a loopback endpoint that answers after 0.5 s through the
``http`` fixture) and reads the JSON report. Prints the wall time against the ideal (sum
over phases of ceil(items/8) x 0.5 s), the span from the first item's start to the last
item's end (the wall time without pytest and worker start-up), and the proof from the
report's timestamps that no item of a phase started before the previous phase's last
item finished. Usage: ``python benchmarks/b2_phases.py [workers]``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("gate", "db", "infra", "feature")
PER_PHASE, WAIT_S = 16, 0.5
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]

CHECK = """
@pytest.mark.{category}("{category} item {n}")
def test_{category}_{n}(http):
    assert http.get("/slow").status_code == 200
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


class WaitServer(ThreadingHTTPServer):
    """socketserver's listen backlog is 5: eight workers connecting at once overflow it, and
    the kernel drops a SYN that the client resends a whole second later (TcpExtListenOverflows
    counts them), which timed the server's queue, not the run. Real servers listen with
    hundreds (nginx 511)."""

    request_queue_size = 128


def make_project(root: Path, port: int) -> None:
    (root / "pyproject.toml").write_text(
        f'[tool.readiness.envs.local]\nbase_url = "http://127.0.0.1:{port}"\ntimeout = 30\n'
    )
    checks = root / "checks"
    checks.mkdir()
    # Interleaved, so phase order cannot come from file order.
    source = "import pytest\n" + "".join(
        CHECK.format(category=category, n=n)
        for n, category in itertools.product(range(PER_PHASE), reversed(CATEGORIES))
    )
    (checks / "test_b2.py").write_text(source)


PLAIN = """
import urllib.request

def test_plain_{n}():
    with urllib.request.urlopen("http://127.0.0.1:{port}/slow") as response:
        assert response.status == 200
"""


def make_plain_project(root: Path, port: int) -> None:
    """The same 64 waits as plain tests, for `pytest -n N` without readiness (no phases)."""
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    total = PER_PHASE * len(CATEGORIES)
    source = "".join(PLAIN.format(n=n, port=port) for n in range(total))
    (root / "test_plain.py").write_text(source)


def moment(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def phase_bound(items: list[dict[str, Any]], phase: int, workers: int) -> float:
    """The shortest a phase could take on ``workers`` given its items' measured durations."""
    durations = [i["duration_s"] for i in items if i["phase"] == phase]
    return max(max(durations), sum(durations) / workers)


def report(items: list[dict[str, Any]], workers: int, wall: float) -> None:
    ideal = len(CATEGORIES) * math.ceil(PER_PHASE / workers) * WAIT_S
    span = max(moment(i["finished_at"]) for i in items) - min(
        moment(i["started_at"]) for i in items
    )
    print(f"B2: {len(items)} items, {len(CATEGORIES)} phases, -n {workers}, {WAIT_S} s each")
    print(f"  ideal                          {ideal:6.2f} s")
    print(f"  wall time (incl. start-up)     {wall:6.2f} s  = {wall / ideal:.2f}x ideal")
    print(f"  first start -> last finish     {span:6.2f} s  = {span / ideal:.2f}x ideal")
    bound = sum(phase_bound(items, phase, workers) for phase in range(1, len(CATEGORIES) + 1))
    print(f"  bound from measured durations  {bound:6.2f} s  (span = {span / bound:.2f}x bound)")
    mean = sum(i["duration_s"] for i in items) / len(items)
    print(f"  mean item duration             {mean:6.2f} s  (the server waits {WAIT_S} s)")
    for phase in range(1, len(CATEGORIES) + 1):
        durations = [i["duration_s"] for i in items if i["phase"] == phase]
        print(
            f"    phase {phase}: mean {sum(durations) / len(durations):.2f} s, "
            f"max {max(durations):.2f} s, bound {phase_bound(items, phase, workers):.2f} s"
        )
    ordered = True
    for earlier, later in itertools.pairwise(range(1, len(CATEGORIES) + 1)):
        last_end = max(moment(i["finished_at"]) for i in items if i["phase"] == earlier)
        first_start = min(moment(i["started_at"]) for i in items if i["phase"] == later)
        ordered = ordered and first_start >= last_end
        print(
            f"  phase {earlier} last finish -> phase {later} first start: "
            f"{(first_start - last_end) * 1000:+.0f} ms"
        )
    print(f"  barrier held (no item started before the previous phase ended): {ordered}")


def timed_run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of one run and its output."""
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - began, done.stdout


def main() -> int:
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    server = WaitServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="b2-") as tmp:
        project = Path(tmp)
        make_project(project, server.server_port)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "pytest", "--readiness", *QUIET]
        command += ["-n", str(workers)]
        began = time.perf_counter()
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            return 1
        data = json.loads((project / "reports" / "readiness-local.json").read_text())
        # Reference: what pytest-xdist alone costs for the same waits (start-up included).
        plain = project / "plain"
        make_plain_project(plain, server.server_port)
        began = time.perf_counter()
        reference = subprocess.run(
            [sys.executable, "-m", "pytest", *QUIET, "-n", str(workers)],
            cwd=plain,
            capture_output=True,
            text=True,
        )
        plain_wall = time.perf_counter() - began
        # Without workers, then `-n auto`, which learns from that run's report.
        alone_wall, _ = timed_run([*command[:-2], "-n", "0"], project, env)
        auto_wall, auto_out = timed_run([*command[:-2], "-n", "auto"], project, env)
        server.shutdown()
        if reference.returncode != 0:
            print(reference.stdout[-3000:], sep="\n")
            return 1
    report(data["items"], workers, wall)
    chose = next((x for x in auto_out.splitlines() if "-n auto:" in x), "?")
    print(
        f"  -n 0 (no workers)              {alone_wall:6.2f} s; "
        f"-n {workers} is {alone_wall / wall:.2f}x faster"
    )
    print(
        f"  -n auto                        {auto_wall:6.2f} s; "
        f"{alone_wall / auto_wall:.2f}x faster than -n 0"
    )
    print(f"    {chose}")
    ideal = len(CATEGORIES) * math.ceil(PER_PHASE / workers) * WAIT_S
    print(
        f"  reference: plain `pytest -n {workers}` of the same waits (no readiness, no phases): "
        f"{plain_wall:.2f} s = {plain_wall / ideal:.2f}x ideal; readiness adds "
        f"{wall - plain_wall:+.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
