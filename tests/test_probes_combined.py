"""Several probe results as one item: every reason joined, nothing passes by default."""

from __future__ import annotations

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes.combined import all_of


def test_one_failure_fails_the_whole_and_keeps_every_warning() -> None:
    result = all_of(
        ProbeResult.passed(warnings=["a skipped"]), ProbeResult.failed("b broke", warnings=["c"])
    )
    assert not result.ok
    assert result.reason == "b broke"
    assert result.warnings == ("a skipped", "c")


def test_passing_results_pass() -> None:
    assert all_of(ProbeResult.passed(), ProbeResult.passed()).ok


def test_no_result_at_all_fails_because_nothing_was_checked() -> None:
    result = all_of()
    assert not result.ok
    assert result.reason == "nothing was checked: no probe results to combine"
