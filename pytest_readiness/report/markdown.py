"""A short Markdown summary (verdict, blockers, counts) for a CI job summary or a ticket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_readiness.model import CATEGORY_TITLES, Item, Outcome, Report, Verdict
from pytest_readiness.redact import Redactor


def render_markdown(report: Report, redact: Redactor) -> str:
    lines = [
        f"# {report.verdict}: readiness of `{report.env}` ({report.stage})",
        "",
        report.sentence,
        "",
        f"- Commit: `{report.commit or 'unknown'}`",
        f"- Started: {report.started_at}, took {report.duration_s:.1f} s",
        f"- Complete: {'yes' if report.complete else 'no'}",
        "",
    ]
    lines += _rollback_section(report)
    lines += _items_section("Blocking items", report.blockers)
    lines += _items_section("Warnings (non-blocking)", report.warnings)
    lines += _changes_section(report.extra.get("since_last_run"))
    lines += ["## Counts", "", "| outcome | items |", "| --- | --- |"]
    lines += [
        f"| {Outcome(outcome).label} | {count} |"
        for outcome, count in report.counts.items()
        if count
    ]
    lines += ["", "## Phases", "", "| phase | status | items |", "| --- | --- | --- |"]
    lines += [
        f"| {p.order}. {CATEGORY_TITLES.get(p.name, p.name)} | {p.status} | {p.items} |"
        for p in report.phase_summaries
    ]
    return redact.text("\n".join(lines) + "\n")


def _items_section(heading: str, items: tuple[Item, ...]) -> list[str]:
    if not items:
        return []
    lines = [f"## {heading}", "", "| item | outcome | reason |", "| --- | --- | --- |"]
    lines += [
        f"| {_cell(item.title)} | {item.outcome.label} | {_cell(item.reason)} |" for item in items
    ]
    return [*lines, ""]


def _rollback_section(report: Report) -> list[str]:
    """Post stage: the rollback steps (ROLLBACK only) and the failing items by severity."""
    lines: list[str] = []
    rollback = report.extra.get("rollback") or {}
    if report.verdict is Verdict.ROLLBACK:
        lines += ["## Rollback steps (from the runbook)", ""]
        steps = rollback.get("steps") or ["(the runbook has no Rollback Procedure steps)"]
        lines += [f"{n}. {step}" for n, step in enumerate(steps, start=1)]
        lines.append("")
    for level, items in report.by_severity.items():
        lines += _items_section(f"Severity {level}", items)
    return lines


def _changes_section(diff: Any) -> list[str]:
    if not isinstance(diff, Mapping) or not diff.get("previous"):
        return []
    previous = diff["previous"]
    lines = [
        "## Since last run",
        "",
        f"Compared with {previous.get('started_at')} ({previous.get('verdict')}).",
        "",
    ]
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
        lines.append(f"| {_cell(str(entry.get('title')))} | {label} | {entry.get('outcome')} |")
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
