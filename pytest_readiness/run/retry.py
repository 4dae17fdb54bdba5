"""Retries for checks that wait on a target to settle after a deploy; never by default.

`@pytest.mark.infra("Health: OK", retry=Retry(attempts=5, backoff=2.0, within=60))`
re-runs only the check's function (not its fixtures: a `db` connection or `http` client
is the same object on every attempt) until it passes, the attempts run out, or the next
attempt would start after `within` seconds. Attempt n+1 waits `backoff * 2**(n-1)`
seconds (2, 4, 8, ... for backoff=2). Every attempt is recorded in the evidence, after
the evidence the attempt itself gathered. The item's timeout and its phase budget cover
all attempts together: give a retried check a `timeout=` at least as long as `within`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.model import ItemTimedOut
from pytest_readiness.run.evidence import EvidenceLog
from pytest_readiness.run.reason import reason_for


@dataclass(frozen=True)
class Retry:
    """How often and for how long a check is re-run until it passes."""

    attempts: int = 3
    backoff: float = 1.0
    within: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise ValueError(f"Retry(attempts=) must be a whole number, got {self.attempts!r}")
        if self.attempts < 1:
            raise ValueError(f"Retry(attempts=) must be at least 1, got {self.attempts}")
        if not _is_seconds(self.backoff) or self.backoff < 0:
            raise ValueError(f"Retry(backoff=) must be seconds >= 0, got {self.backoff!r}")
        if self.within is not None and (not _is_seconds(self.within) or self.within <= 0):
            raise ValueError(f"Retry(within=) must be seconds > 0, got {self.within!r}")

    def delay_after(self, failed_attempt: int) -> float:
        """How long to wait after attempt number `failed_attempt` failed."""
        return float(self.backoff) * float(2 ** (failed_attempt - 1))

    def to_dict(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "backoff": self.backoff, "within": self.within}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Retry:
        return cls(attempts=raw["attempts"], backoff=raw["backoff"], within=raw["within"])


def _is_seconds(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def run_with_retries(
    attempt: Callable[[], object],
    retry: Retry,
    log: EvidenceLog,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Call `attempt` until it passes or `retry` is spent; the last failure propagates."""

    first = clock()
    number = 1
    while True:
        began = clock()
        log.forget_findings()  # the item's findings are those of its last attempt
        try:
            attempt()
        except ItemTimedOut:
            raise  # the item's own time is up: no attempt may outlive it
        except (Exception, pytest.fail.Exception) as exc:
            _record(log, number, retry, "failed", reason_for(exc), clock() - began)
            delay = retry.delay_after(number)
            if number >= retry.attempts or _past_window(retry, clock() - first + delay):
                raise
        else:
            _record(log, number, retry, "passed", "", clock() - began)
            return
        sleep(delay)
        number += 1


def _past_window(retry: Retry, next_start: float) -> bool:
    return retry.within is not None and next_start > retry.within


def _record(
    log: EvidenceLog, number: int, retry: Retry, outcome: str, reason: str, duration: float
) -> None:
    because = f": {reason}" if reason else ""
    log.add(
        "note",
        f"attempt {number} of {retry.attempts} {outcome} in {duration:.2f} s{because}",
        attempt=number,
        outcome=outcome,
        reason=reason,
        duration_s=round(duration, 3),
    )
