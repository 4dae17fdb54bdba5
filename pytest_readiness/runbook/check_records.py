"""Sign-offs and waivers of a checklist with no runbook: they name checks by their titles.

With a runbook, records name runbook lines (`binding.py`). Without one the checklist is
the checks, so a record names a check's title and applies to every item with that title:

- a waiver turns a failed or errored check into `waived`, as it does a runbook line;
- a sign-off stands in for a check that could not run here (`skipped`: no access token in
  this environment, say): a person verified it, so the item is `signed-off`. A sign-off
  never passes a check that failed (that takes a waiver) and is reported as not applied.

A waiver naming no check is a usage error once the checks are collected; a sign-off
naming no check is listed in the report's `records.orphan_signoffs`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pytest_readiness.config import ReadinessConfig
from pytest_readiness.model import Item, Outcome
from pytest_readiness.probes import git as commits
from pytest_readiness.runbook import signoffs, waivers
from pytest_readiness.runbook.check_titles import describe_closest_title
from pytest_readiness.runbook.lines import normalise
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.runbook.signoffs import LineSignOff, Rejected, SignOff
from pytest_readiness.runbook.waivers import Waiver

_FAILING = frozenset({Outcome.FAILED, Outcome.ERROR})


@dataclass(frozen=True)
class CheckRecords:
    """The sign-offs and waivers of a run without a runbook, read once per session."""

    signoffs_path: Path
    waivers_path: Path
    signoffs: tuple[SignOff, ...] = ()
    waivers: tuple[Waiver, ...] = ()

    @property
    def record_paths(self) -> tuple[Path, ...]:
        """Files whose changes do not invalidate a sign-off (committing it moves HEAD)."""
        return (self.signoffs_path, self.waivers_path)


@dataclass(frozen=True)
class _Review:
    """Every sign-off sorted per check title key, plus those naming no check."""

    lines: dict[str, LineSignOff]
    orphans: tuple[Rejected, ...]


def load(config: ReadinessConfig) -> CheckRecords:
    """Read the record files the config names (raises `RecordError` for a bad entry)."""
    signoffs_path = config.root / str(config.raw.get("signoffs", signoffs.DEFAULT_PATH))
    waivers_path = config.root / str(config.raw.get("waivers", waivers.DEFAULT_PATH))
    return CheckRecords(
        signoffs_path,
        waivers_path,
        signoffs.load(signoffs_path),
        waivers.load(waivers_path, None, envs=set(config.envs)),
    )


def unknown_waivers(records: CheckRecords, titles: Collection[str]) -> list[str]:
    """One error per waiver that names no check, with the closest title."""
    keys = {normalise(title) for title in titles}
    return [
        str(
            RecordError(
                records.waivers_path,
                waiver.entry,
                f"no check has this title; {describe_closest_title(waiver.item, titles)}",
                waiver.item,
            )
        )
        for waiver in records.waivers
        if normalise(waiver.item) not in keys
    ]


def waives_failure(records: CheckRecords, title: str, *, env: str, today: date) -> bool:
    """True when a current waiver covers `title`: fail-fast should not stop on its failure."""
    decision = waivers.decide(Outcome.FAILED, records.waivers, title=title, env=env, today=today)
    return decision.outcome is Outcome.WAIVED


def finish_items(
    items: Sequence[Item],
    records: CheckRecords,
    *,
    env: str,
    commit: str | None,
    today: date,
    root: Path,
) -> tuple[tuple[Item, ...], dict[str, Any]]:
    """The items with sign-offs and waivers applied, and the report's `records` object."""
    finished = tuple(items)
    review = _Review({}, ())
    if records.signoffs:  # most runs have neither file: their items pass through as they are
        review = _review(records, sorted({item.title for item in items}), env, commit, root)
        finished = tuple(_apply_signoff(item, review) for item in finished)
    if records.waivers:
        finished = tuple(_apply_waiver(item, records, env, today) for item in finished)
    extra = {
        "records": {
            "signoffs": str(records.signoffs_path),
            "waivers": str(records.waivers_path),
            "orphan_signoffs": [rejected.to_dict() for rejected in review.orphans],
        }
    }
    return finished, extra


def _review(
    records: CheckRecords, titles: Sequence[str], env: str, commit: str | None, root: Path
) -> _Review:
    """Sort the sign-offs into valid and rejected per title; the latest valid one wins."""
    keys = {normalise(title) for title in titles}
    if commit is None:
        commit, counts_at = "(unknown)", lambda _recorded, _current: False
    else:
        counts_at = commits.code_unchanged_since(root, records.record_paths)
    valid: dict[str, SignOff] = {}
    rejected: dict[str, list[Rejected]] = {}
    orphans: list[Rejected] = []
    for signoff in sorted(records.signoffs, key=lambda s: s.when):
        key = normalise(signoff.item)
        if key not in keys:
            near = describe_closest_title(signoff.item, titles)
            orphans.append(Rejected(signoff, f"{signoff.item!r} is not a check title; {near}"))
        elif problem := signoffs.why_not(signoff, env, commit, counts_at):
            rejected.setdefault(key, []).append(Rejected(signoff, problem))
        else:
            valid[key] = signoff
    lines = {
        key: LineSignOff(valid.get(key), tuple(rejected.get(key, ())))
        for key in keys
        if key in valid or key in rejected
    }
    return _Review(lines, tuple(orphans))


def _apply_signoff(item: Item, review: _Review) -> Item:
    """A skipped check that a person signed off is `signed-off`; any other keeps its outcome."""
    status = review.lines.get(normalise(item.title))
    if status is None:
        return item
    record = status.to_dict() or {}
    if item.outcome is Outcome.SKIPPED and status.valid is not None:
        reason = f"{status.valid.describe()}; the check was skipped: {item.reason}"
        return _with(item, record, outcome=Outcome.SIGNED_OFF, reason=reason)
    if item.outcome is Outcome.SKIPPED:
        why = "; ".join(r.reason for r in status.rejected)
        return _with(item, record, reason=f"{item.reason} ({why})" if item.reason else why)
    if status.valid is not None:
        record["note"] = _not_applied(item.outcome)
    return _with(item, record)


def _not_applied(outcome: Outcome) -> str:
    if outcome.is_ok:
        return f"sign-off unnecessary: item {outcome}"
    if outcome in _FAILING:
        return f"sign-off not applied: item {outcome} (a failing check needs a waiver)"
    return f"sign-off not applied: item {outcome}"


def _apply_waiver(item: Item, records: CheckRecords, env: str, today: date) -> Item:
    decision = waivers.decide(item.outcome, records.waivers, title=item.title, env=env, today=today)
    waiver = decision.to_dict()
    if waiver is None:
        return item
    reason = item.reason
    if decision.outcome is Outcome.WAIVED:
        reason = f"{item.reason} ({decision.note})" if item.reason else decision.note
    return replace(
        item, outcome=decision.outcome, reason=reason, extra={**item.extra, "waiver": waiver}
    )


def _with(item: Item, signoff: dict[str, Any], **changes: Any) -> Item:
    return replace(item, extra={**item.extra, "signoff": signoff}, **changes)
