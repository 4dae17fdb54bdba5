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


def make_project(root: Path, n: int, *, marked: bool, folder: str, failing_every: int = 0) -> None:
    """N trivial items in files of 100; with `failing_every`, 1 item in `failing_every` prints
    a line and fails (so each side has a traceback and captured output to report)."""
    (root / folder).mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    per_file = 100
    for f in range(n // per_file):
        lines = ["import pytest\n"]
        for i in range(per_file):
            k = f * per_file + i
            if marked:
                lines.append(f'@pytest.mark.{CATEGORIES[k % 5]}("Item {k}")')
            if failing_every and k % failing_every == 0:
                lines.append(f"def test_{k}():\n    print('item {k}')\n    assert {k} == 0\n")
            else:
                lines.append(f"def test_{k}():\n    assert True\n")
        (root / folder / f"test_{f:03d}.py").write_text("\n".join(lines))


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
    """Two baselines, both `pytest --html`: the very same marked files (what the plugin adds)
    and unmarked copies (what the category markers themselves cost pytest on top)."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    html_args = ["--html=report.html", "--self-contained-html"]
    runs: dict[str, list[float]] = {"readiness": [], "same": [], "unmarked": []}
    with tempfile.TemporaryDirectory() as tmp:
        projects = {name: Path(tmp, name) for name in runs}
        make_project(projects["readiness"], n, marked=True, folder="checks")
        make_project(projects["same"], n, marked=True, folder="tests")
        make_project(projects["unmarked"], n, marked=False, folder="tests")
        pytest = [sys.executable, "-m", "pytest", *QUIET]
        commands = {
            "readiness": [*pytest, "--readiness"],
            "same": [*pytest, *html_args],
            "unmarked": [*pytest, *html_args],
        }
        for name, command in commands.items():  # warm-up: writes the bytecode caches
            timed(command, projects[name])
        for _ in range(repeats):  # interleaved, so load from elsewhere hits all alike
            for name, command in commands.items():
                runs[name].append(timed(command, projects[name]))
    ours = statistics.median(runs["readiness"])
    print(f"B1 items={n} repeats={repeats} (CPU seconds of the pytest process)")
    label = "pytest --readiness"
    print(f"  {label:38s} : median {ours:.2f} s  ({_runs(runs['readiness'])})")
    for name, label in (("same", "the same marked files"), ("unmarked", "unmarked copies")):
        base = statistics.median(runs[name])
        best = min(runs["readiness"]) / min(runs[name])
        print(f"  pytest --html, {label:23s} : median {base:.2f} s  ({_runs(runs[name])})")
        print(f"    ratio readiness / this: {ours / base:.2f}x median, {best:.2f}x best")
    print("  (target <= 1.05x; on a shared VM the best run is the least disturbed one)")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


if __name__ == "__main__":
    main()
