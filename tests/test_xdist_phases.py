"""Acceptance tests of the phase barrier with real pytest-xdist workers.

Each test runs a small conftest-free project in a subprocess with ``-n 3``; every item
appends its phase, worker and start/end times to a log, and the assertions read the log.
Phases come from ``@pytest.mark.phase(n)`` through the stand-in plugin in
``tests/xdist_phases/``; the phase-3 items are written first so collection order alone
could not produce phase order.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.scheduler.phase_barrier import PhaseMapError
from pytest_readiness.xdist_phases import read_phase_map

WORKTREE = Path(__file__).resolve().parent.parent
STAND_IN_PLUGIN_DIR = Path(__file__).resolve().parent / "xdist_phases"

RECORDING = """
import json, os, time
import pytest

from pytest_readiness.scheduler.phase_barrier import PhaseMapError
from pytest_readiness.xdist_phases import read_phase_map

def record(phase, seconds=0.3):
    start = time.time()
    time.sleep(seconds)
    line = {"phase": phase, "start": start, "end": time.time(),
            "worker": os.environ.get("PYTEST_XDIST_WORKER")}
    with open(os.environ["PHASE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\\n")
"""


@pytest.fixture
def phase_log(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = pytester.path / "phases.jsonl"
    monkeypatch.setenv("PHASE_LOG", str(log))
    monkeypatch.setenv("PHASE_NOT_RUN_LOG", str(pytester.path / "not-run.jsonl"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(WORKTREE), str(STAND_IN_PLUGIN_DIR)]))
    return log


def run_readiness(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-n", "3", "--readiness", "-p", "phase_marker_plugin", "-v", *args, timeout=120
    )


def read_log(log: Path) -> dict[int, list[dict[str, Any]]]:
    by_phase: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        by_phase[entry["phase"]].append(entry)
    return dict(by_phase)


def assert_phases_never_overlap(by_phase: dict[int, list[dict[str, Any]]]) -> None:
    phases = sorted(by_phase)
    for earlier, later in itertools.pairwise(phases):
        last_end = max(entry["end"] for entry in by_phase[earlier])
        first_start = min(entry["start"] for entry in by_phase[later])
        assert last_end <= first_start, f"phase {later} started before phase {earlier} ended"


def ran_concurrently(entries: list[dict[str, Any]]) -> bool:
    return max(e["start"] for e in entries) < min(e["end"] for e in entries)


def test_a_phase_runs_on_all_workers_and_the_next_waits_for_its_last_item(
    pytester: pytest.Pytester, phase_log: Path
) -> None:
    pytester.makepyfile(
        RECORDING
        + """
@pytest.mark.phase(3)
@pytest.mark.parametrize("n", range(3))
def test_third(n):
    record(3)

@pytest.mark.phase(1)
@pytest.mark.parametrize("n", range(4))
def test_first(n):
    record(1)

@pytest.mark.phase(2)
def test_alone_in_the_second_phase():
    record(2)
"""
    )

    result = run_readiness(pytester)

    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*scheduling tests via PhaseBarrierScheduling*"])
    by_phase = read_log(phase_log)
    assert [len(by_phase[p]) for p in (1, 2, 3)] == [4, 1, 3]
    assert_phases_never_overlap(by_phase)
    assert ran_concurrently(by_phase[3])
    assert len({entry["worker"] for entry in by_phase[3]}) == 3


def test_without_readiness_mode_xdist_schedules_as_usual(
    pytester: pytest.Pytester, phase_log: Path
) -> None:
    pytester.makepyfile("import pytest\n\ndef test_plain():\n    pass\n")

    result = pytester.runpytest_subprocess(
        "-n", "2", "-p", "phase_marker_plugin", "-v", timeout=120
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*scheduling tests via LoadScheduling*"])


def test_a_crashed_worker_does_not_hold_the_barrier(
    pytester: pytest.Pytester, phase_log: Path
) -> None:
    pytester.makepyfile(
        RECORDING
        + """
@pytest.mark.phase(2)
@pytest.mark.parametrize("n", range(2))
def test_after_the_crash(n):
    record(2)

@pytest.mark.phase(1)
def test_crashes_its_worker():
    os._exit(3)

@pytest.mark.phase(1)
@pytest.mark.parametrize("n", range(2))
def test_beside_the_crash(n):
    record(1)
"""
    )

    result = run_readiness(pytester)

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*crashed while running*test_crashes_its_worker*"])
    assert_phases_never_overlap(read_log(phase_log))


def test_fail_fast_starts_no_item_of_a_later_phase(
    pytester: pytest.Pytester, phase_log: Path
) -> None:
    pytester.makepyfile(
        RECORDING
        + """
@pytest.mark.phase(1)
def test_fails():
    time.sleep(0.2)
    assert False

@pytest.mark.phase(1)
@pytest.mark.parametrize("n", range(4))
def test_passes(n):
    record(1, 0.1)

@pytest.mark.phase(2)
@pytest.mark.parametrize("n", range(3))
def test_second(n):
    record(2)

@pytest.mark.phase(3)
@pytest.mark.parametrize("n", range(3))
def test_third(n):
    record(3)
"""
    )

    result = run_readiness(pytester, "--readiness-fail-fast")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert set(read_log(phase_log)) == {1}
    not_run_log = pytester.path / "not-run.jsonl"
    cancelled = {
        nodeid for line in not_run_log.read_text().splitlines() for nodeid in json.loads(line)
    }
    assert cancelled == {
        f"test_fail_fast_starts_no_item_of_a_later_phase.py::test_{name}[{n}]"
        for name in ("second", "third")
        for n in range(3)
    }


def test_a_worker_that_wrote_no_phase_map_is_named_with_the_missing_call(
    tmp_path: Path,
) -> None:
    with pytest.raises(PhaseMapError, match=r"worker gw4 wrote no phase map.*write_phase_map"):
        read_phase_map(tmp_path, "gw4")
