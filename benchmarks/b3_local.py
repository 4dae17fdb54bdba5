"""B3: the shipped checklist on the `local` target, wall time with `-n 0` vs `-n N`.

Runs ``pytest --readiness`` from the repository root (the root conftest builds the local
reference target, so each run includes that set-up) once per mode per repeat, interleaved
so load from elsewhere hits both alike, each writing its report to a temporary folder.
Prints the wall times, each run's verdict and item count, and whether the modes gave
the same items, outcomes and reasons (they must: only timings may differ). A third mode,
``-n auto``, chooses its workers from the last run's report: each mode keeps its report
folder across repeats, as a user's checkout does, and ``-n auto`` gets one warm-up run.
Usage: ``python benchmarks/b3_local.py [workers] [repeats]`` (defaults 4 and 1).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]


def run(workers: int | str, report_dir: Path) -> tuple[float, dict[str, Any]]:
    """One `pytest --readiness -n workers` run: wall time and the JSON report."""
    args = [sys.executable, "-m", "pytest", "--readiness", *QUIET, "-n", str(workers)]
    args.append(f"--readiness-report={report_dir}")
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    reports = sorted(report_dir.glob("readiness-*.json"))
    if not reports:
        raise SystemExit(f"{' '.join(args)} wrote no report ({done.returncode}):\n{done.stdout}")
    report: dict[str, Any] = json.loads(reports[0].read_text())
    report["exit_status"] = done.returncode
    report["auto"] = next((x for x in done.stdout.splitlines() if "-n auto:" in x), "")
    return elapsed, report


def outcomes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {item["id"]: (item["outcome"], item["reason"]) for item in report["items"]}


def main() -> None:
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    modes: tuple[int | str, ...] = (0, workers, "auto")
    times: dict[int | str, list[float]] = {mode: [] for mode in modes}
    last: dict[int | str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        run("auto", Path(tmp, "nauto"))  # -n auto learns from the last run
        for _ in range(repeats):
            for mode in modes:
                elapsed, report = run(mode, Path(tmp, f"n{mode}"))
                times[mode].append(elapsed)
                last[mode] = report
    print(f"B3 shipped checklist on local, repeats={repeats}")
    for mode, runs in times.items():
        report = last[mode]
        spans = ", ".join(f"{x:.1f}" for x in runs)
        print(
            f"  -n {mode}: median {statistics.median(runs):.1f} s (runs: {spans}); "
            f"verdict {report['verdict']}, exit {report['exit_status']}, "
            f"{len(report['items'])} items, {report['duration_s']:.1f} s in the report"
        )
    print(f"  -n auto chose: {last['auto']['auto']}")
    for mode in (workers, "auto"):
        ratio = statistics.median(times[mode]) / statistics.median(times[0])
        print(f"  -n {mode} / -n 0: {ratio:.2f}x the time")
        same = outcomes(last[0]) == outcomes(last[mode])
        print(f"  same items, outcomes and reasons as -n 0: {same}")
        for key in sorted(set(outcomes(last[0])) | set(outcomes(last[mode]))):
            a, b = outcomes(last[0]).get(key), outcomes(last[mode]).get(key)
            if a != b:
                print(f"    {key}: -n 0 {a} vs -n {mode} {b}")


if __name__ == "__main__":
    main()
