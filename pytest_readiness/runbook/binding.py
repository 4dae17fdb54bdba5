"""What the plugin calls to make the runbook the source of truth, at set-up, collection and report.

- set-up: `load_source(config)` reads the runbook, sign-offs and waivers once
  (`RunbookSetupError` -> `pytest.UsageError`, exit 4);
- collection: `bind_checks(source, checks)` binds each collected check to its runbook line;
  `Binding.errors_for(nodeid)` are that check's collection errors, and
  `collection_lines(binding)` is what `--collect-only` shows;
- report: `finish_items(items, ...)` adds one item per manual line, applies sign-offs
  and waivers, attaches `runbook_line` / `signoff` / `waiver` objects and returns the
  items in runbook order (report/checklist.py renders them as the ticked checklist).
No pytest in here: the plugin turns these values and exceptions into pytest's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pytest_readiness.config import ReadinessConfig
from pytest_readiness.model import WARNING_EVIDENCE, Evidence, Finding, Item, Outcome
from pytest_readiness.probes import git as commits
from pytest_readiness.runbook import lines as runbook
from pytest_readiness.runbook import signoffs, waivers
from pytest_readiness.runbook.lines import Binding as Binding
from pytest_readiness.runbook.lines import Check as Check
from pytest_readiness.runbook.lines import Runbook, RunbookLine
from pytest_readiness.runbook.phases import Phases, of_binding
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.runbook.signoffs import SignOff, SignOffReview
from pytest_readiness.runbook.waivers import Waiver

MANUAL_ID_PREFIX = "runbook"


class RunbookSetupError(Exception):
    """The runbook, sign-off or waiver configuration cannot be used; names file and key."""


@dataclass(frozen=True)
class RunbookSource:
    """The runbook and its human records, read once per session."""

    runbook: Runbook
    signoffs_path: Path
    waivers_path: Path
    signoffs: tuple[SignOff, ...] = ()
    waivers: tuple[Waiver, ...] = ()

    @property
    def record_paths(self) -> tuple[Path, ...]:
        """Files whose changes do not invalidate a sign-off (committing it moves HEAD)."""
        return (self.signoffs_path, self.waivers_path)


def load_source(config: ReadinessConfig) -> RunbookSource | None:
    """Read the configured runbook and records; None when no `runbook` key is set."""
    name = config.raw.get("runbook")
    if not name:
        return None
    where = str(config.source or config.root)
    path = (config.root / str(name)).resolve()
    if not path.is_file():
        raise RunbookSetupError(f"{where}: runbook {str(name)!r} does not exist ({path})")
    try:
        sections = runbook.sections_from_config(config.raw.get("sections"), config.categories)
    except runbook.SectionsError as exc:
        raise RunbookSetupError(f"{where}: {exc}") from None
    try:
        book = runbook.load(path, sections)
    except runbook.UnreadableRunbook as exc:
        raise RunbookSetupError(f"{where}: runbook {exc}") from None
    if book.unmapped:
        raise RunbookSetupError(unmapped_headings_message(book, where, config.source))
    signoffs_path = config.root / str(config.raw.get("signoffs", signoffs.DEFAULT_PATH))
    waivers_path = config.root / str(config.raw.get("waivers", waivers.DEFAULT_PATH))
    try:
        found_signoffs = signoffs.load(signoffs_path)
        found_waivers = waivers.load(waivers_path, book.checklist(), envs=set(config.envs))
    except RecordError as exc:
        raise RunbookSetupError(str(exc)) from None
    return RunbookSource(book, signoffs_path, waivers_path, found_signoffs, found_waivers)


def unmapped_headings_message(book: Runbook, where: str, source: Path | None) -> str:
    """Every heading whose task lines no `sections` entry maps, with the TOML to add.

    A line under no mapped heading would silently drop out of the checklist and the report,
    so the run does not start until each such heading is mapped or explicitly ignored.
    """
    headings: dict[str, list[RunbookLine]] = {}
    orphans: list[RunbookLine] = []
    for line in book.unmapped:
        if line.heading_path:
            headings.setdefault(line.heading_path[-1], []).append(line)
        else:
            orphans.append(line)
    mapped_any = any(line.section is not None for line in book.lines)
    table = (
        "[sections]"
        if source is not None and source.name == "readiness.toml"
        else ("[tool.readiness.sections]")
    )
    if mapped_any:
        intro = f"has task lines under headings that {table} does not map"
    else:
        defaults = ", ".join(f'"{heading}"' for heading in runbook.DEFAULT_SECTIONS)
        intro = (
            f"has no heading mapped to a phase ({table} maps headings; the defaults are {defaults})"
        )
    values = ", ".join(runbook.SECTION_VALUES)
    lines = [
        f"{where}: runbook {book.where} {intro}. Map each heading to one of {values} "
        '("post": after the deploy; "ignore": not part of the checklist), for example:',
        f"  {table}",
    ]
    for heading, under in headings.items():
        first = under[0]
        count = f"{len(under)} task line{'s' if len(under) != 1 else ''}"
        lines.append(
            f'  {json.dumps(heading, ensure_ascii=False)} = "ignore"   '
            f"# {count}, first: line {first.line_number} {first.text!r}"
        )
    for line in orphans:
        lines.append(f"  (line {line.line_number} {line.text!r} is under no heading: add one)")
    return "\n".join(lines)


def bind_checks(source: RunbookSource, checks: Iterable[Check], stage: str = "pre") -> Binding:
    """Bind collected checks to runbook lines; unbound lines of `stage` become manual."""
    return runbook.bind(source.runbook, checks, stage=stage)


def collection_lines(binding: Binding) -> list[str]:
    """One line per runbook line with its binding, for `--collect-only`."""
    return [bound.describe() for bound in binding.lines]


def current_commit(root: Path) -> str | None:
    """HEAD of the checkout at `root`, or None outside git (then no sign-off counts)."""
    try:
        return commits.head(root)
    except commits.GitError:
        return None


def finish_items(
    items: Sequence[Item],
    binding: Binding,
    source: RunbookSource,
    *,
    env: str,
    commit: str | None,
    today: date,
    manual_blocking: bool,
    config: ReadinessConfig,
    phases: Phases | None = None,
) -> tuple[Item, ...]:
    """The run's items plus one per manual line, with sign-offs and waivers applied.

    Check items keep their outcome unless a valid waiver turns a failure into `waived`;
    manual lines are `signed-off` with a valid sign-off, else `manual` ("awaiting
    sign-off"), blocking when `manual_blocking`, in the phase of their heading (`phases`,
    by default the binding's headings in runbook order). Sorted by phase, then runbook line.
    """
    phases = phases or of_binding(binding)
    review = _review(source, binding, env, commit, config.root)
    finished = [_finish_check(item, binding, source, env, today) for item in items]
    for line in binding.manual:
        # Post-deploy lines have no category of their own: they take the last one's.
        category = line.category or config.phases[-1]
        phase = phases.order_of_line(line)
        manual = _manual_item(line, phase, category, manual_blocking, review)
        finished.append(_apply_waiver(manual, line, source, env, today))
    return tuple(sorted(finished, key=_run_order))


def report_extra(
    source: RunbookSource, binding: Binding, *, env: str, commit: str | None, root: Path
) -> dict[str, Any]:
    """The report-level `runbook` object: where the checklist came from and what did not fit.

    Lists sign-offs for titles the runbook lacks and lines under no mapped heading, so a
    renamed line or a new section is visible instead of silently ignored.
    """
    review = _review(source, binding, env, commit, root)
    return {
        "runbook": {
            "path": str(source.runbook.source),
            "lines": len(binding.lines),
            "manual": len(binding.manual),
            "unmapped_lines": [line.to_dict() for line in source.runbook.unmapped],
            "orphan_signoffs": [rejected.to_dict() for rejected in review.orphans],
        }
    }


def waives_failure(
    source: RunbookSource,
    title: str,
    *,
    env: str,
    today: date,
    category: str | None = None,
    findings: Sequence[Finding] = (),
    failed_by_findings: bool = False,
) -> bool:
    """True when current waivers cover the failure of the line the check `title` (of
    `category`) binds to (the whole line, or each blocking finding it failed on): fail-fast
    should not stop on it."""
    line = source.runbook.line_of_check(title, category)
    decision = waivers.decide(
        Outcome.FAILED, source.waivers, title=title, env=env, today=today, line=line
    )
    if decision.outcome is Outcome.WAIVED:
        return True
    by_findings = waivers.decide_findings(
        Outcome.FAILED,
        findings,
        source.waivers,
        failed_by_findings=failed_by_findings,
        title=title,
        env=env,
        today=today,
        line=line,
    )
    return by_findings.outcome is Outcome.PASSED


def _review(
    source: RunbookSource, binding: Binding, env: str, commit: str | None, root: Path
) -> SignOffReview:
    lines = [bound.line for bound in binding.lines]
    if commit is None:
        return signoffs.review(
            source.signoffs, lines, env=env, commit="(unknown)", counts_at=lambda _a, _b: False
        )
    counts_at = commits.code_unchanged_since(root, source.record_paths)
    return signoffs.review(source.signoffs, lines, env=env, commit=commit, counts_at=counts_at)


def _finish_check(
    item: Item, binding: Binding, source: RunbookSource, env: str, today: date
) -> Item:
    line = binding.line_of.get(item.id)
    if line is None:
        return item
    bound = _with_extra(item, runbook_line=line.to_dict(), signoff=None, waiver=None)
    plain = runbook.plain_text(item.title)  # a title may repeat the line's Markdown
    bound = bound if plain == item.title else replace(bound, title=plain)
    return _apply_waiver(
        _apply_finding_waivers(bound, line, source, env, today), line, source, env, today
    )


def _apply_finding_waivers(
    item: Item, line: RunbookLine, source: RunbookSource, env: str, today: date
) -> Item:
    """Mark waived findings, pass an item whose blocking findings are all waived, and put
    each finding waiver (applied, expired or unknown) on the item as a warning line."""
    decision = waivers.decide_findings(
        item.outcome,
        item.findings,
        source.waivers,
        failed_by_findings=item.failed_by_findings,
        title=line.text,
        env=env,
        today=today,
        line=line,
    )
    if not decision.reviewed:
        return item
    findings = tuple(replace(f, waived=f.key in decision.waived) for f in item.findings)
    notes = tuple(Evidence(WARNING_EVIDENCE, r.note) for r in decision.reviewed)
    passed = decision.outcome is not item.outcome
    return replace(
        _with_extra(item, finding_waivers=[r.to_dict() for r in decision.reviewed]),
        outcome=decision.outcome,
        reason="" if passed else item.reason,
        findings=findings,
        evidence=item.evidence + notes,
    )


def _manual_item(
    line: RunbookLine, phase: int, category: str, blocking: bool, review: SignOffReview
) -> Item:
    status = review.for_line(line)
    return Item(
        id=f"{MANUAL_ID_PREFIX}:{line.line_number}",
        title=line.text,
        category=category,
        phase=phase,
        blocking=blocking,
        outcome=status.outcome,
        reason=status.reason,
        extra={"runbook_line": line.to_dict(), "signoff": status.to_dict(), "waiver": None},
    )


def _apply_waiver(
    item: Item, line: RunbookLine, source: RunbookSource, env: str, today: date
) -> Item:
    decision = waivers.decide(
        item.outcome, source.waivers, title=line.text, env=env, today=today, line=line
    )
    waiver = decision.to_dict()
    if waiver is None:
        return item
    reason = item.reason
    if decision.outcome is Outcome.WAIVED:
        reason = f"{item.reason} ({decision.note})" if item.reason else decision.note
    return replace(_with_extra(item, waiver=waiver), outcome=decision.outcome, reason=reason)


def _with_extra(item: Item, **extra: Any) -> Item:
    return replace(item, extra={**item.extra, **extra})


def _run_order(item: Item) -> tuple[int, int]:
    return (item.phase, _line_number(item))


def _line_number(item: Item) -> int:
    line = item.extra.get("runbook_line")
    return int(line["line"]) if isinstance(line, dict) else 1_000_000
