"""The verdict at the end of the terminal output, in pytest's style (`-q`, `-qq`, `--color`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pytest_readiness.model import Item, Verdict
from pytest_readiness.redact import MIN_SECRET_LENGTH, Redactor
from pytest_readiness.report.ci import error_annotations, in_github_actions
from pytest_readiness.report.files import report_path
from pytest_readiness.run.session import ReadinessSession


def redact_terminal(writer: Any, redact: Redactor) -> None:
    """Everything written to the terminal passes `redact`: pytest's own lines too (node ids,
    warnings, xfail reasons, collection errors, INTERNALERROR), and xdist workers' reports,
    which the controller writes. Every line pytest writes goes through `writer.write`.
    """
    write = writer.write

    def redacted(msg: str, **kwargs: Any) -> None:
        write(redact.text(msg) if len(msg) >= MIN_SECRET_LENGTH else msg, **kwargs)

    writer.write = redacted


def index_teardown_reports(reporter: Any) -> None:
    """pytest finds each failure's teardown report by scanning every report of the run:
    500 failures x 20,000 setup and teardown reports is seconds at the end of a big run.
    The same reports, found through an index by node id, print the same sections.
    """
    if not callable(getattr(reporter, "_get_teardown_reports", None)):
        return  # a pytest that finds them some other way
    index: dict[str, list[Any]] = {}
    indexed = -1

    def teardown_reports(node: Any) -> list[Any]:
        # pytest 9.0 asks by node id string, 9.2 by its structured `NodeId`: both print as it.
        nonlocal indexed
        if indexed != len(reporter.stats.get("", ())):  # rebuilt only if reports came since
            indexed = len(reporter.stats.get("", ()))
            index.clear()
            for report in reporter.getreports(""):
                if report.when == "teardown":
                    index.setdefault(str(getattr(report, "id", report.nodeid)), []).append(report)
        return list(index.get(str(node), ()))

    reporter._get_teardown_reports = teardown_reports


def write_summary(
    terminal: Any, readiness: ReadinessSession, environ: Mapping[str, str] | None = None
) -> None:
    """Verdict line always; blockers, skipped history files and paths unless `-qq`; warnings
    and changes unless `-q`."""
    report = readiness.report
    if report is None:
        return
    redact = readiness.redact
    verbosity = terminal.config.get_verbosity()
    good = report.verdict is Verdict.GO
    terminal.write_sep(
        "=", f"readiness: {report.verdict} ({report.env})", green=good, red=not good, bold=True
    )
    if in_github_actions(os.environ if environ is None else environ):
        for line in error_annotations(report, redact):
            terminal.write_line(line)
    if verbosity < -1:
        return
    terminal.write_line(redact.text(report.sentence))
    for item in report.blockers:
        terminal.write("  BLOCKER ", red=True, bold=True)
        terminal.write_line(redact.text(f"{item.title}: {item.outcome} - {item.reason}"))
    _write_history_damage(terminal, report.extra.get("since_last_run"))  # -q too: CI runs -q
    if verbosity >= 0:
        for item in report.warnings:
            terminal.write("  warning ", yellow=True)
            terminal.write_line(redact.text(_warning(item)))
        _write_changes(terminal, report.extra.get("since_last_run"))
    for error in dict.fromkeys(readiness.write_errors):
        terminal.write("  REPORT NOT WRITTEN ", red=True, bold=True)
        terminal.write_line(redact.text(error))
    folder = readiness.report_dir
    paths = ", ".join(
        str(report_path(folder, report.env, suffix, report.stage))
        for suffix in ("html", "json", "md")
    )
    terminal.write_line(f"reports: {paths}")


def _warning(item: Item) -> str:
    notes = item.warning_notes if item.outcome.is_ok else ()
    if notes:
        return f"{item.title}: {item.outcome} with warning - {'; '.join(notes)}"
    return f"{item.title}: {item.outcome} - {item.reason}"


def _write_history_damage(terminal: Any, diff: Any) -> None:
    """One line naming the history files that were skipped: the diff is missing their runs."""
    skipped = diff.get("skipped") if isinstance(diff, Mapping) else None
    if skipped:
        noun = "file" if len(skipped) == 1 else f"{len(skipped)} files"
        terminal.write("history: ", yellow=True)
        terminal.write_line(f"skipped damaged {noun}: {', '.join(skipped)}")


def _write_changes(terminal: Any, diff: Any) -> None:
    if not isinstance(diff, Mapping) or not diff.get("previous"):
        return
    counts = {key: len(diff.get(key) or ()) for key in ("newly_failing", "newly_passing")}
    still = len(diff.get("still_failing") or ())
    new = len(diff.get("new") or ())
    terminal.write_line(
        f"since last run: {counts['newly_failing']} newly failing, "
        f"{counts['newly_passing']} newly passing, {still} still failing"
        + (f", {new} new" if new else "")
    )
