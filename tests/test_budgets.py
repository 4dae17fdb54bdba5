"""Time budgets end to end: item timeouts and phase budgets, with and without pytest-xdist."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pytest_readiness import config as readiness_config
from pytest_readiness.run.session import ReadinessSession
from pytest_readiness.run.timing import phase_budgets
from tests.conftest import ADMIN_DSN, ReadinessProject

CONFIG = """
[tool.readiness.envs.local]
timeout = 30
"""

WITH_AND_WITHOUT_XDIST = pytest.mark.parametrize(
    "workers", [(), ("-n", "2")], ids=["in-process", "xdist"]
)


def process_is_gone(pid: int, within: float = 5.0) -> bool:
    """True when `pid` no longer runs, or stops within `within` seconds: SIGKILL takes effect
    when the kernel next schedules the process, which on a loaded machine can be after the
    pytest that sent it has exited. A zombie waiting for a non-reaping init is gone too."""
    deadline = time.monotonic() + within
    while True:
        status = Path(f"/proc/{pid}/status")
        try:
            text = status.read_text()
        except (FileNotFoundError, ProcessLookupError):
            return True
        state = next(line for line in text.splitlines() if line.startswith("State"))
        if "Z" in state.split()[1]:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def read_pid(path: Path) -> int:
    return int(path.read_text().split()[0])


@WITH_AND_WITHOUT_XDIST
def test_an_item_hanging_in_python_fails_with_a_one_line_reason_and_its_commands_die(
    project: ReadinessProject, pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    pid_file = pytester.path / "grandchild.pid"
    project.config(CONFIG)
    project.checks(
        f"""
        import threading, time

        @pytest.mark.infra("Health: OK", timeout=1)
        def test_hangs(run, evidence):
            evidence.add("note", "asked the target to settle")
            command = "sleep 300 & echo $! > {pid_file}; wait"
            threading.Thread(target=run, args=(command,), daemon=True).start()
            time.sleep(300)

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    result = project.run_subprocess(*workers)
    assert result.ret == 1
    item = project.items()["Health: OK"]
    assert item["outcome"] == "failed"
    assert item["reason"] == "timed out after 1 s"
    assert "asked the target to settle" in [e["summary"] for e in item["evidence"]]
    assert process_is_gone(read_pid(pid_file))
    assert project.items()["All specs: Complete"]["outcome"] == "passed"
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "Timeout" not in output  # pytest-timeout's "+++ Timeout +++" stack dump


