"""The readiness report as plain data: items, outcomes, evidence and the verdict.

Nothing here knows pytest or does I/O; every output format renders a `Report`.
"""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA_VERSION = 1
POST_STAGE = "post"
STAGES = ("pre", POST_STAGE)
# The runbook's "Assess severity": P0 immediate rollback, P1 hotfix or rollback, P2 schedule.
SEVERITIES = ("P0", "P1", "P2")
# Evidence of this kind is a warning on its item: shown with the verdict, never fatal alone.
WARNING_EVIDENCE = "warning"


class CheckFailed(AssertionError):
    """Raised by a check or fixture to fail the running item with a one-line reason."""


class FindingsFailed(CheckFailed):
    """The item failed only because of blocking findings (so finding waivers may pass it)."""


class ItemTimedOut(TimeoutError):
    """The item ran out of time: its own timeout or its phase's budget."""


class Outcome(enum.StrEnum):
    """What happened to one checklist item."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    NOT_RUN = "not-run"
    # Left out of a partial run by the user's selection (node ids, -m, -k, --deselect, --lf).
    NOT_SELECTED = "not-selected"
    WAIVED = "waived"
    MANUAL = "manual"
    SIGNED_OFF = "signed-off"
    # A recurring line whose period has not ended (the first 24 hours): a warning, not a blocker.
    PENDING = "pending"

    @property
    def is_ok(self) -> bool:
        """True when the item counts as done for the verdict."""
        return self in _OK_OUTCOMES

    @property
    def label(self) -> str:
        """How a person reads it: a manual line is not failing, it awaits sign-off."""
        return "awaiting sign-off" if self is Outcome.MANUAL else str(self)


_OK_OUTCOMES = frozenset({Outcome.PASSED, Outcome.WAIVED, Outcome.SIGNED_OFF})
_NOT_BLOCKING = frozenset({Outcome.NOT_SELECTED, Outcome.PENDING})
# A check skips with this prefix to say its recurring line is still within its period.
PENDING_PREFIX = "pending: "
# Evidence a post-stage check records as a measurement for the history (the first 24 hours).
MEASUREMENT_EVIDENCE = "measurement"


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


FINDING_LEVELS = ("error", "warn", "info")
# How many objects a reason names before "+N more".
NAMED_OBJECTS = 5


@dataclass(frozen=True)
class Finding:
    """One object a lint flagged: `key` (`<lint>:<object>`) is stable, so it can be waived."""

    lint: str
    level: str
    category: str
    object: str
    detail: str
    # How a reason names the lint's objects: "no primary key: public.items".
    title: str = ""
    # Decided per environment: every `error`, and each `warn` the environment blocks on.
    blocking: bool = False
    # Accepted by a finding waiver (`finding = "<key>"`) in this run.
    waived: bool = False

    @property
    def key(self) -> str:
        return f"{self.lint}:{self.object}"

    def blocks(self, block: Collection[str]) -> bool:
        """An `error` always blocks; others when `block` names their level, lint or key."""
        return self.level == "error" or bool({self.level, self.lint, self.key} & set(block))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lint": self.lint,
            "level": self.level,
            "category": self.category,
            "object": self.object,
            "detail": self.detail,
            "title": self.title,
            "blocking": self.blocking,
            "waived": self.waived,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Finding:
        return cls(
            lint=str(raw["lint"]),
            level=str(raw["level"]),
            category=str(raw.get("category", "")),
            object=str(raw.get("object", "")),
            detail=str(raw.get("detail", "")),
            title=str(raw.get("title", "")),
            blocking=bool(raw.get("blocking", False)),
            waived=bool(raw.get("waived", False)),
        )


def findings_reason(findings: Iterable[Finding], shown: int = NAMED_OBJECTS) -> list[str]:
    """One clause per lint naming its objects: "no primary key: public.a, public.b +3 more"."""
    by_lint: dict[str, list[Finding]] = {}
    for finding in findings:
        by_lint.setdefault(finding.lint, []).append(finding)
    return [
        f"{group[0].title or lint}: {', '.join(_listed((f.object for f in group), shown))}"
        for lint, group in by_lint.items()
    ]


@dataclass(frozen=True)
class ProbeResult:
    """What a probe found: whether the item holds, why not, and what it saw.

    `findings_only` marks a failure caused by blocking findings alone: waiving each of
    them (finding-level waivers) makes the item pass.
    """

    ok: bool
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    findings_only: bool = False

    @classmethod
    def judged(
        cls,
        problems: Sequence[str],
        findings: Iterable[Finding],
        evidence: Iterable[Evidence] = (),
        warnings: Iterable[str] = (),
        *,
        block: Collection[str] = (),
    ) -> ProbeResult:
        """Fail on `problems` and on blocking findings; other `warn` findings become warnings."""
        marked = tuple(replace(f, blocking=f.blocks(block)) for f in findings)
        blocking = [f for f in marked if f.blocking]
        warned = [f for f in marked if f.level == "warn" and not f.blocking]
        reasons = [*problems, *findings_reason(blocking)]
        return cls(
            ok=not reasons,
            reason="; ".join(reasons),
            evidence=tuple(evidence),
            warnings=(*warnings, *findings_reason(warned)),
            findings=marked,
            findings_only=bool(blocking) and not problems,
        )

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
    findings: tuple[Finding, ...] = ()
    # The item failed only because of blocking findings: finding waivers may pass it.
    failed_by_findings: bool = False

    @property
    def is_blocker(self) -> bool:
        """A blocking item that did not pass; an unselected item is judged by the run instead."""
        return self.blocking and not self.outcome.is_ok and self.outcome not in _NOT_BLOCKING

    @property
    def is_warning(self) -> bool:
        if self.outcome is Outcome.PENDING:
            return True
        return (
            not self.blocking
            and not self.outcome.is_ok
            and self.outcome is not Outcome.NOT_SELECTED
        )

    @property
    def warning_notes(self) -> tuple[str, ...]:
        """What the check flagged without failing (a probe's warnings, e.g. skipped tests)."""
        return tuple(e.summary for e in self.evidence if e.kind == WARNING_EVIDENCE)

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
            "findings": [f.to_dict() for f in self.findings],
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class PhaseSummary:
    """How one phase of the run went: a runbook heading, or a category without a runbook."""

    name: str
    order: int
    status: str
    items: int
    counts: Mapping[str, int]
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title or self.name,
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
    # The options and paths that narrowed the run (`-m db`, a node id); empty for a full run.
    selection_args: tuple[str, ...] = ()
    # Written when the run starts, before any item ran: what a crashed run leaves on disk.
    in_progress: bool = False
    # How the report titles each phase (the runbook's headings); else the category titles.
    phase_titles: tuple[str, ...] = ()

    def phase_title(self, order: int) -> str:
        """The title of phase number `order` (1-based), e.g. "Code Quality Gates"."""
        if not 0 < order <= len(self.phases):
            return ""
        if len(self.phase_titles) == len(self.phases):
            return self.phase_titles[order - 1]
        name = self.phases[order - 1]
        return CATEGORY_TITLES.get(name, name)

    def numbered_phase_title(self, order: int) -> str:
        """ "1. Code Quality Gates": how the outputs head a phase; empty for no such phase."""
        title = self.phase_title(order)
        return f"{order}. {title}" if title else ""

    @functools.cached_property  # items are immutable; every output asks again
    def blockers(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_blocker)

    @functools.cached_property  # items are immutable; every output asks again
    def warnings(self) -> tuple[Item, ...]:
        """Non-blocking items that did not pass, and passed items that carry a warning."""
        return tuple(
            item
            for item in self.items
            if item.is_warning or (item.outcome.is_ok and item.warning_notes)
        )

    @functools.cached_property  # items are immutable; every output asks again
    def awaiting_signoff(self) -> tuple[Item, ...]:
        """Blocking manual lines nobody has signed off yet."""
        return tuple(item for item in self.blockers if item.outcome is Outcome.MANUAL)

    @functools.cached_property  # items are immutable; every output asks again
    def not_selected(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.outcome is Outcome.NOT_SELECTED)

    @property
    def partial(self) -> bool:
        """True when the user's selection left items of the full checklist out."""
        return bool(self.not_selected)

    @property
    def selection(self) -> dict[str, Any]:
        """The JSON `selection` object: what narrowed the run and how many items it kept."""
        total = len(self.items)
        return {
            "args": list(self.selection_args) if self.partial else [],
            "selected": total - len(self.not_selected),
            "total": total,
        }

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
        if self.in_progress or not self.complete or not self.items or self.blockers:
            return Verdict.NO_GO
        if self.partial:
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
            _summarise_phase(name, order, self.by_phase.get(order, ()), self.phase_title(order))
            for order, name in enumerate(self.phases, start=1)
        )

    @property
    def sentence(self) -> str:
        """One line for a person: the verdict and why."""
        verdict = self.verdict
        if verdict is Verdict.ROLLBACK:
            return _rollback_sentence(self.triggers)
        if self.in_progress:
            return (
                f"{verdict}: this run started at {self.started_at} and has not finished; "
                "if nothing is running, it ended before writing its result."
            )
        if not self.items:
            return f"{verdict}: no checklist items were run."
        if self.partial:
            return _partial_sentence(self)
        if not self.complete:
            missing = sum(1 for i in self.items if i.outcome is Outcome.NOT_RUN)
            total = len(self.items)
            return f"{verdict}: the run was interrupted; {missing} of {total} items were not run."
        if not self.blockers:
            blocking = sum(1 for item in self.items if item.blocking)
            passed = f"all {blocking} blocking items passed"
            if not self.warnings:
                return f"{verdict}: {passed}."
            warnings = "; ".join(_listed((_warning_line(item) for item in self.warnings), 2))
            return f"{verdict} with {_count(len(self.warnings), 'warning')}: {warnings}. " + (
                passed[0].upper() + passed[1:] + "."
            )
        return f"{verdict}: {_blocker_clause(self, self.blockers, self.awaiting_signoff)}."

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
            "selection": self.selection,
            "phases": [p.to_dict() for p in self.phase_summaries],
            "blockers": [item.id for item in self.blockers],
            "triggers": [item.id for item in self.triggers],
            "warnings": [item.id for item in self.warnings],
            "items": [item.to_dict() for item in self.items],
        }
        out.update(self.extra)
        return out


