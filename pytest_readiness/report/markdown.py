"""A short Markdown summary (verdict, blockers, counts) for a CI job summary or a ticket.

Every piece of text a run brought in (titles, reasons, the sentence, what an earlier run's
history file says) is masked, then escaped, so it shows as written and never as HTML, a
link or an image (`markdown_text`). Masking comes first: an escaped secret would no longer
read as the secret the redactor looks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_readiness.model import Item, Outcome, Report, Verdict
from pytest_readiness.redact import Redactor
from pytest_readiness.report import first_day
from pytest_readiness.report.markdown_text import inline, table_cell


def render_markdown(report: Report, redact: Redactor) -> str:
    lines = [
        f"# {report.verdict}: readiness of `{report.env}` ({report.stage})",
        "",
        inline(redact.text(report.sentence)),
        "",
        f"- Commit: `{report.commit or 'unknown'}`",
        f"- Started: {report.started_at}, took {report.duration_s:.1f} s",
        f"- Complete: {'yes' if report.complete else 'no'}",
        "",
    ]
    lines += _rollback_section(report, redact)
    if not report.in_progress:  # nothing has finished: every item would be a blocker
        lines += _items_section("Blocking items", report.blockers, redact)
        lines += _items_section("Warnings (non-blocking)", report.warnings, redact)
    lines += _changes_section(report.extra.get("since_last_run"), redact)
    lines += first_day.markdown_lines(report.extra.get("first_24_hours"))
    lines += ["## Counts", "", "| outcome | items |", "| --- | --- |"]
    lines += [
        f"| {Outcome(outcome).label} | {count} |"
        for outcome, count in report.counts.items()
        if count
    ]
    lines += ["", "## Phases", "", "| phase | status | items |", "| --- | --- | --- |"]
    lines += [
        f"| {p.order}. {p.title or p.name} | {p.status} | {p.items} |"
        for p in report.phase_summaries
    ]
    return redact.text("\n".join(lines) + "\n")


def _items_section(heading: str, items: tuple[Item, ...], redact: Redactor) -> list[str]:
    if not items:
        return []
    lines = [f"## {heading}", "", "| item | outcome | reason |", "| --- | --- | --- |"]
    lines += [
        f"| {_cell(item.title, redact)} | {item.outcome.label} | {_cell(item.reason, redact)} |"
        for item in items
    ]
    return [*lines, ""]


def _rollback_section(report: Report, redact: Redactor) -> list[str]:
    """Post stage: the rollback steps (ROLLBACK only) and the failing items by severity."""
    lines: list[str] = []
    rollback = report.extra.get("rollback") or {}
    if report.verdict is Verdict.ROLLBACK:
        lines += ["## Rollback steps (from the runbook)", ""]
        steps = rollback.get("steps") or ["(the runbook has no Rollback Procedure steps)"]
        lines += [f"{n}. {step}" for n, step in enumerate(steps, start=1)]
        lines.append("")
    for level, items in report.by_severity.items():
        lines += _items_section(f"Severity {level}", items, redact)
    return lines


def _changes_section(diff: Any, redact: Redactor) -> list[str]:
    if not isinstance(diff, Mapping) or not diff.get("previous"):
        return []
    previous = diff["previous"]
    when, verdict = (inline(str(previous.get(key))) for key in ("started_at", "verdict"))
    lines = ["## Since last run", "", f"Compared with {when} ({verdict}).", ""]
    rows = [
        (change, entry)
        for key, change in (
            ("newly_failing", "newly failing"),
            ("newly_passing", "newly passing"),
            ("still_failing", "still failing"),
            ("new", "new since last run"),
        )
        for entry in diff.get(key) or ()
    ]
    if not rows:
        return [*lines, "No item changed its outcome.", ""]
    lines += ["| item | change | outcome |", "| --- | --- | --- |"]
    for change, entry in rows:
        runs = entry.get("failing_runs")
        label = f"{change} ({runs} runs)" if runs else change
        title = _cell(str(entry.get("title")), redact)
        lines.append(f"| {title} | {label} | {entry.get('outcome')} |")
    return [*lines, ""]


def _cell(text: str, redact: Redactor) -> str:
    return table_cell(redact.text(text))
