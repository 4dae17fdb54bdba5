"""The HTML go/no-go report, written by pytest-html and extended through its hooks.

The verdict, blockers and checklist are static, escaped HTML placed in pytest-html's summary,
so a reader sees them before any script runs; pytest-html's own table follows.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.binding import checklist_sections
from pytest_readiness.model import CATEGORY_TITLES, Evidence, Item, Outcome, Report, Verdict
from pytest_readiness.redact import Redactor
from pytest_readiness.report.files import report_path
from pytest_readiness.session import ReadinessSession

CSS = Path(__file__).with_name("readiness.css")


def enable(config: pytest.Config, session: ReadinessSession) -> None:
    """Point pytest-html at a temporary file beside the report; `publish` renames it."""
    if not config.pluginmanager.hasplugin("html"):
        return
    if config.getoption("htmlpath", None):
        return
    config.option.htmlpath = str(_partial_path(session))
    config.option.self_contained_html = True
    config.option.css = [*(config.getoption("css", None) or []), str(CSS)]
    config.pluginmanager.register(HtmlReportHooks(session), "readiness-html")


def publish(session: ReadinessSession, config: pytest.Config) -> None:
    """Move the finished HTML into place in one rename (called after pytest-html wrote it)."""
    partial = _partial_path(session)
    if not partial.exists():
        return
    final = report_path(session.report_dir, session.env_name, "html")
    os.replace(partial, final)
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "_report_path", None) == partial.resolve():
            plugin._report_path = final  # so pytest-html's closing line names the real file


def _partial_path(session: ReadinessSession) -> Path:
    return session.report_dir / f".readiness-{session.env_name}.html.partial"


class HtmlReportHooks:
    """pytest-html hooks: title, verdict banner, extra columns and evidence per row."""

    def __init__(self, session: ReadinessSession) -> None:
        self._session = session
        self._report_data: Any = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """pytest-metadata's environment table (CI variables...) goes through the redactor."""
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata = session.config.stash.get(metadata_key, None)
        if metadata is not None:
            for key, value in list(metadata.items()):
                metadata[key] = self._session.redact.data(value)

    def pytest_html_report_title(self, report: Any) -> None:
        self._report_data = report
        report.title = f"Readiness: {self._session.env_name}"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        report = self._session.report
        if report is None:
            return
        if self._report_data is not None:
            self._report_data.title = f"{report.verdict}: {report.env} readiness"
        prefix[:0] = [render_summary(report, self._session.redact)]

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[2:2] = [
            '<th class="sortable" data-column-type="category">Category</th>',
            '<th class="sortable" data-column-type="phase">Phase</th>',
            '<th data-column-type="reason">Reason</th>',
        ]

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        info = getattr(report, "readiness", None) or {}
        cells[2:2] = [
            f'<td class="col-category">{escape(str(info.get("category", "")))}</td>',
            f'<td class="col-phase">{escape(str(info.get("phase", "")))}</td>',
            f'<td class="col-reason">{escape(str(info.get("reason", "")))}</td>',
        ]

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        info = getattr(report, "readiness", None) or {}
        evidence = [Evidence.from_dict(e) for e in info.get("evidence", ())]
        if evidence:
            data[:0] = [render_evidence(evidence, self._session.redact)]


def render_summary(report: Report, redact: Redactor) -> str:
    """The verdict banner, blockers, warnings and the whole checklist, as static HTML."""
    parts = [_banner(report)]
    parts.append(_item_list("Blocking items", "readiness-blockers", report.blockers))
    parts.append(_item_list("Warnings", "readiness-warnings", report.warnings))
    for level, items in report.by_severity.items():  # post stage only
        parts.append(_item_list(f"Severity {level}", f"readiness-severity-{level}", items))
    parts.append(_checklist(report))
    return redact.text("\n".join(part for part in parts if part))


def _banner(report: Report) -> str:
    tone = {Verdict.GO: "go", Verdict.NO_GO: "no-go", Verdict.ROLLBACK: "rollback"}[report.verdict]
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
        f'<section id="readiness-verdict" class="readiness-verdict verdict-{tone}" role="status">'
        f'<p class="verdict-label">{escape(str(report.verdict))}</p>'
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


def _item_list(heading: str, section_id: str, items: tuple[Item, ...]) -> str:
    if not items:
        return ""
    entries = "".join(
        f'<li><a href="#{_anchor(item)}">{escape(item.title)}</a> '
        f'<span class="outcome outcome-{escape(item.outcome)}">{escape(item.outcome)}</span>'
        f" &mdash; {escape(item.reason)}</li>"
        for item in items
    )
    return f'<section id="{section_id}"><h2>{escape(heading)}</h2><ol>{entries}</ol></section>'


def _checklist(report: Report) -> str:
    rows = "".join(
        _heading_row(path) + "".join(_checklist_row(item, report.phases) for item in items)
        for path, items in checklist_sections(report.items)
    )
    return (
        '<section id="readiness-checklist"><h2>Checklist</h2>'
        '<table class="readiness-items"><thead><tr><th scope="col">Item</th>'
        '<th scope="col">Category</th><th scope="col">Phase</th><th scope="col">Outcome</th>'
        '<th scope="col">Reason</th><th scope="col">Duration</th><th scope="col">Evidence</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _heading_row(path: tuple[str, ...]) -> str:
    """A runbook heading above its lines, so the checklist reads like the runbook."""
    if not path:
        return ""
    title = escape(" / ".join(path[1:] or path))
    return f'<tr class="runbook-heading"><th colspan="7">{title}</th></tr>'


def _checklist_row(item: Item, phases: tuple[str, ...]) -> str:
    phase_name = phases[item.phase - 1] if 0 < item.phase <= len(phases) else "?"
    phase = f"{item.phase}. {CATEGORY_TITLES.get(phase_name, phase_name)}"
    evidence = render_evidence(item.evidence) if item.evidence else ""
    blocking = "" if item.blocking else ' <span class="non-blocking">(non-blocking)</span>'
    return (
        f'<tr id="{_anchor(item)}" class="outcome-{escape(item.outcome)}">'
        f"<td>{escape(item.title)}{blocking}<br><code>{escape(item.id)}</code></td>"
        f"<td>{escape(item.category)}</td><td>{escape(phase)}</td>"
        f"<td>{_outcome_badge(item)}</td>"
        f"<td>{escape(item.reason)}</td><td>{item.duration_s:.2f} s</td>"
        f"<td>{evidence}</td></tr>"
    )


def render_evidence(
    evidence: list[Evidence] | tuple[Evidence, ...], redact: Redactor | None = None
) -> str:
    """Evidence entries as escaped HTML: summaries, with details in a monospace block."""
    entries = []
    for entry in evidence:
        detail = (
            f'<pre class="evidence-detail">{escape(entry.detail)}</pre>' if entry.detail else ""
        )
        entries.append(
            f'<li class="evidence evidence-{escape(entry.kind)}">'
            f"<strong>{escape(entry.kind)}</strong> {escape(entry.summary)}{detail}</li>"
        )
    html = f'<ul class="evidence-list">{"".join(entries)}</ul>'
    return redact.text(html) if redact else html


_SYMBOLS = {Outcome.PASSED: "✓ ", Outcome.FAILED: "✗ ", Outcome.ERROR: "✗ "}


def _outcome_badge(item: Item) -> str:
    outcome = escape(item.outcome)
    symbol = _SYMBOLS.get(item.outcome, "")
    return f'<span class="outcome outcome-{outcome}">{symbol}{outcome}</span>'


def _anchor(item: Item) -> str:
    return "item-" + "".join(c if c.isalnum() else "-" for c in item.id)
