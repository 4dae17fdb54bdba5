"""Waivers: accepted, justified, expiring exceptions for failing checklist lines.

A waiver names one runbook line and one environment, says why the risk is accepted
and by whom, and expires on a date (InSpec-style: valid through that day). A failing
line under a valid waiver is `waived`: it keeps its reason and evidence and no longer
blocks GO. An expired waiver does nothing but is reported; a waiver for a line that
passed is reported as unnecessary. The clock is a parameter (`today`), never read here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pytest_readiness.model import Outcome
from pytest_readiness.runbook.lines import RunbookLine, closest_line, describe_closest, normalise
from pytest_readiness.runbook.records import RecordError, check_keys, read_entries, require_text

DEFAULT_PATH = "readiness/waivers.toml"
TABLE = "waiver"
KEYS = ("item", "env", "justification", "accepted_by", "expires")

WAIVABLE = frozenset({Outcome.FAILED, Outcome.ERROR, Outcome.MANUAL})
NEEDLESS = frozenset({Outcome.PASSED, Outcome.SIGNED_OFF})


@dataclass(frozen=True)
class Waiver:
    """One accepted risk for one runbook line in one environment, until a date."""

    item: str
    env: str
    justification: str
    accepted_by: str
    expires: date
    entry: int = 0

    def expired(self, today: date) -> bool:
        """True once the expiry date is in the past (the waiver holds through that day)."""
        return self.expires < today

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "env": self.env,
            "justification": self.justification,
            "accepted_by": self.accepted_by,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True)
class WaiverDecision:
    """What the waivers did to one line's outcome, and the sentence the report shows."""

    outcome: Outcome
    status: str = "none"
    waiver: Waiver | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any] | None:
        """The JSON `waiver` object, or None when no waiver concerns the line."""
        if self.waiver is None:
            return None
        return {**self.waiver.to_dict(), "status": self.status, "note": self.note}


def load(
    path: Path, lines: Sequence[RunbookLine], envs: Collection[str] | None = None
) -> tuple[Waiver, ...]:
    """The waivers in `path`, validated against the runbook lines (and known envs).

    Raises `RecordError` naming the file and the entry for an unknown line (with the
    closest one), an unknown env, a malformed date or a missing justification.
    """
    entries = read_entries(path, TABLE)
    return tuple(
        _parse(path, number, raw, lines, envs) for number, raw in enumerate(entries, start=1)
    )


def decide(
    outcome: Outcome, waivers: Iterable[Waiver], *, title: str, env: str, today: date
) -> WaiverDecision:
    """Apply the waivers for `title` in `env` to the line's outcome as of `today`."""
    key = normalise(title)
    mine = [w for w in waivers if w.env == env and normalise(w.item) == key]
    if not mine:
        return WaiverDecision(outcome)
    current = [w for w in mine if not w.expired(today)]
    best = max(current or mine, key=lambda w: w.expires)
    if outcome in NEEDLESS:
        return WaiverDecision(outcome, "unnecessary", best, f"waiver unnecessary: item {outcome}")
    if outcome not in WAIVABLE:
        return WaiverDecision(outcome, "unused", best, f"waiver not applied: item {outcome}")
    if not current:
        return WaiverDecision(outcome, "expired", best, f"waiver expired on {best.expires}")
    note = (
        f"waived until {best.expires} by {best.accepted_by}: {best.justification}"
        if outcome is not Outcome.MANUAL
        else f"sign-off waived until {best.expires} by {best.accepted_by}: {best.justification}"
    )
    return WaiverDecision(Outcome.WAIVED, "applied", best, note)


def decide_all(
    outcomes: Mapping[str, Outcome], waivers: Sequence[Waiver], *, env: str, today: date
) -> dict[str, WaiverDecision]:
    """`decide` for every title in `outcomes`."""
    return {
        title: decide(outcome, waivers, title=title, env=env, today=today)
        for title, outcome in outcomes.items()
    }


def _parse(
    path: Path,
    number: int,
    raw: Mapping[str, Any],
    lines: Sequence[RunbookLine],
    envs: Collection[str] | None,
) -> Waiver:
    check_keys(path, number, raw, KEYS)
    item = require_text(path, number, raw, "item")
    keys = {line.key for line in lines}
    if normalise(item) not in keys:
        near = describe_closest(closest_line(item, lines))
        raise RecordError(path, number, f"unknown runbook line; {near}", item)
    env = require_text(path, number, raw, "env")
    if envs is not None and env not in envs:
        known = ", ".join(sorted(envs))
        raise RecordError(path, number, f"unknown env {env!r} (known: {known})", item)
    return Waiver(
        item=item,
        env=env,
        justification=require_text(path, number, raw, "justification"),
        accepted_by=require_text(path, number, raw, "accepted_by"),
        expires=_expires(path, number, raw, item),
        entry=number,
    )


def _expires(path: Path, number: int, raw: Mapping[str, Any], item: str) -> date:
    value = raw.get("expires")
    if value is None:
        raise RecordError(path, number, "missing expires (a date such as 2026-12-31)", item)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RecordError(
        path, number, f"expires must be a date such as 2026-12-31, got {value!r}", item
    )
