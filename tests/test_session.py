"""The run's state: timestamps as the report writes them."""

from __future__ import annotations

import gc
import random
from datetime import UTC, datetime

import pytest

from pytest_readiness.run.session import _iso
from tests.conftest import ReadinessProject


def as_datetime_formats_it(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="milliseconds")
    return moment.removesuffix("+00:00") + "Z"


@pytest.mark.parametrize(
    "timestamp",
    [0.0, 1764072000.0, 1764072000.0005, 1764072000.9995, 1764072059.9999996, 1725477085.3999994],
)
def test_timestamps_name_the_millisecond_datetime_names(timestamp: float) -> None:
    assert _iso(timestamp) == as_datetime_formats_it(timestamp)


def test_timestamps_agree_with_datetime_over_many_random_instants() -> None:
    draw = random.Random(7)
    for _ in range(20_000):
        timestamp = draw.uniform(1.7e9, 1.8e9)
        assert _iso(timestamp) == as_datetime_formats_it(timestamp)


def test_a_timestamp_that_rounds_up_carries_into_the_next_minute() -> None:
    assert _iso(1764072059.9999996) == "2025-11-25T12:01:00.000Z"


FREEZE_SEEN = """
import atexit
import gc


def pytest_unconfigure(config):
    atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}"))
"""


def test_a_big_run_leaves_its_objects_to_the_exit_not_to_five_garbage_collections(
    project: ReadinessProject,
) -> None:
    """pytest collects garbage five times at exit: seconds over a 10,000-item heap."""
    project.checks(
        "@pytest.mark.gate('Build: PASSING')\n"
        "@pytest.mark.parametrize('k', range(1000))\n"
        "def test_build(k):\n"
        "    pass\n"
    )
    project.pytester.makeconftest(FREEZE_SEEN)
    result = project.run_subprocess()
    result.stdout.fnmatch_lines(["frozen at exit: True"])


def test_a_small_run_inside_another_process_leaves_its_garbage_collectable(
    project: ReadinessProject,
) -> None:
    project.checks("@pytest.mark.gate('Build: PASSING')\ndef test_build():\n    pass\n")
    project.run().assert_outcomes(passed=1)
    assert gc.get_freeze_count() == 0
