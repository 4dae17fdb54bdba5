"""The HTML go/no-go report, written by pytest-html and extended through its hooks.

Everything a release approver needs (verdict, blockers, warnings, sign-offs, the diff since the
last run, the phases with every item and its evidence) is static, escaped HTML placed in
pytest-html's summary, so it shows before any script runs and without JavaScript. Our static
item table has every item, so pytest-html's own table keeps only the rows that show more than
it: an item's traceback, captured output or attachments. pytest-html renders its table from a
JSON blob in the browser; at 10,000 rows that blocks the page for tens of seconds
(benchmarks/b9_scale.py), so above `PYTEST_HTML_ROW_LIMIT` items it draws no rows at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.model import Evidence
from pytest_readiness.report.evidence_html import render_evidence
from pytest_readiness.report.files import ReportWriteError, publish_file, report_name, report_path
from pytest_readiness.report.markup import escape
from pytest_readiness.report.page import PytestHtmlTable, render_summary
from pytest_readiness.run.session import ReadinessSession

CSS = Path(__file__).with_name("readiness.css")
PYTEST_HTML_ROW_LIMIT = 1000

# pytest-html's extras that it formats into the links cell as `<a href="content">name</a>`.
_LINK_EXTRAS = ("json", "text", "url")
# A link may lead to a page or a file, never run script when clicked.
_SAFE_HREF = re.compile(r"(?i)(?:https?|ftp|file|mailto):|[^:]*(?:[/?#]|$)")

__all__ = [
    "PYTEST_HTML_ROW_LIMIT",
    "HtmlReportHooks",
    "PageRedaction",
    "discard",
    "enable",
    "escape_links",
    "publish",
    "render_summary",
]


def enable(config: pytest.Config, session: ReadinessSession) -> None:
    """Point pytest-html at a temporary file beside the report; `publish` renames it.

    With pytest-html disabled (`-p no:html`) or writing elsewhere (`--html=...`), the
    report's HTML is our own static page instead (`report.write_reports`).
    """
    if not config.pluginmanager.hasplugin("html"):
        return
    config.pluginmanager.register(PageRedaction(session), "readiness-html-redaction")
    if config.getoption("htmlpath", None):
        return
    try:  # pytest-html would stop the run with a traceback; our writes report it in one line
        session.report_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    config.option.htmlpath = str(_partial_path(session))
    config.option.self_contained_html = True
    config.option.css = [*(config.getoption("css", None) or []), str(CSS)]
    config.pluginmanager.register(HtmlReportHooks(session), "readiness-html")
    session.html_by_pytest_html = True


def publish(session: ReadinessSession, config: pytest.Config) -> None:
    """Move pytest-html's finished page into place in one rename, once it wrote all of it.

    An incomplete page (pytest-html failed half-way, the disk filled) is removed and
    recorded as a write error: the reader keeps the in-progress page, never half a page.
    """
    partial = _partial_path(session)
    if not partial.exists():
        return
    if not session.owns_reports or not session.started:
        # --collect-only or a usage error: pytest-html still wrote its page, of no run.
        partial.unlink(missing_ok=True)
        return
    final = report_path(session.report_dir, session.env_name, "html", session.stage)
    if not _ends_the_page(partial):
        partial.unlink(missing_ok=True)
        session.write_errors.append(
            f"could not write {final}: pytest-html wrote an incomplete page"
        )
        return
    try:
        publish_file(partial, final)
    except ReportWriteError as exc:
        session.write_errors.append(str(exc))
        return
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "_report_path", None) == partial.resolve():
            plugin._report_path = final  # so pytest-html's closing line names the real file


def discard(session: ReadinessSession, error: BaseException) -> None:
    """pytest-html failed to write its page: one line, and its partial file is gone."""
    partial = _partial_path(session)
    partial.unlink(missing_ok=True)
    final = report_path(session.report_dir, session.env_name, "html", session.stage)
    cause = error.strerror if isinstance(error, OSError) and error.strerror else error
    session.write_errors.append(f"could not write {final}: {cause}")


def _ends_the_page(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(max(path.stat().st_size - 64, 0))
        return b"</html>" in handle.read()


def _partial_path(session: ReadinessSession) -> Path:
    name = report_name(session.env_name, session.stage)
    return session.report_dir / f".readiness-{name}.html.partial"


class HtmlReportHooks:
    """pytest-html hooks: title, the static summary, extra columns and evidence per row."""

    def __init__(self, session: ReadinessSession) -> None:
        self._session = session
        self._report_data: Any = None
        self._detailed: set[str] = set()  # items whose row shows more than our table

    @property
    def _table_is_ours(self) -> bool:
        """True when the run is too big for pytest-html's script-rendered table."""
        return len(self._session.plan) > PYTEST_HTML_ROW_LIMIT

    def note(self, report: pytest.TestReport) -> None:
        """Called for each report before pytest-html takes it (which it does for all of an
        item's reports at its teardown): whether the item's row would add to our table."""
        if report.outcome != "passed" or report.sections or getattr(report, "extras", None):
            self._detailed.add(report.nodeid)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """pytest-metadata's environment table (CI variables...): redacted, escaped, flat.

        pytest-html puts these values into the page as HTML without escaping, and renders a
        table-valued entry as a malformed nested list; one escaped line per entry avoids both.
        """
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        metadata = session.config.stash.get(metadata_key, None)
        if metadata is not None:
            for key, value in list(metadata.items()):
                metadata[key] = escape(self._session.redact.text(_flat(value)))

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
        table = (
            PytestHtmlTable(0, limit=PYTEST_HTML_ROW_LIMIT)
            if self._table_is_ours
            else PytestHtmlTable(len(self._detailed))
        )
        ours = render_summary(report, self._session.redact, pytest_html=table)
        self._session.page_summary = ours
        prefix[:0] = [ours]

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        # Not `sortable`: pytest-html would run two regexes per such cell of every row, a
        # fifth of what --readiness adds to a 1,000-item run; rows already come in phase
        # order, and our static table filters by outcome and category.
        cells[2:2] = [
            '<th data-column-type="category">Category</th>',
            '<th data-column-type="phase">Phase</th>',
            '<th data-column-type="runbook">Runbook line</th>',
            '<th data-column-type="readiness-outcome">Outcome</th>',
        ]

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        if self._table_is_ours or _never_shown(report) or self._repeats_our_row(report):
            del cells[:]  # pytest-html then skips its per-row work (regexes, logs, hooks)
            return
        _escape_test_id(report, cells)
        info = getattr(report, "readiness", None) or {}
        spec = self._session.spec(report.nodeid)
        category, title = (spec.category, spec.title) if spec else ("", "")
        phase = _phase_label(spec.phase, self._session) if spec else ""
        cells[2:2] = [
            f'<td class="col-category">{escape(category)}</td>',
            f'<td class="col-phase">{escape(phase)}</td>',
            f'<td class="col-runbook">{escape(title)}</td>',
            f'<td class="col-readiness-outcome">{escape(_row_outcome(report, info))}</td>',
        ]

    def _repeats_our_row(self, report: pytest.TestReport) -> bool:
        """A quiet pass: its row would show nothing that our table does not."""
        return report.passed and report.nodeid not in self._detailed

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        info = getattr(report, "readiness", None) or {}
        evidence = [Evidence.from_dict(e) for e in info.get("evidence", ())]
        if evidence:
            data[:0] = [self._session.redact.text(render_evidence(evidence))]


