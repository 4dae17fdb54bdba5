"""Every output renders the same Report: JSON, Markdown, HTML (through pytest-html), terminal."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

import pytest

from pytest_readiness.binding import render_runbook_checklist
from pytest_readiness.model import Outcome, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report import history
from pytest_readiness.report.ci import append_step_summary
from pytest_readiness.report.files import atomic_write, report_path
from pytest_readiness.report.jsonfile import render_json
from pytest_readiness.report.markdown import render_markdown
from pytest_readiness.session import ReadinessSession

_INCOMPLETE = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)


def write_reports(
    readiness: ReadinessSession, *, exitstatus: int, environ: Mapping[str, str] | None = None
) -> Report:
    """Build the run's Report once, add the diff against earlier runs, write every file."""
    report = readiness.build_report(complete=exitstatus not in _INCOMPLETE)
    folder = readiness.report_dir
    runs_folder = history.history_dir(folder, report.env)
    keep = int(readiness.config.raw.get("history_keep", history.DEFAULT_KEEP))
    recorded = _as_recorded(report, readiness.redact)
    diff = history.since_last_run(recorded, history.load_runs(runs_folder), keep)
    report = replace(report, extra={**report.extra, "since_last_run": diff})
    readiness.report = report
    markdown = render_markdown(report, readiness.redact)
    if readiness.runbook is not None:
        checklist = render_runbook_checklist(readiness.runbook, report)
        markdown = readiness.redact.text(checklist) + "\n" + markdown
    atomic_write(report_path(folder, report.env, "json"), render_json(report, readiness.redact))
    atomic_write(report_path(folder, report.env, "md"), markdown)
    if any(item.outcome is not Outcome.NOT_RUN for item in report.items):
        # A run where nothing ran (--collect-only, Ctrl-C at once) says nothing about change.
        entry = readiness.redact.masked(history.entry_of(recorded))
        history.save_run(runs_folder, entry, keep)
    append_step_summary(markdown, os.environ if environ is None else environ)
    return report


def _as_recorded(report: Report, redact: Redactor) -> Report:
    """The report with its item ids masked, as the history keeps them (an id may hold a secret
    through a parametrize id), so that they match the ids of earlier runs."""
    ids = [item.id for item in report.items]
    if redact.masked(ids) is ids:
        return report
    items = tuple(replace(item, id=redact.text(item.id)) for item in report.items)
    return replace(report, items=items)
