"""Acceptance tests of the phase barrier: ``pytest --readiness -n 3`` with real xdist workers.

Each test writes a conftest-free checklist project and runs it in a subprocess; the
assertions read the JSON report (``started_at`` / ``finished_at`` of every item).
Items of the last phase are written first, so collection order alone cannot pass.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.run.phase_barrier import PhaseMapError
from pytest_readiness.run.xdist import XdistPhaseHooks, interrupt_workers, read_phase_map
from tests.conftest import ReadinessProject

WORKTREE = Path(__file__).resolve().parent.parent

THREE_PHASES = """
import time

@pytest.mark.feature("Dashboard: loads")
@pytest.mark.parametrize("n", range(3))
def test_feature(n):
    time.sleep(0.3)

@pytest.mark.gate("Build: PASSING")
@pytest.mark.parametrize("n", range(4))
def test_gate(n):
    time.sleep(0.3)

@pytest.mark.db("RLS tests: All passing")
def test_only_db_item():
    time.sleep(0.3)
"""


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """Command-line arguments for three workers, with the checkout importable by them."""
    monkeypatch.setenv("PYTHONPATH", str(WORKTREE))
    return ("-n", "3")


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def items_by_phase(report: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    by_phase: dict[int, list[dict[str, Any]]] = {}
    for item in report["items"]:
        by_phase.setdefault(item["phase"], []).append(item)
    return by_phase


def overlapping_pairs(items: list[dict[str, Any]]) -> int:
    return sum(
        1
        for a, b in itertools.combinations(items, 2)
        if moment(a["started_at"]) < moment(b["finished_at"])
        and moment(b["started_at"]) < moment(a["finished_at"])
    )


def outcomes(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(item["id"], item["outcome"], item["reason"]) for item in report["items"]]


def test_a_phase_runs_concurrently_and_the_next_waits_for_its_last_item(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.checks(THREE_PHASES)

    result = project.run_subprocess(*workers, "-v")

    result.stdout.fnmatch_lines(["*scheduling tests via PhaseBarrierScheduling*"])
    report = project.report()
    assert report["verdict"] == "GO" and report["complete"] is True
    by_phase = items_by_phase(report)
    assert [len(by_phase[phase]) for phase in (1, 2, 4)] == [4, 1, 3]
    for earlier, later in itertools.pairwise(sorted(by_phase)):
        last_end = max(moment(item["finished_at"]) for item in by_phase[earlier])
        first_start = min(moment(item["started_at"]) for item in by_phase[later])
        assert last_end <= first_start, f"phase {later} started before phase {earlier} ended"
    assert overlapping_pairs(by_phase[1]) >= 3
    assert overlapping_pairs(by_phase[4]) == 3


def test_the_report_is_the_same_with_and_without_workers(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.checks(
        """
        from pytest_readiness import CheckFailed

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass

        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass

        @pytest.mark.gate("Lint: 0 errors, 0 warnings", blocking=False)
        def test_lint(): raise CheckFailed("eslint found 3 errors in src/app.ts")

        @pytest.mark.db("RLS tests: All passing")
        def test_rls(): raise CheckFailed("table orders has no RLS policy")

        @pytest.mark.infra("Health endpoints: All returning 200")
        def test_health(): pass
        """
    )
    project.run_subprocess()
    sequential = project.report()

    project.run_subprocess(*workers)
    parallel = project.report()

    assert outcomes(parallel) == outcomes(sequential)
    for key in ("verdict", "complete", "counts", "blockers", "phases"):
        assert parallel[key] == sequential[key], key
    assert parallel["verdict"] == "NO-GO"


def test_fail_fast_under_workers_runs_no_later_phase_and_reports_as_without(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.checks(
        """
        import time
        from pytest_readiness import CheckFailed

        @pytest.mark.infra("Health endpoints: All returning 200")
        @pytest.mark.parametrize("n", range(3))
        def test_health(n): pass

        @pytest.mark.gate("Build: PASSING")
        def test_build():
            time.sleep(0.3)
            raise CheckFailed("npm run build exited 2")

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        @pytest.mark.parametrize("n", range(4))
        def test_lint(n):
            time.sleep(0.1)

        @pytest.mark.db("RLS tests: All passing")
        @pytest.mark.parametrize("n", range(3))
        def test_rls(n): pass
        """
    )
    project.run_subprocess("--readiness-fail-fast")
    sequential = project.report()

    project.run_subprocess("--readiness-fail-fast", *workers)
    parallel = project.report()

    assert outcomes(parallel) == outcomes(sequential)
    later = [item for item in parallel["items"] if item["phase"] > 1]
    assert {item["outcome"] for item in later} == {"not-run"}
    assert all(item["started_at"] is None for item in later)
    assert later[0]["reason"] == "not run: phase 'gate' had a blocking failure (fail-fast)"


def test_a_crashed_worker_is_an_error_and_does_not_hold_the_barrier(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.checks(
        """
        import os, time

        @pytest.mark.db("RLS tests: All passing")
        @pytest.mark.parametrize("n", range(2))
        def test_rls(n): pass

        @pytest.mark.gate("Build: PASSING")
        def test_build(): os._exit(3)

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        @pytest.mark.parametrize("n", range(2))
        def test_lint(n):
            time.sleep(0.3)
        """
    )

    result = project.run_subprocess(*workers)

    assert result.ret == 1
    report = project.report()
    assert report["verdict"] == "NO-GO" and report["complete"] is True
    build = next(item for item in report["items"] if item["title"] == "Build: PASSING")
    assert build["outcome"] == "error"
    assert build["reason"].endswith("crashed while running this item")
    db_items = [item for item in report["items"] if item["phase"] == 2]
    assert [item["outcome"] for item in db_items] == ["passed", "passed"]
    gate_ends = [moment(item["finished_at"]) for item in report["items"] if item["phase"] == 1]
    assert len(gate_ends) == 3
    assert max(gate_ends) <= min(moment(item["started_at"]) for item in db_items)


def test_without_readiness_mode_xdist_keeps_its_own_scheduling(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")

    result = pytester.runpytest_subprocess(*workers, "-v", timeout=120)

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*scheduling tests via LoadScheduling*"])


def test_the_scheduler_hook_declines_outside_readiness_mode(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("-n", "2")

    assert XdistPhaseHooks(config).pytest_xdist_make_scheduler(config, log=None) is None


def test_a_worker_that_wrote_no_phase_map_is_named_with_the_missing_call(
    tmp_path: Path,
) -> None:
    with pytest.raises(PhaseMapError, match=r"worker gw4 wrote no phase map.*write_phase_map"):
        read_phase_map(tmp_path, "gw4")


def test_an_interrupted_controller_interrupts_its_live_workers_and_no_other_process(
    tmp_path: Path,
) -> None:
    """Without this, xdist waits for a busy worker before execnet interrupts it (5 to 10 s)."""
    ready = tmp_path / "ready"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, signal, sys, time\n"
            "signal.signal(signal.SIGINT, lambda *_: sys.exit(42))\n"
            f"pathlib.Path({str(ready)!r}).touch()\n"
            "time.sleep(60)\n",
        ]
    )
    try:
        while not ready.exists():
            assert child.poll() is None
            time.sleep(0.01)
        (tmp_path / "gw0.json").write_text(json.dumps({"phases": {}, "pid": child.pid}))
        (tmp_path / "gw1.json").write_text(json.dumps({"phases": {}}))  # an older worker
        # gw2 crashed and was reaped: its pid may belong to someone else by now.
        (tmp_path / "gw2.json").write_text(json.dumps({"phases": {}, "pid": os.getpid()}))
        assert interrupt_workers(tmp_path, ["gw0", "gw1", "gw3"]) == [child.pid]
        assert child.wait(timeout=30) == 42  # the SIGINT handler ran
    finally:
        child.kill()
        child.wait()
