"""Every output renders the same Report: JSON, Markdown, HTML (through pytest-html), terminal.

A run's files are its own: `start_reports` replaces the previous run's files by an
in-progress NO-GO before any item runs, so a run that dies on the way (`os._exit`, SIGKILL)
leaves that on disk, never the GO of an earlier run; `write_reports` replaces them with the
result. Only the process that started the run writes (never a check's forked child).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.model import Outcome, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report import first_day as first_24_hours
from pytest_readiness.report import history
from pytest_readiness.report.checklist import render_runbook_checklist
from pytest_readiness.report.ci import append_step_summary
from pytest_readiness.report.files import ReportWriteError, atomic_write, report_name, report_path
from pytest_readiness.report.jsonfile import render_json
from pytest_readiness.report.markdown import render_markdown
from pytest_readiness.report.page import render_page
from pytest_readiness.run.session import ReadinessSession

_INCOMPLETE = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)


def start_reports(readiness: ReadinessSession) -> None:
    """The run has started: its in-progress NO-GO replaces the previous run's files."""
    if not readiness.owns_reports:
        return
    report = readiness.build_report(complete=False, in_progress=True)
    readiness.report = None  # the terminal and the final files render the finished run only
    _write_files(readiness, report, _markdown(readiness, report))
    readiness.started = True


def write_reports(
    readiness: ReadinessSession, *, exitstatus: int, environ: Mapping[str, str] | None = None
) -> Report:
    """Build the run's Report once, add the diff against earlier runs, write every file.

    A file that cannot be written is one line in `readiness.write_errors`; the others are
    still attempted.
    """
    report = readiness.build_report(complete=exitstatus not in _INCOMPLETE)
    folder = readiness.report_dir
    runs_folder = history.history_dir(folder, report_name(report.env, report.stage))
    keep = int(readiness.config.raw.get("history_keep", history.DEFAULT_KEEP))
    recorded = _as_recorded(report, readiness.redact)
    runs = history.load_runs(runs_folder)
    diff = history.since_last_run(recorded, runs, keep)
    extra = {**report.extra, "since_last_run": diff}
    first_day = first_24_hours.timeline(report, runs)
    if first_day is not None:
        extra["first_24_hours"] = first_day
    report = replace(report, extra=extra)
    readiness.report = report
    if not readiness.owns_reports:
        return report
    markdown = _markdown(readiness, report)
    _write_files(readiness, report, markdown)
    if any(item.outcome is not Outcome.NOT_RUN for item in report.items):
        # A run where nothing ran (Ctrl-C at once) says nothing about change.
        entry = readiness.redact.masked(history.entry_of(recorded))
        _attempt(readiness, lambda: history.save_run(runs_folder, entry, keep))
    environ = os.environ if environ is None else environ
    _attempt(readiness, lambda: append_step_summary(markdown, environ))
    return report


def _markdown(readiness: ReadinessSession, report: Report) -> str:
    markdown = render_markdown(report, readiness.redact)
    if readiness.runbook is None:
        return markdown
    checklist = render_runbook_checklist(readiness.runbook, report)
    return readiness.redact.text(checklist) + "\n" + markdown


def _write_files(readiness: ReadinessSession, report: Report, markdown: str) -> None:
    """JSON and Markdown; the HTML too unless pytest-html writes it (then `html.publish`)."""
    folder, env, stage = readiness.report_dir, report.env, report.stage
    outputs: list[tuple[str, Callable[[], str]]] = [
        ("json", lambda: render_json(report, readiness.redact)),
        ("md", lambda: markdown),
    ]
    if report.in_progress or not readiness.html_by_pytest_html:
        outputs.append(("html", lambda: render_page(report, readiness.redact)))
    for suffix, render in outputs:
        path = report_path(folder, env, suffix, stage)
        _attempt(readiness, functools.partial(_write_rendered, path, render))


def _write_rendered(path: Path, render: Callable[[], str]) -> None:
    atomic_write(path, render())


def _attempt(readiness: ReadinessSession, write: Callable[[], object]) -> None:
    """Run one write; a failure is recorded as one line and the next output is still tried."""
    try:
        write()
    except ReportWriteError as exc:
        readiness.write_errors.append(str(exc))
    except OSError as exc:
        where = exc.filename or "a report"
        readiness.write_errors.append(f"could not write {where}: {exc.strerror or exc}")


def _as_recorded(report: Report, redact: Redactor) -> Report:
    """The report with its item ids masked, as the history keeps them (an id may hold a secret
    through a parametrize id), so that they match the ids of earlier runs."""
    ids = [item.id for item in report.items]
    if redact.masked(ids) is ids:
        return report
    items = tuple(replace(item, id=redact.text(item.id)) for item in report.items)
    return replace(report, items=items)