@WITH_AND_WITHOUT_XDIST
def test_an_item_hanging_in_a_command_is_stopped_and_the_command_group_killed(
    project: ReadinessProject, pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    pid_file = pytester.path / "grandchild.pid"
    project.config(CONFIG)
    project.checks(
        f"""
        @pytest.mark.gate("Build: PASSING", timeout=1)
        def test_build(run):
            run("sh -c 'sleep 300 & echo $! > {pid_file}; wait'", timeout=600)
        """
    )
    result = project.run_subprocess(*workers)
    assert result.ret == 1
    item = project.items()["Build: PASSING"]
    assert item["outcome"] == "failed"
    command = f"sh -c 'sleep 300 & echo $! > {pid_file}; wait'"
    assert item["reason"] == f"timed out after 1 s while `{command}` ran"
    assert any("still running when the item was stopped" in e["summary"] for e in item["evidence"])
    assert process_is_gone(read_pid(pid_file))
    assert "Traceback" not in result.stdout.str()


def test_a_fixture_that_runs_out_of_time_fails_the_item_rather_than_erroring(
    project: ReadinessProject,
) -> None:
    project.config(CONFIG)
    project.checks(
        """
        import time

        @pytest.fixture
        def slow_target():
            time.sleep(300)

        @pytest.mark.infra("Health: OK", timeout=0.5)
        def test_health(slow_target): pass
        """
    )
    result = project.run()
    item = project.items()["Health: OK"]
    assert (item["outcome"], item["reason"]) == ("failed", "timed out after 0.5 s")
    result.assert_outcomes(failed=1, errors=0)  # pytest's own summary agrees with the report


@WITH_AND_WITHOUT_XDIST
def test_time_running_out_while_pytest_reports_on_the_item_does_not_stop_the_run(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    """The item's timer runs from its setup to its teardown; between them pytest and its
    plugins report (terminal, JUnit, pytest-html). Expiring there, it waits for the item's
    next phase (here a teardown that takes 2 s): raised inside a reporting hook it was an
    INTERNALERROR that ended the run."""
    project.config(CONFIG)
    project.pytester.makeconftest(
        """
        import time

        def pytest_runtest_logreport(report):
            if report.when == "call" and report.nodeid.endswith("test_quick"):
                time.sleep(1)  # a slow reporting plugin, past the item's 0.5 s
        """
    )
    project.checks(
        """
        import time

        @pytest.fixture
        def target():
            yield
            time.sleep(2)

        @pytest.mark.infra("Health: OK", timeout=0.5)
        def test_quick(target): pass

        @pytest.mark.infra("Monitoring: ACTIVE")
        def test_next(): pass
        """
    )
    result = project.run_subprocess(*workers)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert result.ret == 1
    report = project.report()
    assert report["complete"] is True
    items = project.items()
    assert (items["Health: OK"]["outcome"], items["Health: OK"]["reason"]) == (
        "failed",
        "timed out after 0.5 s",
    )
    assert items["Monitoring: ACTIVE"]["outcome"] == "passed"


PHASE_BUDGET_CONFIG = """
[tool.readiness]
phase_budgets = { infra = 1.5 }

[tool.readiness.envs.local]
timeout = 30
"""

PHASE_BUDGET_CHECKS = """
import time

@pytest.mark.infra("Health: OK")
def test_a_hangs(): time.sleep(300)

@pytest.mark.infra("Monitoring: ACTIVE")
def test_b_hangs(): time.sleep(300)

@pytest.mark.infra("Backups: VERIFIED")
def test_c(evidence): evidence.add("note", "ran")

@pytest.mark.infra("SSL: VALID")
def test_d(evidence): evidence.add("note", "ran")

@pytest.mark.docs("All specs: Complete")
def test_docs(): pass
"""


@WITH_AND_WITHOUT_XDIST
def test_a_phase_past_its_budget_fails_its_unfinished_items_and_later_phases_still_run(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.config(PHASE_BUDGET_CONFIG)
    project.checks(PHASE_BUDGET_CHECKS)
    result = project.run_subprocess(*workers)
    assert result.ret == 1
    items = project.items()
    infra = ["Health: OK", "Monitoring: ACTIVE", "Backups: VERIFIED", "SSL: VALID"]
    for title in infra:
        assert (items[title]["outcome"], items[title]["reason"]) == (
            "failed",
            "phase budget of 1.5 s exceeded",
        ), title
    for title in ("Backups: VERIFIED", "SSL: VALID"):
        summaries = [e["summary"] for e in items[title]["evidence"]]
        assert summaries == ["not started: phase budget of 1.5 s exceeded"], title
    assert items["All specs: Complete"]["outcome"] == "passed"
    assert project.report()["complete"] is True
    assert "Traceback" not in result.stdout.str()
    # pytest's own summary counts what the report counts: 4 failed, none "error".
    result.assert_outcomes(failed=4, passed=1, errors=0)


def test_fail_fast_after_a_blown_phase_budget_records_later_phases_as_not_run(
    project: ReadinessProject,
) -> None:
    project.config(PHASE_BUDGET_CONFIG)
    project.checks(PHASE_BUDGET_CHECKS)
    project.run("--readiness-fail-fast")
    docs = project.items()["All specs: Complete"]
    assert docs["outcome"] == "not-run"
    assert "phase 'infra' had a blocking failure" in docs["reason"]


def test_a_phase_budget_for_an_unknown_phase_is_a_usage_error(
    project: ReadinessProject,
) -> None:
    project.config(
        """
        [tool.readiness]
        phase_budgets = { infar = 60 }
        """
    )
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*phase_budgets.infar is not a phase*"])


def test_an_item_stopped_in_a_database_query_leaves_the_connection_usable_for_the_next(
    project: ReadinessProject,
) -> None:
    project.config(
        f"""
        [tool.readiness.envs.local]
        database_url = "{ADMIN_DSN}"
        statement_timeout = 120
        """
    )
    project.checks(
        """
        @pytest.mark.db("Staging migrations: Applied successfully", timeout=1)
        def test_slow(db): db.execute("select pg_sleep(60)")

        @pytest.mark.db("RLS tests: All passing")
        def test_after(db): assert db.execute("select 1").fetchone() == (1,)
        """
    )
    project.run()
    items = project.items()
    slow = items["Staging migrations: Applied successfully"]
    assert (slow["outcome"], slow["reason"]) == ("failed", "timed out after 1 s")
    assert items["RLS tests: All passing"]["outcome"] == "passed"


def test_an_environments_phase_budgets_override_the_top_level_ones(tmp_path: Path) -> None:
    (tmp_path / "readiness.toml").write_text(
        "phase_budgets = { gate = 1800, db = 600 }\n[envs.staging]\nphase_budgets = { db = 60 }\n"
    )
    settings = readiness_config.load(tmp_path)
    session = ReadinessSession(
        settings,
        "staging",
        settings.resolve("staging", {}),
        report_dir=tmp_path,
        fail_fast=False,
    )
    assert phase_budgets(session) == {"gate": 1800.0, "db": 60.0}


def test_a_check_that_takes_sigalrm_for_itself_does_not_disable_later_timeouts(
    project: ReadinessProject,
) -> None:
    project.config(CONFIG)
    project.checks(
        """
        import signal, time

        @pytest.mark.gate("Build: PASSING")
        def test_takes_the_signal(): signal.signal(signal.SIGALRM, signal.SIG_IGN)

        @pytest.mark.infra("Health: OK", timeout=1)
        def test_hangs(): time.sleep(60)
        """
    )
    project.run_subprocess(timeout=30)
    items = project.items()
    assert items["Build: PASSING"]["outcome"] == "passed"
    assert (items["Health: OK"]["outcome"], items["Health: OK"]["reason"]) == (
        "failed",
        "timed out after 1 s",
    )


def test_the_run_gives_sigalrm_back_to_the_handler_it_found(
    project: ReadinessProject,
) -> None:
    def ours_before(signum: int, frame: object) -> None:
        raise AssertionError("must not fire")

    previous = signal.signal(signal.SIGALRM, ours_before)
    try:
        project.config(CONFIG)
        project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
        assert project.run().ret == 0
        assert signal.getsignal(signal.SIGALRM) is ours_before
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


@WITH_AND_WITHOUT_XDIST
def test_the_environments_timeout_applies_unless_the_check_sets_its_own(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    project.config("[tool.readiness.envs.local]\ntimeout = 1\n")
    project.checks(
        """
        import time

        @pytest.mark.infra("Health: OK")
        def test_env_timeout(): time.sleep(60)

        @pytest.mark.infra("Backups: VERIFIED", timeout=5)
        def test_own_timeout(): time.sleep(1.5)
        """
    )
    project.run_subprocess(*workers, timeout=60)
    items = project.items()
    assert (items["Health: OK"]["outcome"], items["Health: OK"]["reason"]) == (
        "failed",
        "timed out after 1 s",
    )
    assert items["Backups: VERIFIED"]["outcome"] == "passed"