def _partial_sentence(report: Report) -> str:
    selection = report.selection
    narrowed = " ".join(report.selection_args) or "a plugin deselected items"
    sentence = (
        f"PARTIAL: {selection['selected']} of {selection['total']} items selected ({narrowed}); "
        "not a release decision"
    )
    if report.blockers:
        clause = _blocker_clause(report, report.blockers, report.awaiting_signoff, "selected ")
        sentence += f"; {clause}"
    return sentence + "."


def _blocker_clause(
    report: Report, blockers: Sequence[Item], awaiting: Sequence[Item], adjective: str = ""
) -> str:
    """ "2 blocking items failed in Database Readiness; 1 blocking line awaits sign-off (...)"."""
    failed = [item for item in blockers if item.outcome is not Outcome.MANUAL]
    clauses = []
    if failed:
        sections = _ordered_unique(
            report.phase_title(item.phase) or CATEGORY_TITLES.get(item.category, item.category)
            for item in failed
        )
        noun = "item" if len(failed) == 1 else "items"
        clauses.append(f"{len(failed)} {adjective}blocking {noun} failed in {', '.join(sections)}")
    if awaiting:
        lines = f"{len(awaiting)} blocking line{'' if len(awaiting) == 1 else 's'}"
        verb = "awaits" if len(awaiting) == 1 else "await"
        titles = ", ".join(_listed(item.title for item in awaiting))
        clauses.append(f"{lines} {verb} sign-off ({titles})")
    return "; ".join(clauses)


def _warning_line(item: Item) -> str:
    notes = item.warning_notes if item.outcome.is_ok else ()
    return f"{item.title}: {notes[0] if notes else item.reason or item.outcome}"


def _listed(texts: Iterable[str], shown: int = 3) -> list[str]:
    """The first `shown` texts, then "+N more"."""
    values = list(texts)
    return [*values[:shown], f"+{len(values) - shown} more"] if len(values) > shown else values


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


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


def _summarise_phase(name: str, order: int, items: Sequence[Item], title: str) -> PhaseSummary:
    counts = Counter(str(item.outcome) for item in items)
    if not items:
        status = "empty"
    elif any(item.is_blocker for item in items):
        status = "failed"
    elif all(item.outcome is Outcome.NOT_SELECTED for item in items):
        status = "not-selected"
    elif all(item.outcome is Outcome.NOT_RUN for item in items):
        status = "not-run"
    elif any(item.is_warning for item in items):
        status = "warning"
    else:
        status = "passed"
    return PhaseSummary(name, order, status, len(items), dict(counts), title)


def _ordered_unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
