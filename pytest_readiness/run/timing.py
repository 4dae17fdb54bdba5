"""Time budgets of a readiness run: every item's timeout and every phase's budget.

pytest-timeout still decides *whether* and *how long*: its `timeout` option holds the
environment's `timeout`, and its `timeout` marker, set by `collection._apply_timeout`, a
check's own `timeout=`. We take over its timer through its `pytest_timeout_set_timer` /
`pytest_timeout_cancel_timer` hooks because its own handler dumps every thread's stack
to the terminal and leaves child processes running. Ours kills the item's command
process groups and raises `ItemTimedOut`, whose message is the item's one-line reason.

A phase budget (`phase_budgets`, seconds per phase name, top level or per environment)
runs from the moment the phase's first item starts. An item that would start after the
deadline fails without running; a running item's timer is capped by what is left.

Under pytest-xdist the workers must agree on when a phase started. The barrier releases
a phase to every worker at once, so a worker-local clock would be close, but a worker
whose first item of the phase comes later would get a later deadline. Instead the first
worker to start an item of the phase creates ``phase-<n>.started`` (exclusive create) in
the run's shared phase directory, with its start time; the others read it. That costs
one small file per phase and needs nothing from the controller or the scheduler.
"""

from __future__ import annotations

import functools
import importlib
import json
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pytest_readiness.model import ItemTimedOut
from pytest_readiness.run.fixtures import process_groups
from pytest_readiness.run.session import ReadinessSession

PLUGIN_NAME = "readiness-budgets"

# The handler as installed. `signal.getsignal` turns it into an enum member where it can, and
# for a Python handler that is a ValueError raised and caught: most of what arming an item
# cost. CPython's `_signal` answers as it is.
_getsignal: Callable[[int], Any]
try:
    _getsignal = importlib.import_module("_signal").getsignal
except (ImportError, AttributeError):  # another Python
    _getsignal = signal.getsignal


def phase_budgets(readiness: ReadinessSession) -> dict[str, float]:
    """The budgets by phase name: the environment's override the top level's.

    A name is a category (every phase of it) or, with a runbook, a mapped heading's title.
    """
    top = readiness.config.raw.get("phase_budgets", {})
    own = readiness.environment.get("phase_budgets", {}) or {}
    budgets = {str(k): float(v) for k, v in {**top, **own}.items()}
    known = [*readiness.config.phases, *_heading_names(readiness)]
    unknown = sorted(set(budgets) - set(known))
    if unknown:
        where = readiness.config.source or "[tool.readiness]"
        raise pytest.UsageError(
            f"{where}: phase_budgets.{unknown[0]} is not a phase "
            f"(phases: {', '.join(dict.fromkeys(known))})"
        )
    return budgets


def _heading_names(readiness: ReadinessSession) -> list[str]:
    """The titles of the runbook's headings that lines belong to (their phase headings)."""
    if readiness.runbook is None:
        return []
    paths = {line.phase_path for line in readiness.runbook.runbook.lines if line.phase_path}
    return sorted(path[-1] for path in paths)


def budget_exceeded(budget_s: float) -> str:
    return f"phase budget of {budget_s:g} s exceeded"


def timed_out(timeout_s: float) -> str:
    return f"timed out after {timeout_s:g} s"


class PhaseClock:
    """When each phase started in this run (shared with the other workers through files)."""

    def __init__(self, shared_dir: Path | None) -> None:
        self._shared_dir = shared_dir
        self._started: dict[int, float] = {}

    def start(self, phase: int) -> float:
        """The phase's start time; the first call of the run sets it to now."""
        if phase not in self._started:
            self._started[phase] = self._claim(phase, time.time())
        return self._started[phase]

    def _claim(self, phase: int, now: float) -> float:
        if self._shared_dir is None:
            return now
        path = self._shared_dir / f"phase-{phase}.started"
        try:
            with path.open("x", encoding="utf-8") as stream:
                json.dump(now, stream)
            return now
        except FileExistsError:
            return _read_start(path, now)


def _read_start(path: Path, fallback: float) -> float:
    # The creator writes right after creating: an empty file means "just now".
    for _ in range(50):
        text = path.read_text(encoding="utf-8")
        if text:
            return float(json.loads(text))
        time.sleep(0.01)
    return fallback


