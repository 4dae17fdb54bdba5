"""No process a check started outlives its item: orphans come back to us and are swept.

Killing a command's process group misses what left it (`setsid`, a double fork): such a
process is re-parented to init and runs on after the run. On Linux the readiness process
(and each xdist worker) makes itself a child subreaper, so those orphans are re-parented to
it instead; then every descendant that was not there at a mark can be found and killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from collections.abc import Callable, Collection

import psutil

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
_ROUNDS = 5  # a descendant may fork while the sweep kills its parent: look again
_REAP_WAIT_S = 1.0

Mark = frozenset[tuple[int, float]]


def become_subreaper() -> Callable[[], None]:
    """Adopt orphaned descendants (Linux); returns what gives the previous setting back."""
    if not sys.platform.startswith("linux"):
        return lambda: None
    libc = ctypes.CDLL(None, use_errno=True)
    previous = ctypes.c_int(0)
    libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(previous), 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    return lambda: libc.prctl(PR_SET_CHILD_SUBREAPER, previous.value, 0, 0, 0)


def mark() -> Mark:
    """The descendants alive now; a later `sweep` spares exactly these."""
    if _childless():  # before psutil.Process(), which reads /proc too
        return frozenset()
    return frozenset(_identity(p) for p in _descendants(psutil.Process()))


def sweep(since: Mark, *, owned: Collection[int] = ()) -> list[str]:
    """SIGKILL every descendant not in `since`, and reap the ones that are our children.

    `owned` are pids a live `Popen` will still wait for: killed, but not reaped here (that
    would steal their exit status). Returns what was killed, e.g. `sleep 77 (pid 4242)`.
    """
    if _childless():
        return []
    me = psutil.Process()
    killed: list[str] = []
    for _ in range(_ROUNDS):
        new = [p for p in _descendants(me) if _identity(p) not in since]
        running = [p for p in new if _status(p) != psutil.STATUS_ZOMBIE]
        for process in running:
            described = _describe(process)
            with contextlib.suppress(psutil.Error):
                process.kill()
                killed.append(described)
        _reap([p.pid for p in new if _parent(p) == me.pid and p.pid not in owned])
        if not running:
            break
    return killed


def kill_tree(pid: int) -> None:
    """SIGKILL every descendant of `pid` (wherever its session or group), then `pid`."""
    try:
        root = psutil.Process(pid)
        family = [*_descendants(root), root]
    except psutil.Error:
        return
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return list(process.children(recursive=True))
    except psutil.Error:
        return []


def _childless() -> bool:
    """True when this process has no child, so no descendant (orphans come back to us).

    One system call, where psutil reads every process of the machine (milliseconds per item
    on a busy host). WNOWAIT: a child that exited stays waitable by whoever owns it.
    """
    if not hasattr(os, "waitid"):  # not on macOS: ask psutil
        return False
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False


def _reap(pids: list[int]) -> None:
    """Wait for killed children, so none is left a zombie; gives up after a second."""
    deadline = time.monotonic() + _REAP_WAIT_S
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.01)


def _identity(process: psutil.Process) -> tuple[int, float]:
    """pid and start time: a pid reused by a later process is a different process."""
    try:
        return process.pid, process.create_time()
    except psutil.Error:
        return process.pid, 0.0


def _status(process: psutil.Process) -> str:
    try:
        return str(process.status())
    except psutil.Error:
        return psutil.STATUS_DEAD


def _parent(process: psutil.Process) -> int | None:
    try:
        return process.ppid()
    except psutil.Error:
        return None


def _describe(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        command = "?"
    return f"{command[:120]} (pid {process.pid})"
