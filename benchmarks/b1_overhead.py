"""B1: cost of `pytest --readiness` over N trivial items vs `pytest --html` over N plain tests.

Usage: python benchmarks/b1_overhead.py [N] [repeats]. Prints the median of each and the ratio.
Measured as CPU seconds of the pytest process: for trivial tests that is the wall time, and it
is far steadier than wall time on a shared 2-core machine.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CATEGORIES = ("gate", "db", "infra", "feature", "docs")
# As on a user's machine: bytecode is cached. With PYTHONDONTWRITEBYTECODE (set on our CI
# machines) every run recompiles every module and test file, which adds the same second to
# both sides and hides the difference being measured.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]


def make_project(root: Path, n: int, marked: bool) -> None:
    folder = root / ("checks" if marked else "tests")
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    per_file = 100
    for f in range(n // per_file):
        lines = ["import pytest\n"]
        for i in range(per_file):
            k = f * per_file + i
            if marked:
                lines.append(f'@pytest.mark.{CATEGORIES[k % 5]}("Item {k}")')
            lines.append(f"def test_{k}():\n    assert True\n")
        (folder / f"test_{f:03d}.py").write_text("\n".join(lines))


def timed(args: list[str], cwd: Path) -> float:
    """CPU seconds (user + system) of the pytest process: steadier than wall time on a
    shared machine, and for a run of trivial tests nearly all of the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0 or " passed" not in done.stdout:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}")
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        readiness, plain = Path(tmp, "readiness"), Path(tmp, "plain")
        make_project(readiness, n, marked=True)
        make_project(plain, n, marked=False)
        pytest = [sys.executable, "-m", "pytest", *QUIET]
        ours, html = [], []
        timed([*pytest, "--readiness"], readiness)  # warm-up: writes the bytecode caches
        timed([*pytest, "--html=report.html", "--self-contained-html"], plain)
        for _ in range(repeats):  # interleaved, so load from elsewhere hits both alike
            ours.append(timed([*pytest, "--readiness"], readiness))
            html.append(timed([*pytest, "--html=report.html", "--self-contained-html"], plain))
    a, b = statistics.median(ours), statistics.median(html)
    print(f"B1 items={n} repeats={repeats}")
    print(f"  pytest --readiness : median {a:.2f} s CPU  (runs: {_runs(ours)})")
    print(f"  pytest --html      : median {b:.2f} s CPU  (runs: {_runs(html)})")
    print(f"  ratio readiness/html: {a / b:.2f}x median, {min(ours) / min(html):.2f}x best")
    print("  (target <= 1.10x; on a shared VM the best run is the least disturbed one)")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


if __name__ == "__main__":
    main()
