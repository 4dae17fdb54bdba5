"""The static part of the HTML report: what the approver reads in ten seconds, then the items.

Order: verdict banner; blocking items (reason, link to evidence); warnings; sign-offs and
waivers; since last run (diff and pass-count trend); phases as `<details>` with counts and
every item with its evidence. All text is escaped; the whole fragment is redacted once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_readiness.model import Item, Outcome, PhaseSummary, Report, Verdict
from pytest_readiness.redact import Redactor
from pytest_readiness.report import first_day
from pytest_readiness.report.checklist import checklist_sections
from pytest_readiness.report.evidence_html import render_evidence
from pytest_readiness.report.markdown_html import has_link, inline_html
from pytest_readiness.report.markup import escape
from pytest_readiness.report.trend import render_trend

SCRIPT = Path(__file__).with_name("readiness.js")
CSS = Path(__file__).with_name("readiness.css")
# A failed phase starts open, unless laying out its rows would hold up the page (a blocker's
# evidence link still opens it: Chromium expands a <details> that holds the link's target).
OPEN_PHASE_LIMIT = 200
_TONES = {Verdict.GO: "go", Verdict.NO_GO: "no-go", Verdict.ROLLBACK: "rollback"}
# Marks as character references: one non-ASCII character would make Python hold the whole
# page (1.4 MB at 1,000 items) two bytes per character, then encode it the slow way.
_SYMBOLS = {Verdict.GO: "&#x2714;", Verdict.NO_GO: "&#x2716;", Verdict.ROLLBACK: "&#x21a9;"}
_APPROVALS = (("signoff", "Sign-off"), ("waiver", "Waiver"))


@dataclass(frozen=True)
class PytestHtmlTable:
    """pytest-html's own table on the page below ours: how many items it draws rows for
    (those with a traceback, captured output or attachments), or that the run is above
    `limit` items and it draws none."""

    rows: int
    limit: int | None = None


def render_summary(
    report: Report, redact: Redactor, *, pytest_html: PytestHtmlTable | None = None
) -> str:
    """The verdict, blockers, warnings, approvals, history and phases, as static HTML."""
    if report.in_progress:
        # Nothing has finished: every item would be a pending row, and a blocker.
        return redact.text("\n".join([_banner(report), _phases(report, None, rows=False)]))
    parts = [
        _banner(report),
        _item_list("Blocking items", "readiness-blockers", report.blockers),
        _item_list("Warnings (non-blocking)", "readiness-warnings", report.warnings),
        *(  # post stage: failing items by severity
            _item_list(f"Severity {level}", f"readiness-severity-{level}", items)
            for level, items in report.by_severity.items()
        ),
        _approvals(report.items),
        _runbook_checklist(report.items),
        _since_last_run(report.extra.get("since_last_run")),
        first_day.render_html(report.extra.get("first_24_hours")),
        _phases(report, pytest_html),
        f"<script>{SCRIPT.read_text(encoding='utf-8')}</script>",
    ]
    return redact.text("\n".join(part for part in parts if part))


def render_page(report: Report, redact: Redactor) -> str:
    """A whole self-contained page of the static summary, for runs without pytest-html's
    page (pytest-html disabled or pointed elsewhere, and the in-progress report)."""
    title = escape(f"{report.verdict}: {report.env} readiness")
    style = CSS.read_text(encoding="utf-8")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body><h1>{title}</h1>\n"
        f"{render_summary(report, redact)}\n</body></html>\n"
    )


_NOT_ALNUM = re.compile(r"[\W_]")


def anchor(item: Item) -> str:
    return "item-" + _NOT_ALNUM.sub("-", item.id)


def phase_title(report: Report, order: int) -> str:
    return report.numbered_phase_title(order) or f"{order}. ?"


def _banner(report: Report) -> str:
    verdict = report.verdict
    facts = [
        ("Environment", report.env),
        ("Stage", report.stage),
        ("Commit", report.commit or "unknown"),
        ("Started", report.started_at),
        ("Duration", f"{report.duration_s:.1f} s"),
        ("Complete", "yes" if report.complete else "no (interrupted)"),
    ]
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return (
        f'<section id="readiness-verdict" class="readiness-verdict verdict-{_TONES[verdict]}" '
        'aria-label="Verdict">'
        '<p class="verdict-label" elementtiming="readiness-verdict">'
        f'<span aria-hidden="true">{_SYMBOLS[verdict]}</span> '
        f'<span class="verdict-text">{escape(str(verdict))}</span></p>'
        f'<p class="verdict-sentence">{escape(report.sentence)}</p>'
        f'<dl class="verdict-facts">{rows}</dl>{_rollback_steps(report)}</section>'
    )


def _rollback_steps(report: Report) -> str:
    """ROLLBACK: the runbook's rollback steps, in order, under the banner."""
    if report.verdict is not Verdict.ROLLBACK:
        return ""
    steps = (report.extra.get("rollback") or {}).get("steps") or []
    items = "".join(f"<li>{escape(str(step))}</li>" for step in steps)
    return f'<h3>Rollback steps</h3><ol id="readiness-rollback-steps">{items}</ol>'


