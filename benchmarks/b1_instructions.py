"""B1 counted in instructions: `pytest --readiness` vs `pytest --html` under callgrind.

Usage: python benchmarks/b1_instructions.py [N] [FAILING_EVERY] (1 item in FAILING_EVERY prints
a line and fails; 0, the default: none). Needs valgrind (Debian package `valgrind`).
CPU seconds on a shared VM move by a few percent from run to run, more than the overhead
being chased; the instructions a run executes barely move when hash randomisation and
address-space randomisation are off. Each command runs once to write its bytecode caches,
then once under callgrind (about a minute each; both pairs run side by side). Instructions
are not time (cache misses, page faults and the kernel are not in them), so B1's CPU
seconds stay the measure of the target; this tells which change moved them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from b1_overhead import QUIET, make_project

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONHASHSEED"] = "0"


def instructions(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    """Instructions of one run (after a warm-up run), from callgrind's summary line."""
    env = ENV if env is None else env
    subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
    no_aslr = ["setarch", os.uname().machine, "-R"]
    callgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cwd / 'callgrind.out'}"]
    counted = subprocess.run(
        [*no_aslr, *callgrind, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", counted.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count:\n{counted.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    failing_every = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    pytest = [sys.executable, "-m", "pytest", *QUIET]
    with tempfile.TemporaryDirectory() as tmp:
        ours, base = Path(tmp, "readiness"), Path(tmp, "html")
        make_project(ours, n, marked=True, folder="checks", failing_every=failing_every)
        make_project(base, n, marked=True, folder="tests", failing_every=failing_every)
        html = ["--html=report.html", "--self-contained-html"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = pool.map(
                lambda job: instructions(*job),
                [([*pytest, "--readiness"], ours), ([*pytest, *html], base)],
            )
            readiness, baseline = counts
    every = "every item" if failing_every == 1 else f"1 item in {failing_every}"
    failing = f", {every} failing with output" if failing_every else ""
    print(f"B1 items={n}{failing} (instructions of one run, under callgrind)")
    print(f"  pytest --readiness : {readiness / 1e9:.3f} G")
    print(f"  pytest --html      : {baseline / 1e9:.3f} G  (the same marked files)")
    print(f"  ratio              : {readiness / baseline:.3f}x")


if __name__ == "__main__":
    main()
