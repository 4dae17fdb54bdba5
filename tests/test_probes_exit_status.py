"""Command gates: exit 0 passes; otherwise the reason names the command and its last line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.probes.command import run_command
from pytest_readiness.probes.exit_status import exit_status, last_line
from tests.check_project import run_gate


def test_exit_zero_passes(tmp_path: Path) -> None:
    assert exit_status(run_command("echo built", cwd=tmp_path, timeout=30)).ok


def test_a_failure_names_the_command_status_and_last_output_line(tmp_path: Path) -> None:
    script = "echo compiling; echo 'error: missing asset app.css' >&2; exit 2"
    result = exit_status(run_command(script, cwd=tmp_path, timeout=30))
    assert not result.ok
    assert result.reason == f"`{script}` exited 2: error: missing asset app.css"


def test_a_silent_failure_gives_just_the_status(tmp_path: Path) -> None:
    result = exit_status(run_command("exit 3", cwd=tmp_path, timeout=30))
    assert result.reason == "`exit 3` exited 3"


def test_long_lines_are_trimmed() -> None:
    assert len(last_line("x" * 500 + "\n\n")) == 200


def test_an_empty_command_fails_because_nothing_was_run(tmp_path: Path) -> None:
    ran = run_command("  ", cwd=tmp_path, timeout=30)
    assert ran.returncode == 0
    result = exit_status(ran)
    assert not result.ok
    assert result.reason == "no command to run: the command is empty"


def test_the_build_item_fails_when_its_command_is_set_empty(pytester: pytest.Pytester) -> None:
    item = run_gate(pytester, "test_build", build_command="")
    assert item["outcome"] == "failed"
    assert item["reason"] == "no command to run: the command is empty"
