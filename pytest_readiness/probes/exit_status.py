"""A command gate's verdict from its exit status, with the tool's own error line as the why."""

from __future__ import annotations

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes.command import CommandResult
from pytest_readiness.probes.tool_errors import MAX_LINE


def exit_status(result: CommandResult) -> ProbeResult:
    """Pass on exit 0; otherwise fail with the command, its status and the tool's error line.

    The line is the one that says why (npm's `Missing script`, an `Error:` line), else the
    last one: see `tool_errors.why_failed`. An empty command (a setting left blank) exits 0
    without checking anything: it fails.
    """
    if not result.command.strip():
        return ProbeResult.failed("no command to run: the command is empty")
    if result.ok:
        return ProbeResult.passed()
    return ProbeResult.failed(result.failure())


def last_line(output: str) -> str:
    """The last non-blank line, trimmed to a readable length."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[-1]
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."
