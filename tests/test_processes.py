"""No process a check started outlives its item: not one that left its session or process
group, not an orphan, not after a signal or a crashed worker, with and without `-n`."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pytest_readiness.probes.command import OUTPUT_TAIL_CHARS, run_command
from tests.conftest import QUIET_PLUGINS, ReadinessProject


def unique_sleep() -> list[str]:
    """`sleep N.NNNNNN`: a command line no other process on the machine has."""
    return ["sleep", f"{random.randint(500, 900)}.{random.randint(0, 999999):06d}"]


def running(argv: list[str]) -> bool:
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["cmdline"] == argv and process.info["status"] != psutil.STATUS_ZOMBIE:
            return True
    return False


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Poll `condition`: a killed process may take a moment to vanish."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def gone_check(argv: list[str]) -> str:
    """A later item that fails while `argv` still runs: proof it died with its own item."""
    return f"""
@pytest.mark.docs("All specs: Complete")
def test_gone():
    import time, psutil
    deadline = time.monotonic() + 10
    def alive():
        return any(
            p.info["cmdline"] == {argv!r} and p.info["status"] != psutil.STATUS_ZOMBIE
            for p in psutil.process_iter(["cmdline", "status"])
        )
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(), "still running after its item ended"
    zombies = [c for c in psutil.Process().children() if c.status() == psutil.STATUS_ZOMBIE]
    assert zombies == [], "killed but not reaped"
"""


def test_a_command_that_left_its_session_dies_with_its_timed_out_item(
    project: ReadinessProject,
) -> None:
    sleep = " ".join(unique_sleep())
    escape = f"trap '' TERM; setsid sh -c 'trap \"\" TERM; exec {sleep}' & sleep 66"
    project.checks(
        f"""
@pytest.mark.gate("Build: PASSING")
def test_build(run):
    run({escape!r}, timeout=1)
"""
        + gone_check(sleep.split())
    )
    result = project.run_subprocess()
    items = project.items()
    assert items["Build: PASSING"]["reason"].endswith("timed out after 1 s")
    assert items["All specs: Complete"]["outcome"] == "passed", result.stdout.str()
    assert not running(sleep.split())


@pytest.mark.parametrize("workers", [(), ("-n", "1")], ids=["in-process", "xdist-worker"])
def test_an_orphan_of_a_finished_command_is_killed_when_its_item_ends(
    project: ReadinessProject, workers: tuple[str, ...]
) -> None:
    sleep = unique_sleep()
    project.checks(
        f"""
@pytest.mark.gate("Build: PASSING")
def test_build(run):
    # The command ends once the orphan is in its own session (out of reach of killpg).
    run("(setsid sh -c 'echo $$ > escaped; exec {" ".join(sleep)}' > /dev/null 2>&1 &); "
        "while [ ! -s escaped ]; do sleep 0.01; done")
"""
        + gone_check(sleep)
    )
    result = project.run_subprocess(*workers)
    items = project.items()
    assert items["All specs: Complete"]["outcome"] == "passed", result.stdout.str()
    assert items["Build: PASSING"]["outcome"] == "passed"
    (swept,) = [e for e in items["Build: PASSING"]["evidence"] if "killed" in e["summary"]]
    assert swept["summary"] == "killed 1 process left running by the item"
    assert " ".join(sleep) in swept["detail"]


def test_a_process_a_check_started_itself_is_killed_when_its_item_ends(
    project: ReadinessProject,
) -> None:
    sleep = unique_sleep()
    project.checks(
        f"""
import subprocess

@pytest.mark.gate("Build: PASSING")
def test_build():
    subprocess.Popen({sleep!r}, start_new_session=True)
"""
        + gone_check(sleep)
    )
    result = project.run_subprocess()
    assert project.items()["All specs: Complete"]["outcome"] == "passed", result.stdout.str()


@pytest.mark.parametrize(
    ("workers", "signum"),
    [
        ((), signal.SIGTERM),
        ((), signal.SIGINT),
        (("-n", "2"), signal.SIGTERM),
        (("-n", "2"), signal.SIGINT),
    ],
    ids=["in-process-SIGTERM", "in-process-SIGINT", "xdist-SIGTERM", "xdist-SIGINT"],
)
def test_a_signal_mid_item_leaves_no_escaped_process_behind(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    workers: tuple[str, ...],
    signum: signal.Signals,
) -> None:
    sleep = unique_sleep()
    project.checks(
        f"""
