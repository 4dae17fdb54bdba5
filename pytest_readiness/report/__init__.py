"""Every output renders the same Report: JSON, Markdown, HTML (through pytest-html), terminal."""

from __future__ import annotations

import pytest

from pytest_readiness.binding import render_runbook_checklist
from pytest_readiness.model import Report
from pytest_readiness.report.files import atomic_write, report_path
from pytest_readiness.report.jsonfile import render_json
from pytest_readiness.report.markdown import render_markdown
from pytest_readiness.session import ReadinessSession

_INCOMPLETE = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)


def write_reports(readiness: ReadinessSession, *, exitstatus: int) -> Report:
    """Build the run's Report once and write the JSON and Markdown files."""
    report = readiness.build_report(complete=exitstatus not in _INCOMPLETE)
    folder = readiness.report_dir
    atomic_write(report_path(folder, report.env, "json"), render_json(report, readiness.redact))
    markdown = render_markdown(report, readiness.redact)
    if readiness.runbook is not None:
        checklist = render_runbook_checklist(readiness.runbook, report)
        markdown = readiness.redact.text(checklist) + "\n" + markdown
    atomic_write(report_path(folder, report.env, "md"), markdown)
    return report
