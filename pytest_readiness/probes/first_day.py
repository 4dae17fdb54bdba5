"""The first 24 hours: a measurement in every interval a recurring runbook line states.

"Monitor error rates every hour" holds when the post stage's history for this environment
and deployed version has, in each hour since the deploy, a measurement of the error rate,
each under the runbook's threshold. Until the 24 hours are over the line is pending (with
the next due time); a measurement over the threshold fails it at once; after 24 hours a
missing interval fails it, naming the intervals.

Measurements come from the history (`report/history.py` keeps each post-stage run's
`measurements`); the clock is a parameter, so the rule is tested at any moment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_readiness.model import Evidence
from pytest_readiness.probes._text import counted

FIRST_DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Measurement:
    """One recorded value of a metric, when it was taken and for which version."""

    metric: str
    value: float
    at: datetime
    version: str | None = None


@dataclass(frozen=True)
class Interval:
    """One period the line asks a measurement in: [start, end)."""

    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{_stamp(self.start)}-{_stamp(self.end)}"


@dataclass(frozen=True)
class RecurringResult:
    """`status` is passed, failed or pending; `next_due` is when the next measurement is due."""

    status: str
    reason: str
    evidence: tuple[Evidence, ...]
    next_due: datetime | None = None


def parse_time(text: Any) -> datetime | None:
    """An ISO-8601 time as the reports write it (`...Z`); None if it is not one."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def measurements_from(runs: Iterable[Mapping[str, Any]]) -> list[Measurement]:
    """Every measurement the history's runs recorded, oldest first; malformed ones skipped."""
    found: list[Measurement] = []
    for run in runs:
        for row in run.get("measurements") or []:
            at = parse_time(row.get("at") or run.get("started_at"))
            try:
                value = float(row["value"])
            except (KeyError, TypeError, ValueError):
                continue
            if at is not None and not math.isnan(value):
                found.append(Measurement(str(row.get("metric")), value, at, row.get("version")))
    return sorted(found, key=lambda m: m.at)


def intervals(
    deployed_at: datetime, every: timedelta, span: timedelta = FIRST_DAY
) -> list[Interval]:
    """The consecutive intervals of length `every` that cover `span` from the deploy."""
    count = max(1, math.ceil(span / every))
    return [Interval(deployed_at + every * n, deployed_at + every * (n + 1)) for n in range(count)]


def recurring(
    measurements: Sequence[Measurement],
    *,
    metric: str,
    every: timedelta,
    threshold: float,
    deployed_at: datetime,
    now: datetime,
    version: str | None = None,
    unit: str = "",
) -> RecurringResult:
    """Judge one recurring line over the first 24 hours after `deployed_at`, as of `now`."""
    periods = intervals(deployed_at, every)
    mine = [
        m
        for m in measurements
        if m.metric == metric
        and (version is None or m.version == version)
        and periods[0].start <= m.at < periods[-1].end
    ]
    elapsed = [p for p in periods if p.end <= now]
    missing = [p for p in elapsed if not any(p.holds(m.at) for m in mine)]
    over = [m for m in mine if m.value > threshold]
    table = _table(periods, mine, threshold, now, unit)
    if over:
        worst = max(over, key=lambda m: m.value)
        return RecurringResult(
            "failed",
            f"{metric} over {_show(threshold, unit)} in {counted(len(over), 'measurement')} "
            f"since the deploy: {_show(worst.value, unit)} at {_stamp(worst.at)}",
            (table,),
        )
    named = ", ".join(str(p) for p in missing[:6]) + (" ..." if len(missing) > 6 else "")
    gaps = f"; missing in {named}" if missing else ""
    if now < periods[-1].end:
        due = next(p.end for p in periods if p.end > now)
        so_far = (
            f"{len(elapsed) - len(missing)} of {counted(len(elapsed), 'elapsed interval')} "
            f"measured, all under {_show(threshold, unit)}"
            if elapsed
            else "no interval has ended yet"
        )
        return RecurringResult(
            "pending",
            f"first 24 hours end {_stamp(periods[-1].end)}; {so_far}{gaps}; "
            f"next measurement due by {_stamp(due)}",
            (table,),
            due,
        )
    if missing:
        return RecurringResult(
            "failed",
            f"no {metric} measurement in {len(missing)} of {counted(len(periods), 'interval')} "
            f"of the first 24 hours: {named}",
            (table,),
        )
    return RecurringResult(
        "passed",
        f"{len(periods)} of {counted(len(periods), 'interval')} measured, all under "
        f"{_show(threshold, unit)}",
        (table,),
    )


def _table(
    periods: Sequence[Interval],
    mine: Sequence[Measurement],
    threshold: float,
    now: datetime,
    unit: str,
) -> Evidence:
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for period in periods:
        inside = [m.value for m in mine if period.holds(m.at)]
        state = "measured" if inside else ("missing" if period.end <= now else "not yet due")
        lines.append(f"{period}  {state:<12} {', '.join(_show(v, unit) for v in inside)}")
        rows.append(
            {
                "start": _stamp(period.start),
                "end": _stamp(period.end),
                "state": state,
                "values": inside,
            }
        )
    return Evidence(
        "note",
        f"{counted(len(mine), 'measurement')} in {counted(len(periods), 'interval')}, "
        f"threshold {_show(threshold, unit)}",
        "\n".join(lines),
        {"intervals": rows, "threshold": threshold},
    )


def _show(value: float, unit: str) -> str:
    return f"{value:.2%}" if unit == "%" else f"{value:.3g} {unit}".strip()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