@pytest.mark.gate("Build: PASSING")
def test_build(run):
    run("setsid sh -c 'exec {" ".join(sleep)}' & sleep 300", timeout=600)
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
        assert wait_for(lambda: running(sleep), timeout=60), log.read_text()
        process.send_signal(signum)
        assert process.wait(timeout=60) == 2, log.read_text()
    assert wait_for(lambda: not running(sleep), timeout=10)


def test_an_orphan_of_a_crashed_worker_is_killed_at_the_end_of_the_run(
    project: ReadinessProject,
) -> None:
    sleep = unique_sleep()
    project.checks(
        f"""
import os, subprocess

@pytest.mark.gate("Build: PASSING")
def test_build():
    subprocess.Popen({sleep!r}, start_new_session=True)
    os._exit(1)
"""
    )
    result = project.run_subprocess("-n", "1")
    assert project.items()["Build: PASSING"]["outcome"] == "error", result.stdout.str()
    assert wait_for(lambda: not running(sleep), timeout=10)


def test_only_the_tail_of_a_huge_output_stays_in_memory_and_a_sink_sees_all_of_it(
    tmp_path: Path,
) -> None:
    seen = [0]

    def count(chunk: bytes) -> None:
        seen[0] += len(chunk)

    result = run_command(
        "head -c 50000000 /dev/zero | tr '\\0' x; echo END",
        cwd=tmp_path,
        timeout=120,
        sink=count,
    )
    assert result.ok
    assert seen[0] == 50_000_004
    assert result.output.endswith("xxxxEND\n")
    assert len(result.output) == OUTPUT_TAIL_CHARS * 4


def test_a_background_job_holding_the_output_does_not_make_a_command_time_out(
    tmp_path: Path,
) -> None:
    sleep = unique_sleep()
    result = run_command(f"setsid {' '.join(sleep)} & echo done", cwd=tmp_path, timeout=60)
    assert (result.ok, result.timed_out, result.output) == (True, False, "done\n")
    for process in psutil.process_iter(["cmdline"]):  # started here, outside a readiness run
        if process.info["cmdline"] == sleep:
            process.kill()


def test_a_long_output_is_kept_whole_and_redacted_in_the_reports_folder(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-token-value"
    monkeypatch.setenv("READINESS_TEST_TOKEN", secret)
    project.config('[tool.readiness.envs.local.vars]\ntoken = "${READINESS_TEST_TOKEN}"\n')
    project.checks(
        """
@pytest.mark.gate("Build: PASSING")
def test_build(run):
    run('for i in $(seq 1 20000); do echo "line $i $READINESS_TEST_TOKEN"; done')
"""
    )
    project.run()
    (entry,) = project.items()["Build: PASSING"]["evidence"]
    log = project.pytester.path / "reports" / entry["data"]["output_file"]
    lines = log.read_text().splitlines()
    assert len(lines) == 20000
    assert lines[0] == "line 1 ***" and lines[-1] == "line 20000 ***"
    assert secret not in log.read_text()
    assert entry["detail"].endswith("line 20000 ***\n")


def test_a_short_output_needs_no_file(project: ReadinessProject) -> None:
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_build(run):\n    run("echo built")\n'
    )
    project.run()
    (entry,) = project.items()["Build: PASSING"]["evidence"]
    assert "output_file" not in entry["data"]
    assert not (project.pytester.path / "reports" / "commands").exists()


CHILDLESS_MARK = """
import os, subprocess, sys, psutil
from pytest_readiness.probes import processes

def no_scan(*args, **kwargs):
    raise AssertionError("read every process of the machine")

real_process = psutil.Process
psutil.Process = no_scan
assert processes.mark() == frozenset()
assert processes.sweep(frozenset()) == []
psutil.Process = real_process
exited = subprocess.Popen([sys.executable, "-c", "pass"])
while psutil.Process(exited.pid).status() != psutil.STATUS_ZOMBIE:
    pass
assert processes.mark() != frozenset(), "an exited child not yet reaped is a descendant"
assert exited.wait() == 0, "its exit status stays with its owner"
print("ok")
"""


def test_a_process_without_children_is_swept_without_reading_every_process(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILDLESS_MARK],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
