"""The verdict at the end of the terminal output, in pytest's style."""

from __future__ import annotations

from typing import Any

from pytest_readiness.model import Verdict
from pytest_readiness.report.files import report_path
from pytest_readiness.session import ReadinessSession


def write_summary(terminal: Any, readiness: ReadinessSession) -> None:
    report = readiness.report
    if report is None:
        return
    redact = readiness.redact
    good = report.verdict is Verdict.GO
    terminal.write_sep(
        "=", f"readiness: {report.verdict} ({report.env})", green=good, red=not good, bold=True
    )
    terminal.write_line(redact.text(report.sentence))
    for item in report.blockers:
        terminal.write_line(redact.text(f"  BLOCKER {item.title}: {item.outcome} - {item.reason}"))
    if terminal.config.get_verbosity() >= 0:
        for item in report.warnings:
            terminal.write_line(
                redact.text(f"  warning {item.title}: {item.outcome} - {item.reason}")
            )
    folder = readiness.report_dir
    paths = ", ".join(str(report_path(folder, report.env, s)) for s in ("html", "json", "md"))
    terminal.write_line(f"reports: {paths}")