def _escape_test_id(report: pytest.TestReport, cells: list[str]) -> None:
    """pytest-html writes the node id into its cell as HTML, and its script inserts the cell
    with `innerHTML`: a parametrize id like `<img onerror=...>` would run. Write it escaped."""
    test_id = report.nodeid if report.when == "call" else f"{report.nodeid}::{report.when}"
    for index, cell in enumerate(cells):
        if cell.startswith('<td class="col-testId">'):
            cells[index] = f'<td class="col-testId">{escape(test_id)}</td>'


def escape_links(report: pytest.TestReport) -> None:
    """pytest-html puts a link extra's name and URL into its links cell as they are, and the
    cell in with `innerHTML`; escape both, and drop a URL that would run script (`javascript:`)."""
    for extra in getattr(report, "extras", None) or ():
        if not isinstance(extra, dict) or extra.get("format_type") not in _LINK_EXTRAS:
            continue
        extra["name"] = escape(str(extra.get("name", "")))
        if extra["format_type"] == "url":
            url = str(extra.get("content", ""))
            extra["content"] = escape(url) if _SAFE_HREF.match(url.strip()) else "#"


class PageRedaction:
    """pytest-html's own parts of the page (title, test ids, rows, logs) masked just before
    it writes them; registered whenever pytest-html is, also for a page at the user's `--html`.
    """

    def __init__(self, session: ReadinessSession) -> None:
        self._session = session
        self._page: Any = None

    def pytest_html_report_title(self, report: Any) -> None:
        self._page = report

    @pytest.hookimpl(trylast=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        redact = self._session.redact
        ours = self._session.page_summary  # masked whole as it was made
        for part in (prefix, summary, postfix):
            part[:] = [f if f is ours else redact.text(f) for f in part]
        if self._page is not None:
            data = self._page.data
            for key, value in list(data.items()):
                data[key] = redact.masked(value)


def _never_shown(report: pytest.TestReport) -> bool:
    """A passed setup or teardown: pytest-html builds its row and then drops it.

    The one thing it keeps from a passed teardown is that phase's captured output, appended
    to the call's row; a teardown that captured something is therefore still processed.
    """
    if report.when == "setup":
        return report.passed
    if report.when == "teardown":
        return report.passed and not any("teardown" in title for title, _ in report.sections)
    return False


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _phase_label(phase: int, session: ReadinessSession) -> str:
    return session.phase_label(phase)


def _row_outcome(report: pytest.TestReport, info: dict[str, Any]) -> str:
    if info.get("not_run"):
        return "not-run"
    if report.when == "call" and report.passed:
        return "passed"
    return str(report.outcome) if report.when == "call" else f"{report.outcome} ({report.when})"