def _item_list(heading: str, section_id: str, items: Sequence[Item]) -> str:
    if not items:
        return ""
    entries = "".join(
        f"<li><strong>{escape(item.title)}</strong> {_badge(item.outcome)} "
        f"&mdash; {escape(item.reason or 'no reason recorded')} "
        f'<a class="evidence-link" href="#{anchor(item)}">evidence</a></li>'
        for item in items
    )
    return (
        f'<section id="{section_id}" class="readiness-list">'
        f"<h2>{escape(heading)} ({len(items)})</h2><ol>{entries}</ol></section>"
    )


def _approvals(items: Sequence[Item]) -> str:
    rows = [
        f"<tr><td>{escape(item.title)}</td><td>{label}</td><td>{_approval_text(item.extra[key])}"
        "</td></tr>"
        for item in items
        for key, label in _APPROVALS
        if item.extra.get(key)
    ]
    if not rows:
        return ""
    return (
        '<section id="readiness-approvals"><h2>Sign-offs and waivers</h2>'
        '<table class="readiness-table"><thead><tr><th scope="col">Item</th>'
        '<th scope="col">Kind</th><th scope="col">Details</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _runbook_checklist(items: Sequence[Item]) -> str:
    """The runbook's checklist as its reader knows it: its headings and lines, in its order."""
    if not any(item.extra.get("runbook_line") for item in items):
        return ""
    parts = []
    for path, group in checklist_sections(items):
        heading = " / ".join(path[1:] or path) or "Not in the runbook"
        lines = "".join(_runbook_line(item) for item in group)
        parts.append(f'<h3>{escape(heading)}</h3><ul class="runbook-lines">{lines}</ul>')
    return (
        '<section id="readiness-checklist"><details open><summary><h2>Runbook checklist</h2>'
        f"</summary>{''.join(parts)}</details></section>"
    )


def _runbook_line(item: Item) -> str:
    """One line of the runbook's checklist: its mark, outcome, and its Markdown as safe HTML."""
    line = item.extra.get("runbook_line")
    markdown = str(line.get("markdown") or line["text"]) if isinstance(line, Mapping) else ""
    mark = "&#x2713;" if item.outcome.is_ok else "&#x2717;" if item.is_blocker else "&#x2022;"
    signoff = item.extra.get("signoff")
    valid = signoff.get("valid") if isinstance(signoff, Mapping) else None
    who = (
        f" by {escape(str(valid.get('by')))} ({escape(str(valid.get('role')))}), "
        f"{escape(str(valid.get('when')))}"
        if isinstance(valid, Mapping)
        else ""
    )
    waiting = " awaiting sign-off" if item.outcome is Outcome.MANUAL else ""
    return (
        f'<li><span aria-hidden="true">{mark}</span> {_badge(item.outcome)}{who}{waiting} '
        f"{_line_text(item, markdown)}</li>"
    )


def _line_text(item: Item, markdown: str) -> str:
    """The line linked to its item; a line with links of its own gets a separate link."""
    if not markdown:
        return f'<a href="#{anchor(item)}">{escape(item.title)}</a>'
    if has_link(markdown):
        return f'{inline_html(markdown)} <a href="#{anchor(item)}">(item)</a>'
    return f'<a href="#{anchor(item)}">{inline_html(markdown)}</a>'


def _approval_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in value.items())
    return escape(str(value))


