"""Run a command in its own process group; on timeout, kill the whole group and its escapees."""

from __future__ import annotations

import contextlib
import os
import selectors
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import tool_errors
from pytest_readiness.probes.processes import kill_tree

OUTPUT_TAIL_CHARS = 4000
TAIL_BYTES = 64 * 1024  # what stays in memory of a command's output
OUTPUT_KEPT_CHARS = OUTPUT_TAIL_CHARS * 4  # of it, what a `CommandResult` keeps
_CHUNK_BYTES = 64 * 1024
_POLL_S = 0.1  # how often a silent command is asked whether it has exited
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

    @property
    def leaders(self) -> frozenset[int]:
        """Leaders whose `Popen` still waits for them (a kill does not untrack them)."""
        return frozenset(self._leaders)

    def kill_all(self) -> int:
        """SIGKILL every tracked group and its escaped descendants; returns how many."""
        leaders = list(self._leaders)
        for leader in leaders:
            kill_tree(leader)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(leader, signal.SIGKILL)
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
    cwd: Path | None = None  # where it ran: a missing npm script is looked up there
    cut: bool = False  # it printed more than `output` keeps (its start is gone)

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

    def missing_script(self) -> str:
        """`package.json has no script "x" (scripts: ...)` when the package manager said so."""
        return "" if self.timed_out else tool_errors.missing_script(self.output, self.cwd)

    def failure(self) -> str:
        """Why it failed, in one line: the missing script, or status and the tool's own line."""
        missing = self.missing_script()
        if missing:
            return missing
        why = tool_errors.why_failed(self.output, killed=self.timed_out)
        return f"{self.describe()}: {why}" if why else self.describe()

    def explain(self, problem: str) -> str:
        """`problem` with a report (missing, stale, unreadable) and what the command said."""
        if self.ok:
            return f"{problem} (`{self.command}` exited 0)"
        return self.missing_script() or f"{problem}: {self.failure()}"

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


def unreadable_report(problem: str, text: str, run: CommandResult | None) -> ProbeResult:
    """Fail on a report that could not be read from `text`, with what its command said.

    When `text` is the command's output and its start was not kept, that is the cause: said.
    """
    if run is None:
        return ProbeResult.failed(problem)
    if run.cut and text == run.output:
        problem += (
            f" (the command printed more than the {len(run.output):,} characters kept of its "
            "output, so the report's start is gone: write the report to a file)"
        )
    return ProbeResult.failed(run.explain(problem))


def run_command(
    command: str | Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    groups: ProcessGroups | None = None,
    sink: Callable[[bytes], None] | None = None,
) -> CommandResult:
    """Run `command` (a string for the shell, or an argument list) and never leave children.

    Output is read as it comes: only its tail stays in memory, and `sink`, if given, sees all
    of it. With `groups`, the command's process group is tracked there while it runs.
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
        return CommandResult(text, 127, f"command not found: {missing}", 0.0, cwd=cwd)
    except NotADirectoryError:
        return CommandResult(text, 127, f"working directory not found: {cwd}", 0.0, cwd=cwd)
    if groups is not None:
        groups.add(process.pid)
    tail = OutputTail(sink)
    try:
        timed_out = not _read_output(process, tail, started + timeout)
    finally:
        # Also on an exception from outside (pytest-timeout, Ctrl-C): no orphans.
        _kill_group(process)
        if process.stdout is not None:
            process.stdout.close()
        if groups is not None:
            groups.discard(process.pid)
    printed = tail.text()
    return CommandResult(
        command=text,
        returncode=process.returncode if process.returncode is not None else -9,
        output=printed[-OUTPUT_KEPT_CHARS:],
        duration_s=time.monotonic() - started,
        timed_out=timed_out,
        timeout_s=timeout if timed_out else None,
        cwd=cwd,
        cut=len(printed) > OUTPUT_KEPT_CHARS or tail.total_bytes > TAIL_BYTES,
    )


class OutputTail:
    """The last `TAIL_BYTES` of a command's output; all of it goes on to `sink`, if any."""

    def __init__(self, sink: Callable[[bytes], None] | None = None) -> None:
        self._buffer = bytearray()
        self._sink = sink
        self.total_bytes = 0

    def add(self, chunk: bytes) -> None:
        self.total_bytes += len(chunk)
        if self._sink is not None:
            self._sink(chunk)
        self._buffer += chunk
        if len(self._buffer) > 2 * TAIL_BYTES:
            del self._buffer[:-TAIL_BYTES]

    def text(self) -> str:
        return bytes(self._buffer[-TAIL_BYTES:]).decode("utf-8", errors="replace")


def _read_output(process: subprocess.Popen[bytes], tail: OutputTail, deadline: float) -> bool:
    """Read until the output ends; False if `deadline` came first (the group is then killed).

    Once the command itself has exited, what it left behind (a background job holding the
    pipe) gets `_DRAIN_AFTER_KILL_S` to finish writing, not the rest of the timeout.
    """
    assert process.stdout is not None
    fd = process.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if now >= deadline:
                _kill_group(process)
                _drain(fd, selector, tail, time.monotonic() + _DRAIN_AFTER_KILL_S)
                return False
            if process.poll() is not None:
                _drain(fd, selector, tail, min(deadline, now + _DRAIN_AFTER_KILL_S))
                return True
            if selector.select(min(deadline - now, _POLL_S)) and not _read_chunk(fd, tail):
                return _wait(process, deadline)


def _wait(process: subprocess.Popen[bytes], deadline: float) -> bool:
    """The output has ended: wait for the command's exit; False if `deadline` came first."""
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        return False
    return True


def _drain(fd: int, selector: selectors.BaseSelector, tail: OutputTail, until: float) -> None:
    """Read what is left in the pipe, until it ends or `until`."""
    while (left := until - time.monotonic()) > 0:
        if selector.select(left) and not _read_chunk(fd, tail):
            return


def _read_chunk(fd: int, tail: OutputTail) -> bool:
    """One read from the pipe into `tail`; False at the end of the output."""
    chunk = os.read(fd, _CHUNK_BYTES)
    if chunk:
        tail.add(chunk)
    return bool(chunk)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if process.returncode is None:  # not reaped yet: its pid cannot be another process's
        kill_tree(process.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.returncode is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_DRAIN_AFTER_KILL_S)


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"
