"""CI cancels a job: SIGINT or SIGTERM mid-run still writes an incomplete NO-GO report, exit 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from tests.conftest import QUIET_PLUGINS, ReadinessProject
from tests.test_budgets import process_is_gone, read_pid


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("workers", "whole_group"),
    [((), False), (("-n", "2"), False), (("-n", "2"), True)],
    # CI runners signal the main process or its whole process group (workers included).
    ids=["in-process", "xdist-controller", "xdist-whole-group"],
)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_writes_an_incomplete_no_go_report_and_exits_2(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    signum: signal.Signals,
    workers: tuple[str, ...],
    whole_group: bool,
) -> None:
    started = pytester.path / "command.pid"
    interrupted = pytester.path / "interrupted"
    project.checks(
        f"""
        import pathlib

        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass

        @pytest.mark.db("RLS tests: All passing")
        def test_slow(run):
            try:
                run("sh -c 'sleep 300 & echo $! > {started}; wait'", timeout=600)
            except KeyboardInterrupt as exc:
                pathlib.Path({str(interrupted)!r}).write_text(repr(exc))
                raise

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    log = pytester.path / "output.txt"
    with log.open("w") as output:
        process = pytester.popen(
            [sys.executable, "-m", "pytest", "--readiness", *QUIET_PLUGINS, *workers],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: started.exists() and started.read_text().strip() != "")
        if whole_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        assert process.wait(timeout=60) == 2, log.read_text()
    report = project.report()
    assert (report["complete"], report["verdict"]) == (False, "NO-GO")
    outcomes = {item["title"]: item["outcome"] for item in report["items"]}
    assert outcomes == {
        "Build: PASSING": "passed",
        "RLS tests: All passing": "not-run",
        "All specs: Complete": "not-run",
    }
    for suffix in ("html", "json", "md"):
        assert (pytester.path / "reports" / f"readiness-local.{suffix}").is_file()
    # The interrupted item's command is stopped too: a worker that SIGTERM simply killed
    # (CI signalling the whole group) used to leave it running.
    assert process_is_gone(read_pid(started))
    if workers:
        # The worker's own handler turned the signal into the interrupt (it names the signal);
        # Python's default SIGINT handler would have raised an anonymous KeyboardInterrupt.
        assert "received signal" in interrupted.read_text()


def test_a_worker_that_crashes_is_an_error_item_and_the_report_is_complete(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        import os

        @pytest.mark.gate("Build: PASSING")
        def test_build(): os._exit(1)

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        def test_lint(): pass

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    result = project.run_subprocess("-n", "2")
    assert result.ret == 1
    report = project.report()
    assert (report["complete"], report["verdict"]) == (True, "NO-GO")
    items = project.items()
    build = items["Build: PASSING"]
    assert build["outcome"] == "error"
    assert re.fullmatch(r"worker gw\d crashed while running this item", build["reason"])
    assert items["Lint: 0 errors, 0 warnings"]["outcome"] == "passed"
    assert items["All specs: Complete"]["outcome"] == "passed"