def _since_last_run(diff: Any) -> str:
    if not isinstance(diff, Mapping):
        return ""
    trend = render_trend(diff.get("trend") or [])
    previous = diff.get("previous")
    if not previous:
        body = "<p>This is the first recorded run for this environment.</p>"
        return f'<section id="readiness-history"><h2>Since last run</h2>{body}{trend}</section>'
    intro = (
        f"<p>Compared with the run of {escape(str(previous.get('started_at')))} "
        f"({escape(str(previous.get('verdict')))}).</p>"
    )
    lists = [
        _diff_list("Newly failing", "newly-failing", diff.get("newly_failing") or []),
        _diff_list("Newly passing", "newly-passing", diff.get("newly_passing") or []),
        _diff_list("Still failing", "still-failing", diff.get("still_failing") or []),
        _diff_list("New since last run", "new", diff.get("new") or []),
    ]
    changes = "".join(lists) or "<p>No item changed its outcome.</p>"
    return (
        f'<section id="readiness-history"><h2>Since last run</h2>{intro}{changes}{trend}</section>'
    )


def _diff_list(heading: str, css: str, entries: Sequence[Mapping[str, Any]]) -> str:
    if not entries:
        return ""
    lines = "".join(f"<li>{_diff_line(entry)}</li>" for entry in entries)
    return f'<h3>{heading} ({len(entries)})</h3><ul class="diff-{css}">{lines}</ul>'


def _diff_line(entry: Mapping[str, Any]) -> str:
    text = f"<strong>{escape(str(entry.get('title')))}</strong> {escape(str(entry.get('outcome')))}"
    if entry.get("reason"):
        text += f" &mdash; {escape(str(entry['reason']))}"
    runs = entry.get("failing_runs")
    if runs:
        since = entry.get("failing_since")
        took = _duration(entry.get("failing_for_s"))
        text += f" <em>(failing for {int(runs)} runs{took}, since {escape(str(since))})</em>"
    return text


def _duration(seconds: Any) -> str:
    """`, 3 d 4 h` / `, 2 h 5 min` / `, 40 s`: how long an item has been failing."""
    if not isinstance(seconds, int | float) or seconds < 0:
        return ""
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if days:
        return f", {days} d {hours - 24 * days} h"
    if hours:
        return f", {hours} h {minutes - 60 * hours} min"
    return f", {minutes} min" if minutes else f", {int(seconds)} s"


def _phases(report: Report, pytest_html: PytestHtmlTable | None, *, rows: bool = True) -> str:
    sections = "".join(
        _phase(report, summary, report.by_phase.get(summary.order, ()) if rows else ())
        for summary in report.phase_summaries
        if summary.items
    )
    return (
        '<section id="readiness-checklist"><h2>Phases and items</h2>'
        f'{_filters(report)}<div id="readiness-items">{sections}</div>'
        f"{_pytest_html_note(report, pytest_html)}</section>"
    )


