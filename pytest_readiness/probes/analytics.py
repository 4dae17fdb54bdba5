"""Analytics: real data flowing, i.e. a recent newest event and a non-zero count in the window.

The API answers `{"count": int, "latest_event_at": "<ISO 8601>"}` for the window it is
asked for with `?window_minutes=N`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed, field, get_json, note

COUNT_FIELDS = ("count", "event_count", "events")
LATEST_FIELDS = ("latest_event_at", "newest_event_at", "last_event_at")


def analytics_fresh(
    client: httpx.Client, path: str, *, max_age_minutes: float = 60, now: datetime | None = None
) -> ProbeResult:
    """The newest event is younger than `max_age_minutes` and the window's count is above 0."""
    now = now or datetime.now(UTC)
    try:
        payload = get_json(client, path, params={"window_minutes": f"{max_age_minutes:g}"})
        count = field(payload, COUNT_FIELDS, path)
        latest = parse_timestamp(field(payload, LATEST_FIELDS, path), path)
    except EndpointError as exc:
        return failed(exc)
    age_min = (now - latest).total_seconds() / 60 if latest else None
    row = note(
        f"{counted(count, 'event')} in the last {max_age_minutes:g} min; "
        f"newest {latest or 'never'}",
        count=count,
        latest_event_at=latest.isoformat() if latest else None,
        age_minutes=round(age_min, 1) if age_min is not None else None,
    )
    if latest is None or age_min is None:
        return ProbeResult.failed(f"{path} reports no analytics event at all", [row])
    if age_min > max_age_minutes:
        return ProbeResult.failed(
            f"newest analytics event is {age_min:.0f} min old ({latest:%Y-%m-%d %H:%M} UTC), "
            f"max {max_age_minutes:g} min",
            [row],
        )
    if not isinstance(count, int) or count <= 0:
        return ProbeResult.failed(
            f"{path} counts {counted(count, 'event')} in the last {max_age_minutes:g} min", [row]
        )
    return ProbeResult.passed([row])


def parse_timestamp(value: object, where: str) -> datetime | None:
    """An ISO 8601 timestamp (a trailing Z allowed) as an aware UTC datetime; None stays None."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise EndpointError(f"{where}: {value!r:.40} is not an ISO 8601 timestamp") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