class TimeBudgets:
    """pytest-timeout's timer, taken over: quiet one-line reasons, no surviving children."""

    def __init__(self, readiness: ReadinessSession, shared_dir: Path | None) -> None:
        self._readiness = readiness
        self._by_name = phase_budgets(readiness)
        self._clock = PhaseClock(shared_dir)
        self._alarm = Alarm()

    @property
    def any(self) -> bool:
        """True when some phase has a budget."""
        return bool(self._by_name)

    @functools.cached_property
    def _budgets(self) -> dict[int, float]:
        """Budget by phase number, asked once the plan fixed the phases (first item)."""
        budgets = {}
        for order, phase in enumerate(self._readiness.phases.phases, start=1):
            budget = self._by_name.get(phase.name, self._by_name.get(phase.category or ""))
            if budget is not None:
                budgets[order] = budget
        return budgets

    def deadline(self, item: pytest.Item) -> tuple[float, float] | None:
        """(deadline, budget) of the item's phase, or None when the phase has no budget."""
        if not self._budgets:
            return None
        spec = self._readiness.spec(item.nodeid)
        if spec is None or spec.phase not in self._budgets:
            return None
        budget = self._budgets[spec.phase]
        return self._clock.start(spec.phase) + budget, budget

    def over_budget(self, item: pytest.Item) -> str | None:
        """The reason `item` must fail without running, when its phase's time is up."""
        limit = self.deadline(item)
        if limit is None or time.time() < limit[0]:
            return None
        return budget_exceeded(limit[1])

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        if threading.current_thread() is not threading.main_thread():
            return None  # no signals here: pytest-timeout's thread method takes over
        timeout = float(settings.timeout)
        seconds, reason = timeout, functools.partial(timed_out, timeout)
        limit = self.deadline(item)
        if limit is not None and limit[0] - time.time() < seconds:
            seconds, reason = limit[0] - time.time(), functools.partial(budget_exceeded, limit[1])
        if seconds <= 0:
            return True  # the setup check fails the item before it runs
        self._alarm.arm(item, seconds, reason)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        return True if self._alarm.disarm(item) else None

    def pytest_unconfigure(self) -> None:
        self._alarm.close()


class Alarm:
    """SIGALRM for the running item: on expiry kill its commands and raise `ItemTimedOut`.

    The handler is installed once and each item only sets the timer, where pytest-timeout
    installs and restores a handler around every item. It is installed again if a check
    replaced it, and the handler found first is given back at the end of the run. An expiry
    while pytest reports on the item, between two of its phases, waits for the next phase.
    """

    def __init__(self) -> None:
        self._handler = self._expire
        self._previous: Any = None
        self._installed = False
        self._armed: tuple[pytest.Item, Callable[[], str]] | None = None
        self._deferred_s = 0.0  # how long the armed item's expiry has waited for a phase

    def arm(self, item: pytest.Item, seconds: float, reason: Callable[[], str]) -> None:
        """Raise `ItemTimedOut(reason())` in `seconds` (the reason is made only if it fires)."""
        current = _getsignal(signal.SIGALRM)
        if current is not self._handler:
            if not self._installed:
                self._previous, self._installed = current, True
            signal.signal(signal.SIGALRM, self._handler)
        self._armed, self._deferred_s = (item, reason), 0.0
        signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm(self, item: pytest.Item) -> bool:
        """Stop the timer if it runs for `item`; False if it was never set for it."""
        if self._armed is None or self._armed[0] is not item:
            return False
        signal.setitimer(signal.ITIMER_REAL, 0)
        self._armed = None
        return True

    def close(self) -> None:
        """Give SIGALRM back to whoever had it before the run."""
        if self._installed and threading.current_thread() is threading.main_thread():
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous or signal.SIG_DFL)
            self._installed = False

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        armed = self._armed
        if armed is None:
            return  # the timer was stopped as it fired
        if not _in_phase(frame) and self._deferred_s < _DEFER_LIMIT_S:
            # pytest is reporting on the item between two of its phases: raised there, the
            # error would end the run (INTERNALERROR). The item's next phase gets it; a
            # reporting hook that hangs gets it after `_DEFER_LIMIT_S`.
            self._deferred_s += _RETRY_S
            signal.setitimer(signal.ITIMER_REAL, _RETRY_S)
            return
        self._armed = None
        item, reason = armed
        process_groups(item).kill_all()
        raise ItemTimedOut(reason())


# How soon an expiry that came between two phases of an item is tried again, and for how
# long at most.
_RETRY_S = 0.01
_DEFER_LIMIT_S = 10.0
_FROM_CALL = pytest.CallInfo.from_call.__code__


def _in_phase(frame: FrameType | None) -> bool:
    """True inside a phase of an item (setup, call, teardown): below `CallInfo.from_call`,
    which turns what the phase raises into the item's failure."""
    while frame is not None:
        if frame.f_code is _FROM_CALL:
            return True
        frame = frame.f_back
    return False


def register_budgets(config: pytest.Config, readiness: ReadinessSession) -> TimeBudgets:
    """Make the budgets plugin; it takes pytest-timeout's timer only when that is installed."""
    shared = None
    workerinput: Mapping[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:  # an xdist worker: phase clocks are shared through files
        from pytest_readiness.run.xdist import PHASE_DIR_KEY

        shared = workerinput.get(PHASE_DIR_KEY)
    budgets = TimeBudgets(readiness, Path(shared) if shared else None)
    if config.pluginmanager.hasplugin("timeout"):
        # pytest-timeout's default for items without a `timeout` marker: its pytest_configure
        # reads the option after ours, which runs first (tryfirst).
        config.option.timeout = readiness.environment.timeout
        config.pluginmanager.register(budgets, PLUGIN_NAME)
    return budgets
