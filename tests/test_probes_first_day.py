"""The first 24 hours: a measurement in every stated interval, judged with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_readiness.probes.first_day import Measurement, intervals, measurements_from, recurring

DEPLOY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def hourly(values: dict[int, float], metric: str = "error_rate") -> list[Measurement]:
    """One measurement 5 minutes into each listed hour after the deploy."""
    return [
        Measurement(metric, value, DEPLOY + HOUR * hour + timedelta(minutes=5), "v1")
        for hour, value in values.items()
    ]


def judge(measured: list[Measurement], now: datetime, every: timedelta = HOUR):
    return recurring(
        measured,
        metric="error_rate",
        every=every,
        threshold=0.005,
        deployed_at=DEPLOY,
        now=now,
        unit="%",
    )


def test_every_hour_measured_and_under_the_threshold_passes_after_24_hours() -> None:
    result = judge(hourly(dict.fromkeys(range(24), 0.001)), DEPLOY + 24 * HOUR)
    assert result.status == "passed"
    assert result.reason == "24 of 24 intervals measured, all under 0.50%"


def test_missing_hours_fail_after_24_hours_naming_them() -> None:
    values = {hour: 0.001 for hour in range(24) if hour not in (3, 17)}
    result = judge(hourly(values), DEPLOY + 25 * HOUR)
    assert result.status == "failed"
    assert result.reason == (
        "no error_rate measurement in 2 of 24 intervals of the first 24 hours: "
        "2026-12-01T11:00Z-2026-12-01T12:00Z, 2026-12-02T01:00Z-2026-12-02T02:00Z"
    )


def test_within_24_hours_it_is_pending_with_the_next_due_time_and_the_gaps_so_far() -> None:
    result = judge(hourly({0: 0.001, 2: 0.002}), DEPLOY + 3 * HOUR + timedelta(minutes=30))
    assert result.status == "pending"
    assert result.next_due == DEPLOY + 4 * HOUR
    assert result.reason == (
        "first 24 hours end 2026-12-02T08:00Z; 2 of 3 elapsed intervals measured, all under "
        "0.50%; missing in 2026-12-01T09:00Z-2026-12-01T10:00Z; "
        "next measurement due by 2026-12-01T12:00Z"
    )


def test_a_measurement_over_the_threshold_fails_at_once_even_within_24_hours() -> None:
    result = judge(hourly({0: 0.001, 1: 0.012}), DEPLOY + 2 * HOUR)
    assert result.status == "failed"
    assert result.reason == (
        "error_rate over 0.50% in 1 measurement since the deploy: 1.20% at 2026-12-01T09:05Z"
    )


def test_every_two_hours_needs_twelve_intervals_not_twenty_four() -> None:
    two_hourly = [
        Measurement("error_rate", 0.001, DEPLOY + 2 * HOUR * n + HOUR, "v1") for n in range(12)
    ]
    result = judge(two_hourly, DEPLOY + 24 * HOUR, every=2 * HOUR)
    assert result.status == "passed"
    assert len(intervals(DEPLOY, 2 * HOUR)) == 12


def test_other_metrics_and_measurements_outside_the_first_day_do_not_count() -> None:
    measured = [
        *hourly(dict.fromkeys(range(24), 0.001), metric="p95_s"),
        Measurement("error_rate", 0.001, DEPLOY - HOUR, "v1"),
    ]
    result = judge(measured, DEPLOY + 24 * HOUR)
    assert result.status == "failed"
    assert result.reason.startswith("no error_rate measurement in 24 of 24 intervals")


def test_measurements_are_read_from_history_runs_skipping_malformed_rows() -> None:
    runs = [
        {
            "started_at": "2026-12-01T08:05:00Z",
            "measurements": [
                {"metric": "error_rate", "value": 0.002, "at": "2026-12-01T08:06:00Z"},
                {"metric": "error_rate", "value": "not a number"},
                {"metric": "p95_s", "value": 0.4, "version": "v1"},
            ],
        },
        {"started_at": "2026-12-01T09:05:00Z"},
    ]
    found = measurements_from(runs)
    assert [(m.metric, m.value, m.at.hour, m.at.minute) for m in found] == [
        ("p95_s", 0.4, 8, 5),
        ("error_rate", 0.002, 8, 6),
    ]


def test_right_after_the_deploy_it_is_pending_until_the_first_interval_ends() -> None:
    result = judge([], DEPLOY + timedelta(minutes=10))
    assert result.status == "pending"
    assert result.reason == (
        "first 24 hours end 2026-12-02T08:00Z; no interval has ended yet; "
        "next measurement due by 2026-12-01T09:00Z"
    )
