"""The readiness report as plain data: items, outcomes, evidence and the verdict.

Nothing here knows pytest or does I/O; every output format renders a `Report`.
"""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
POST_STAGE = "post"
STAGES = ("pre", POST_STAGE)
# The runbook's "Assess severity": P0 immediate rollback, P1 hotfix or rollback, P2 schedule.
SEVERITIES = ("P0", "P1", "P2")


class CheckFailed(AssertionError):
    """Raised by a check or fixture to fail the running item with a one-line reason."""


class Outcome(enum.StrEnum):
    """What happened to one checklist item."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not-run"
    WAIVED = "waived"
    MANUAL = "manual"
    SIGNED_OFF = "signed-off"

    @property
    def is_ok(self) -> bool:
        """True when the item counts as done for the verdict."""
        return self in _OK_OUTCOMES


_OK_OUTCOMES = frozenset({Outcome.PASSED, Outcome.WAIVED, Outcome.SIGNED_OFF})


class Verdict(enum.StrEnum):
    """The answer the release approver reads first."""

    GO = "GO"
    NO_GO = "NO-GO"
    ROLLBACK = "ROLLBACK"


class Category(enum.StrEnum):
    """The runbook sections a check belongs to; each is a pytest marker."""

    GATE = "gate"
    DB = "db"
    INFRA = "infra"
    FEATURE = "feature"
    DOCS = "docs"


CATEGORY_TITLES: Mapping[str, str] = {
    Category.GATE: "Code Quality Gates",
    Category.DB: "Database Readiness",
    Category.INFRA: "Infrastructure Readiness",
    Category.FEATURE: "Feature Completeness",
    Category.DOCS: "Documentation Completeness",
}


@dataclass(frozen=True)
class Evidence:
    """One thing a check saw: a command, an HTTP exchange, a query, a note."""

    kind: str
    summary: str
    detail: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "detail": self.detail,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Evidence:
        return cls(
            kind=str(raw.get("kind", "note")),
            summary=str(raw.get("summary", "")),
            detail=str(raw.get("detail", "")),
            data=dict(raw.get("data") or {}),
        )


@dataclass(frozen=True)
class ProbeResult:
    """What a probe found: whether the item holds, why not, and what it saw."""

    ok: bool
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def passed(cls, evidence: Iterable[Evidence] = (), warnings: Iterable[str] = ()) -> ProbeResult:
        return cls(True, "", tuple(evidence), tuple(warnings))

    @classmethod
    def failed(
        cls, reason: str, evidence: Iterable[Evidence] = (), warnings: Iterable[str] = ()
    ) -> ProbeResult:
        return cls(False, reason, tuple(evidence), tuple(warnings))


@dataclass(frozen=True)
class Item:
    """One checklist line and what became of it in this run."""

    id: str
    title: str
    category: str
    phase: int
    blocking: bool = True
    outcome: Outcome = Outcome.NOT_RUN
    reason: str = ""
    duration_s: float = 0.0
    started_at: str | None = None
    finished_at: str | None = None
    evidence: tuple[Evidence, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_blocker(self) -> bool:
        return self.blocking and not self.outcome.is_ok

    @property
    def is_warning(self) -> bool:
        return not self.blocking and not self.outcome.is_ok

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "phase": self.phase,
            "blocking": self.blocking,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class PhaseSummary:
    """How one phase (category) of the run went."""

    name: str
    order: int
    status: str
    items: int
    counts: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "order": self.order,
            "status": self.status,
            "items": self.items,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Report:
    """The whole run: the single source every output renders."""

    env: str
    items: tuple[Item, ...]
    phases: tuple[str, ...]
    started_at: str
    finished_at: str
    complete: bool = True
    stage: str = "pre"
    commit: str | None = None
    duration_s: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property  # items are immutable; every output asks again
    def blockers(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_blocker)

    @functools.cached_property  # items are immutable; every output asks again
    def warnings(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_warning)

    @functools.cached_property  # items are immutable; every output asks again
    def triggers(self) -> tuple[Item, ...]:
        """Post stage: failed items that hit a rollback trigger (their `extra["trigger"]`)."""
        if self.stage != POST_STAGE:
            return ()
        return tuple(item for item in self.items if item_trigger(item) is not None)

    @functools.cached_property  # items are immutable; every output asks again
    def verdict(self) -> Verdict:
        """The one verdict computation: ROLLBACK (post stage, a trigger hit), NO-GO or GO."""
        if self.triggers:
            return Verdict.ROLLBACK
        if not self.complete or not self.items or self.blockers:
            return Verdict.NO_GO
        return Verdict.GO

    @property
    def by_severity(self) -> dict[str, tuple[Item, ...]]:
        """Failing items grouped by their severity label (P0, P1, P2), most severe first."""
        groups: dict[str, list[Item]] = {level: [] for level in SEVERITIES}
        for item in self.items:
            level = item.extra.get("severity")
            if not item.outcome.is_ok and level in groups:
                groups[str(level)].append(item)
        return {level: tuple(items) for level, items in groups.items() if items}

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)  # a copy: callers put it in their output

    @functools.cached_property  # items are immutable; every output asks again
    def _counts(self) -> dict[str, int]:
        tally = Counter(str(item.outcome) for item in self.items)
        return {str(outcome): tally.get(str(outcome), 0) for outcome in Outcome}

    @functools.cached_property  # items are immutable; every output asks again
    def by_phase(self) -> dict[int, tuple[Item, ...]]:
        """The items of each phase number, in run order."""
        groups: dict[int, list[Item]] = {}
        for item in self.items:
            groups.setdefault(item.phase, []).append(item)
        return {order: tuple(items) for order, items in groups.items()}

    @functools.cached_property  # items are immutable; every output asks again
    def phase_summaries(self) -> tuple[PhaseSummary, ...]:
        return tuple(
            _summarise_phase(name, order, self.by_phase.get(order, ()))
            for order, name in enumerate(self.phases, start=1)
        )

    @property
    def sentence(self) -> str:
        """One line for a person: the verdict and why."""
        verdict = self.verdict
        if verdict is Verdict.ROLLBACK:
            return _rollback_sentence(self.triggers)
        if not self.items:
            return f"{verdict}: no checklist items were run."
        if not self.complete:
            missing = sum(1 for i in self.items if i.outcome is Outcome.NOT_RUN)
            total = len(self.items)
            return f"{verdict}: the run was interrupted; {missing} of {total} items were not run."
        blockers = self.blockers
        if not blockers:
            warned = len(self.warnings)
            tail = f" ({warned} non-blocking warning{'s' if warned != 1 else ''})" if warned else ""
            blocking = sum(1 for item in self.items if item.blocking)
            return f"{verdict}: all {blocking} blocking items passed{tail}."
        sections = _ordered_unique(
            CATEGORY_TITLES.get(item.category, item.category) for item in blockers
        )
        noun = "item" if len(blockers) == 1 else "items"
        return f"{verdict}: {len(blockers)} blocking {noun} failed in {', '.join(sections)}."

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "env": self.env,
            "stage": self.stage,
            "verdict": str(self.verdict),
            "sentence": self.sentence,
            "complete": self.complete,
            "commit": self.commit,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": round(self.duration_s, 3),
            "counts": self.counts,
            "phases": [p.to_dict() for p in self.phase_summaries],
            "blockers": [item.id for item in self.blockers],
            "triggers": [item.id for item in self.triggers],
            "warnings": [item.id for item in self.warnings],
            "items": [item.to_dict() for item in self.items],
        }
        out.update(self.extra)
        return out


def item_trigger(item: Item) -> str | None:
    """The rollback trigger a failed or errored item hit, if any (set in the post stage)."""
    trigger = item.extra.get("trigger")
    if trigger and item.outcome in (Outcome.FAILED, Outcome.ERROR):
        return str(trigger)
    return None


def _rollback_sentence(triggers: Sequence[Item]) -> str:
    hits = "; ".join(f"{item_trigger(item)} ({item.title}: {item.reason})" for item in triggers)
    noun = "trigger" if len(triggers) == 1 else "triggers"
    return f"{Verdict.ROLLBACK}: rollback {noun} hit: {hits}."


def _summarise_phase(name: str, order: int, items: Sequence[Item]) -> PhaseSummary:
    counts = Counter(str(item.outcome) for item in items)
    if not items:
        status = "empty"
    elif any(item.is_blocker for item in items):
        status = "failed"
    elif all(item.outcome is Outcome.NOT_RUN for item in items):
        status = "not-run"
    elif any(item.is_warning for item in items):
        status = "warning"
    else:
        status = "passed"
    return PhaseSummary(name, order, status, len(items), dict(counts))


def _ordered_unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
