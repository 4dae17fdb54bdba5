"""Waivers: accepted, justified, expiring exceptions for failing checklist lines.

A waiver names one runbook line and one environment, says why the risk is accepted
and by whom, and expires on a date (InSpec-style: valid through that day). A failing
line under a valid waiver is `waived`: it keeps its reason and evidence and no longer
blocks GO. An expired waiver does nothing but is reported; a waiver for a line that
passed is reported as unnecessary. The clock is a parameter (`today`), never read here.

A waiver with `finding = "<lint>:<object>"` waives one finding of its line instead: the
line passes when every blocking finding it failed on is waived and nothing else failed.
A finding key the item did not report is shown as `unknown`, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pytest_readiness.model import Finding, Outcome
from pytest_readiness.runbook.lines import (
    RunbookLine,
    closest_line,
    describe_closest,
    name_of,
    normalise,
    resolve,
)
from pytest_readiness.runbook.records import RecordError, check_keys, read_entries, require_text

DEFAULT_PATH = "readiness/waivers.toml"
TABLE = "waiver"
KEYS = ("item", "env", "justification", "accepted_by", "expires", "finding")

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
    # One finding key (`lint:object`) of the line, or None for the whole line.
    finding: str | None = None

    def expired(self, today: date) -> bool:
        """True once the expiry date is in the past (the waiver holds through that day)."""
        return self.expires < today

    def to_dict(self) -> dict[str, Any]:
        out = {
            "item": self.item,
            "env": self.env,
            "justification": self.justification,
            "accepted_by": self.accepted_by,
            "expires": self.expires.isoformat(),
        }
        return {**out, "finding": self.finding} if self.finding else out


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
    path: Path, lines: Sequence[RunbookLine] | None, envs: Collection[str] | None = None
) -> tuple[Waiver, ...]:
    """The waivers in `path`, validated against the runbook lines (and known envs).

    Raises `RecordError` naming the file and the entry for an unknown line (with the
    closest one), an unknown env, a malformed date or a missing justification. Without a
    runbook (`lines` None) waivers name checks, whose titles are checked once collected.
    """
    entries = read_entries(path, TABLE)
    return tuple(
        _parse(path, number, raw, lines, envs) for number, raw in enumerate(entries, start=1)
    )


def decide(
    outcome: Outcome,
    waivers: Iterable[Waiver],
    *,
    title: str,
    env: str,
    today: date,
    line: RunbookLine | None = None,
) -> WaiverDecision:
    """Apply the waivers for `title` (or `line`, named by heading path) in `env` to the
    line's outcome as of `today`."""
    mine = _for_line(waivers, title, env, findings=False, line=line)
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


@dataclass(frozen=True)
class FindingWaiver:
    """What one finding waiver did: `applied`, `expired`, or `unknown` (no such finding)."""

    waiver: Waiver
    status: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.waiver.to_dict(), "status": self.status, "note": self.note}


@dataclass(frozen=True)
class FindingsDecision:
    """The line's outcome after its finding waivers, and what each of them did."""

    outcome: Outcome
    waived: frozenset[str] = frozenset()
    reviewed: tuple[FindingWaiver, ...] = ()


def decide_findings(
    outcome: Outcome,
    findings: Sequence[Finding],
    waivers: Iterable[Waiver],
    *,
    failed_by_findings: bool,
    title: str,
    env: str,
    today: date,
    line: RunbookLine | None = None,
) -> FindingsDecision:
    """Apply the finding waivers for `title` in `env`: a line that failed on blocking
    findings alone passes once each of them is under a current waiver."""
    mine = _for_line(waivers, title, env, findings=True, line=line)
    if not mine:
        return FindingsDecision(outcome)
    keys = {finding.key for finding in findings}
    reviewed = tuple(_review_finding(w, keys, today) for w in mine)
    waived = frozenset(r.waiver.finding or "" for r in reviewed if r.status == "applied")
    blocking = {finding.key for finding in findings if finding.blocking}
    if outcome is Outcome.FAILED and failed_by_findings and blocking <= waived:
        outcome = Outcome.PASSED
    return FindingsDecision(outcome, waived, reviewed)


def _review_finding(waiver: Waiver, keys: Collection[str], today: date) -> FindingWaiver:
    if waiver.finding not in keys:
        return FindingWaiver(
            waiver,
            "unknown",
            f"waiver names finding {waiver.finding}, which "
            "this item did not report (fixed, renamed, or a typo?)",
        )
    if waiver.expired(today):
        return FindingWaiver(
            waiver, "expired", f"finding waiver for {waiver.finding} expired on {waiver.expires}"
        )
    return FindingWaiver(
        waiver,
        "applied",
        f"{waiver.finding} waived until {waiver.expires} by {waiver.accepted_by}: "
        f"{waiver.justification}",
    )


def _for_line(
    waivers: Iterable[Waiver],
    title: str,
    env: str,
    *,
    findings: bool,
    line: RunbookLine | None = None,
) -> list[Waiver]:
    """The waivers of one line in one env: those for the whole line, or those for findings."""
    if not waivers:
        return []
    key = normalise(title)
    return [
        w
        for w in waivers
        if w.env == env and _names(w, key, line) and (w.finding is not None) == findings
    ]


def _names(waiver: Waiver, key: str, line: RunbookLine | None) -> bool:
    """True when the waiver's item is the title, or names `line` by its heading path."""
    if normalise(waiver.item) == key:
        return True
    return line is not None and bool(resolve(waiver.item, (line,)))


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
    lines: Sequence[RunbookLine] | None,
    envs: Collection[str] | None,
) -> Waiver:
    check_keys(path, number, raw, KEYS)
    item = require_text(path, number, raw, "item")
    found = resolve(item, lines) if lines is not None else ()
    if lines is not None and not found:
        near = describe_closest(closest_line(item, lines))
        raise RecordError(path, number, f"unknown runbook line; {near}", item)
    if lines is not None and len(found) > 1:
        names = "; ".join(repr(name_of(line, lines)) for line in found)
        raise RecordError(
            path, number, f"the text of {len(found)} runbook lines; name one: {names}", item
        )
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
        finding=_finding(path, number, raw, item),
    )


def _finding(path: Path, number: int, raw: Mapping[str, Any], item: str) -> str | None:
    """The finding key a waiver names, shaped `lint:object`, or None."""
    if "finding" not in raw:
        return None
    value = raw["finding"]
    lint, _, obj = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not lint.strip() or not obj.strip():
        raise RecordError(
            path,
            number,
            f"finding must be a finding key such as 'rls_policy_always_true:public.posts', "
            f"got {value!r}",
            item,
        )
    return str(value).strip()


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