def _pytest_html_note(report: Report, table: PytestHtmlTable | None) -> str:
    """What pytest-html's table below holds; its parts that would mislead are hidden: its
    counters count only the rows it drew ("0 Passed"), and an empty table shows nothing."""
    if table is None:
        return ""
    if table.limit is not None:
        text = (
            f"This run has {len(report.items)} items: pytest-html's script-rendered table is "
            f"left out above {table.limit} items so the page stays fast; every item is in the "
            "table above."
        )
    elif table.rows:
        items = "1 item" if table.rows == 1 else f"{table.rows} items"
        text = (
            f"Every item is in the table above; pytest-html's table below shows the {items} "
            "with a traceback, captured output or an attachment."
        )
    else:
        text = (
            "Every item is in the table above; no item has a traceback, captured output or "
            "an attachment for pytest-html's table to show."
        )
    hidden = ".summary__data > .run-count, .summary__data > .filter"
    if table.limit is not None or not table.rows:
        hidden += ", .summary__data .controls, #results-table"
    return f'<p class="readiness-note">{text}</p><style>{hidden} {{ display: none; }}</style>'


def _phase(report: Report, summary: PhaseSummary, items: Sequence[Item]) -> str:
    counts = ", ".join(
        f"{n} {Outcome(outcome).label}" for outcome, n in sorted(summary.counts.items()) if n
    )
    opened = " open" if summary.status == "failed" and summary.items <= OPEN_PHASE_LIMIT else ""
    status = escape(summary.status)
    title = escape(phase_title(report, summary.order))
    heading = (
        f'<details class="phase phase-{status}" id="phase-{summary.order}"{opened}>'
        f'<summary><span class="phase-title">{title}</span> '
        f'<span class="phase-status status-{status}">{status}</span> '
        f'<span class="phase-counts">{_items(summary.items)}: {escape(counts)}</span></summary>'
    )
    if not items:  # the in-progress page: counts only
        return f"{heading}</details>"
    rows = "".join([_row(item, title) for item in items])
    return (
        f"{heading}"
        '<table class="readiness-items"><thead><tr><th scope="col">Runbook line</th>'
        '<th scope="col">Category</th><th scope="col">Phase</th><th scope="col">Outcome</th>'
        '<th scope="col">Reason</th><th scope="col">Duration</th><th scope="col">Evidence</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _row(item: Item, phase: str) -> str:
    """One item's row; `phase` is its phase's title, already escaped."""
    blocking = "" if item.blocking else ' <span class="non-blocking">(non-blocking)</span>'
    evidence = _evidence_cell(item)
    outcome, category = escape(item.outcome), escape(item.category)
    return (
        f'<tr id="{anchor(item)}" class="outcome-row-{outcome}" '
        f'data-outcome="{outcome}" data-category="{category}">'
        f"<td>{escape(item.title)}{blocking}<br><code>{escape(item.id)}</code></td>"
        f"<td>{category}</td><td>{phase}</td>"
        f"<td>{_badge(item.outcome)}</td><td>{escape(item.reason)}</td>"
        f"<td>{item.duration_s:.2f} s</td><td>{evidence}</td></tr>"
    )


def _evidence_cell(item: Item) -> str:
    if not item.evidence:
        return ""
    opened = "" if item.outcome.is_ok else " open"
    count = len(item.evidence)
    return (
        f"<details{opened}><summary>{count} evidence entr{'y' if count == 1 else 'ies'}"
        f"</summary>{render_evidence(item.evidence)}</details>"
    )


def _filters(report: Report) -> str:
    outcomes = [str(o) for o in Outcome if report.counts.get(str(o))]
    categories = list(dict.fromkeys(item.category for item in report.items))
    return (
        '<form id="readiness-filters" class="readiness-filters" hidden role="search" '
        'aria-label="Filter items">'
        f"<label>Outcome {_select('readiness-filter-outcome', outcomes)}</label> "
        f"<label>Category {_select('readiness-filter-category', categories)}</label> "
        '<label>Runbook line contains <input id="readiness-filter-text" type="search"></label> '
        '<output id="readiness-filter-status" aria-live="polite"></output></form>'
    )


def _select(element_id: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return f'<select id="{element_id}"><option value="">all</option>{options}</select>'


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _badge(outcome: Outcome) -> str:
    value = escape(str(outcome))
    return f'<span class="outcome outcome-{value}">{value}</span>'
