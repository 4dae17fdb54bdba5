"""`-n auto` in a readiness run starts as many workers as the last run's items pay for."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.run.workers import (
    ItemCost,
    busy_cores,
    choose_workers,
    costs_of,
    free_cores,
    predicted_wall,
)
from tests.conftest import ReadinessProject


def waits(phase: int, n: int, seconds: float) -> list[ItemCost]:
    return [ItemCost(phase, seconds, 0.0) for _ in range(n)]


def computes(phase: int, n: int, seconds: float) -> list[ItemCost]:
    return [ItemCost(phase, seconds, seconds) for _ in range(n)]


def test_free_cores_are_those_other_work_leaves_and_at_least_one() -> None:
    assert [free_cores(2, busy) for busy in (0.0, 0.3, 1.0, 1.9, 5.0)] == [2, 2, 1, 1, 1]
    assert free_cores(8, 2.2) == 6


def test_a_process_spinning_on_a_core_is_counted_busy_while_it_runs() -> None:
    """Measured now, over a short sample: the load average would still count a run that has
    just ended (`-n auto` then found no free core after a run with workers)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # started and spinning
        assert busy_cores(0.3) >= 0.7
    finally:
        spinner.kill()
        spinner.wait()


def test_items_that_wait_get_workers_up_to_the_largest_phase() -> None:
    costs = waits(1, 16, 0.5) + waits(2, 16, 0.5) + waits(3, 4, 0.5)
    chosen = choose_workers(costs, start_up_s=0.5, cores=2)
    assert 2 <= chosen <= 16
    assert predicted_wall(costs, chosen, start_up_s=0.5, cores=2) < sum(c.wall_s for c in costs) / 2


def test_quick_items_are_not_worth_starting_a_worker_for() -> None:
    costs = waits(1, 8, 0.05) + waits(2, 8, 0.05)
    assert choose_workers(costs, start_up_s=1.0, cores=2) == 0


def test_items_that_compute_on_a_busy_machine_run_without_workers() -> None:
    costs = computes(1, 8, 1.0)
    assert choose_workers(costs, start_up_s=1.0, cores=1) == 0


def test_items_that_compute_get_no_more_workers_than_cores() -> None:
    costs = computes(1, 8, 5.0)
    assert choose_workers(costs, start_up_s=0.5, cores=2) == 2


def test_an_item_slowed_by_sharing_the_cores_last_time_still_counts_as_computing() -> None:
    """Measured under -n 4 on 2 cores, a build's 3.9 s of CPU took 6.5 s: not a wait."""
    shared = [ItemCost(1, 6.5, 3.9), ItemCost(1, 4.3, 2.0), ItemCost(1, 5.5, 2.5)]
    assert choose_workers(shared, start_up_s=0.6, cores=1) == 0


def test_no_last_run_means_no_workers() -> None:
    assert choose_workers([], start_up_s=0.5, cores=2) == 0


def test_the_costs_are_the_last_runs_items_that_ran() -> None:
    report: dict[str, Any] = {
        "complete": True,
        "items": [
            {"phase": 1, "outcome": "passed", "duration_s": 2.0, "cpu_s": 1.5},
            {"phase": 2, "outcome": "failed", "duration_s": 0.5},
            {"phase": 2, "outcome": "not-run", "duration_s": 0.0},
        ],
    }
    assert costs_of(report) == [ItemCost(1, 2.0, 1.5), ItemCost(2, 0.5, 0.0)]


def test_an_unfinished_last_run_teaches_nothing() -> None:
    report = {"complete": False, "items": [{"phase": 1, "outcome": "passed", "duration_s": 9}]}
    assert costs_of(report) == []


SLOW_CHECKS = """
import time

@pytest.mark.gate("Build: PASSING")
def test_build():
    sum(range(20_000_000))

@pytest.mark.db("Migrations: All applied")
def test_migrations():
    time.sleep(0.3)
"""


def test_an_item_that_computes_records_its_cpu_seconds(project: ReadinessProject) -> None:
    project.checks(SLOW_CHECKS)
    project.run_subprocess()
    items = project.items()
    # A report carries `cpu_s` only for an item that used NOTED_CPU_S or more: 20 million
    # additions do on any machine, a sleep does not.
    assert "cpu_s" in items["Build: PASSING"]
    assert "cpu_s" not in items["Migrations: All applied"]


def worker_count(result: pytest.RunResult) -> str:
    return next(line for line in result.outlines if line.startswith("readiness: -n auto"))


@pytest.mark.parametrize(
    "first", [(), ("-p", "readiness"), ("-p", "xdist")], ids=["as-installed", "ours", "xdist"]
)
def test_n_auto_without_a_last_run_runs_without_workers(
    project: ReadinessProject, first: tuple[str, ...]
) -> None:
    """Whichever plugin loads first: xdist's own answer (the core count) came first when
    ours was registered before it, and our choice was never asked."""
    project.checks(SLOW_CHECKS)
    result = project.run_subprocess(*first, "-n", "auto")
    assert (
        worker_count(result) == "readiness: -n auto: 0 workers (no complete last run to learn from)"
    )
    assert project.report()["verdict"] == "GO"


def test_n_auto_after_a_run_of_long_waits_starts_workers(project: ReadinessProject) -> None:
    waiting = "\n".join(
        f'@pytest.mark.db("Wait {k}")\ndef test_wait_{k}():\n    time.sleep(2)\n' for k in range(4)
    )
    project.checks("import time\n" + waiting)
    last = {
        "complete": True,
        "items": [
            {"phase": 1, "outcome": "passed", "duration_s": 20.0, "cpu_s": 0.0} for _ in range(4)
        ],
    }
    reports = Path(project.pytester.path, "reports")
    reports.mkdir()
    (reports / "readiness-local.json").write_text(json.dumps(last))
    result = project.run_subprocess("-n", "auto")
    assert worker_count(result).startswith("readiness: -n auto: 4 workers")
    assert project.report()["verdict"] == "GO"


def test_xdists_own_worker_count_variable_still_decides(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.checks(SLOW_CHECKS)
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "2")
    result = project.run_subprocess("-n", "auto")
    assert not any(line.startswith("readiness: -n auto") for line in result.outlines)
    result.stdout.fnmatch_lines(["*2 workers*"])
