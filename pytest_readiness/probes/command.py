"""Run a command in its own process group; on timeout, kill the whole group."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.model import Evidence

OUTPUT_TAIL_CHARS = 4000
_DRAIN_AFTER_KILL_S = 2.0


class ProcessGroups:
    """The process groups of one item's commands that are still running.

    A timer that stops the item (pytest-timeout's, through our budgets) kills them, and so
    does the item's teardown: a command started from a thread of the check is no orphan.
    Only `set.add`/`set.discard` and a copy are used, no lock: the timer runs as a signal
    handler on the thread that may be in the middle of `add`.
    """

    def __init__(self) -> None:
        self._leaders: set[int] = set()

    def __len__(self) -> int:
        return len(self._leaders)

    def add(self, leader: int) -> None:
        self._leaders.add(leader)

    def discard(self, leader: int) -> None:
        self._leaders.discard(leader)

    def kill_all(self) -> int:
        """SIGKILL every tracked group; returns how many were still tracked."""
        leaders = list(self._leaders)
        for leader in leaders:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(leader, signal.SIGKILL)
            self._leaders.discard(leader)
        return len(leaders)


@dataclass(frozen=True)
class CommandResult:
    """What a command did: exit code, output tail and how long it took."""

    command: str
    returncode: int
    output: str
    duration_s: float
    timed_out: bool = False
    timeout_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def tail(self) -> str:
        return self.output[-OUTPUT_TAIL_CHARS:]

    def describe(self) -> str:
        """One line: `npm run build` exited 2 / timed out after 5 s."""
        if self.timed_out:
            return f"`{self.command}` timed out after {_seconds(self.timeout_s)} s"
        return f"`{self.command}` exited {self.returncode}"

    def to_evidence(self) -> Evidence:
        return Evidence(
            kind="command",
            summary=f"{self.describe()} in {self.duration_s:.2f} s",
            detail=self.tail,
            data={
                "command": self.command,
                "returncode": self.returncode,
                "duration_s": round(self.duration_s, 3),
                "timed_out": self.timed_out,
            },
        )


def run_command(
    command: str | Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    groups: ProcessGroups | None = None,
) -> CommandResult:
    """Run `command` (a string for the shell, or an argument list) and never leave children.

    With `groups`, the command's process group is tracked there while it runs.
    """
    shell = isinstance(command, str)
    text = command if isinstance(command, str) else shlex.join(command)
    full_env = {**os.environ, **(env or {})}
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            shell=shell,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        missing = exc.filename or text.split()[0]
        return CommandResult(text, 127, f"command not found: {missing}", 0.0)
    except NotADirectoryError:
        return CommandResult(text, 127, f"working directory not found: {cwd}", 0.0)
    if groups is not None:
        groups.add(process.pid)
    try:
        out, _ = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out = _drain(process)
        timed_out = True
    finally:
        # Also on an exception from outside (pytest-timeout, Ctrl-C): no orphans.
        _kill_group(process)
        if groups is not None:
            groups.discard(process.pid)
    output = out.decode("utf-8", errors="replace")[-OUTPUT_TAIL_CHARS * 4 :]
    return CommandResult(
        command=text,
        returncode=process.returncode if process.returncode is not None else -9,
        output=output,
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        timeout_s=timeout if timed_out else None,
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.returncode is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_DRAIN_AFTER_KILL_S)


def _drain(process: subprocess.Popen[bytes]) -> bytes:
    """Read what the killed group left in the pipe, without waiting on escaped children."""
    try:
        out, _ = process.communicate(timeout=_DRAIN_AFTER_KILL_S)
        return out or b""
    except subprocess.TimeoutExpired:
        return b""


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"
