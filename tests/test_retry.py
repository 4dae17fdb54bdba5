"""Retries: only checks that ask for them are re-run, and every attempt is in the evidence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_readiness import CheckFailed, Retry
from pytest_readiness.model import ItemTimedOut
from pytest_readiness.run.evidence import EvidenceLog
from pytest_readiness.run.retry import run_with_retries
from tests.conftest import ReadinessProject


class FakeTime:
    """A clock that only moves when something sleeps or an attempt takes time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing_until(passes_on: int) -> tuple[list[int], Callable[[], None]]:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(len(calls) + 1)
        if len(calls) < passes_on:
            raise CheckFailed(f"status 503 on attempt {len(calls)}")

    return calls, attempt


def test_a_check_is_called_until_it_passes_and_every_attempt_is_recorded() -> None:
    time, log = FakeTime(), EvidenceLog()
    calls, attempt = failing_until(3)
    run_with_retries(
        attempt, Retry(attempts=5, backoff=2.0), log, sleep=time.sleep, clock=time.clock
    )
    assert calls == [1, 2, 3]
    assert time.slept == [2.0, 4.0]
    assert [(e.data["attempt"], e.data["outcome"], e.data["reason"]) for e in log.entries] == [
        (1, "failed", "status 503 on attempt 1"),
        (2, "failed", "status 503 on attempt 2"),
        (3, "passed", ""),
    ]


def test_the_last_failure_propagates_when_the_attempts_run_out() -> None:
    time, log = FakeTime(), EvidenceLog()
    calls, attempt = failing_until(99)
    with pytest.raises(CheckFailed, match="attempt 3"):
        run_with_retries(
            attempt, Retry(attempts=3, backoff=1.0), log, sleep=time.sleep, clock=time.clock
        )
    assert calls == [1, 2, 3]
    assert len(log) == 3


def test_no_attempt_starts_after_the_window_closes() -> None:
    time, log = FakeTime(), EvidenceLog()
    calls, attempt = failing_until(99)
    with pytest.raises(CheckFailed):
        run_with_retries(
            attempt,
            Retry(attempts=10, backoff=2.0, within=10),
            log,
            sleep=time.sleep,
            clock=time.clock,
        )
    # waits 2 and 4 (next start at 6 s); the next wait of 8 would start attempt 4 at 14 s
    assert calls == [1, 2, 3]
    assert time.slept == [2.0, 4.0]


def test_running_out_of_item_time_is_never_retried() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        raise ItemTimedOut("timed out after 5 s")

    with pytest.raises(ItemTimedOut):
        run_with_retries(attempt, Retry(attempts=5, backoff=0), EvidenceLog(), sleep=lambda s: None)
    assert calls == [1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attempts": 0}, "attempts=) must be at least 1"),
        ({"attempts": 2.5}, "attempts=) must be a whole number"),
        ({"backoff": -1}, "backoff=) must be seconds >= 0"),
        ({"within": 0}, "within=) must be seconds > 0"),
    ],
)
def test_a_bad_retry_names_the_option(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Retry(**kwargs)  # type: ignore[arg-type]


RETRIED_CHECKS = """
import pathlib
from pytest_readiness import Retry

COUNTER = pathlib.Path(__file__).parent / "attempts"
FIXTURES = pathlib.Path(__file__).parent / "fixtures"

@pytest.fixture
def target():
    FIXTURES.write_text(FIXTURES.read_text() + "x" if FIXTURES.exists() else "x")

@pytest.mark.infra("Health: OK", retry=Retry(attempts=5, backoff=0.01))
def test_settles(target, evidence):
    count = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(count))
    evidence.add("note", f"probe {count}")
    assert count >= 3, f"health returned 503 ({count})"

@pytest.mark.infra("Monitoring: ACTIVE", retry=Retry(attempts=2, backoff=0))
def test_never_settles():
    assert False, "monitoring is down"

@pytest.mark.gate("Build: PASSING")
def test_not_retried(evidence):
    evidence.add("note", "ran")
    assert False, "build broke"
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["in-process", "xdist"])
def test_only_checks_that_ask_are_retried_and_the_report_shows_every_attempt(
    project: ReadinessProject, pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    project.checks(RETRIED_CHECKS)
    result = project.run_subprocess(*workers)
    assert result.ret == 1
    items = project.items()
    settles = items["Health: OK"]
    assert settles["outcome"] == "passed"
    assert [e["summary"].split(" in ")[0] for e in settles["evidence"]] == [
        "probe 1",
        "attempt 1 of 5 failed",
        "probe 2",
        "attempt 2 of 5 failed",
        "probe 3",
        "attempt 3 of 5 passed",
    ]
    assert settles["evidence"][1]["data"]["reason"] == "health returned 503 (1)"
    assert (pytester.path / "checks" / "fixtures").read_text() == "x"  # set up once
    never = items["Monitoring: ACTIVE"]
    assert (never["outcome"], never["reason"]) == ("failed", "monitoring is down")
    assert [e["data"]["attempt"] for e in never["evidence"]] == [1, 2]
    assert [e["summary"] for e in items["Build: PASSING"]["evidence"]] == ["ran"]


def test_a_retry_that_is_not_a_retry_object_is_a_collection_error(
    project: ReadinessProject,
) -> None:
    project.checks('@pytest.mark.infra("Health: OK", retry=5)\ndef test_health(): pass\n')
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*test_health: retry= must be a pytest_readiness.Retry*"])


def test_a_network_timeout_inside_the_check_is_retried_like_any_failure() -> None:
    calls: list[int] = []

    def attempt() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("socket read timed out")

    run_with_retries(attempt, Retry(attempts=2, backoff=0), EvidenceLog(), sleep=lambda s: None)
    assert calls == [1, 1]
