"""Attach each test report's readiness facts (as plain data) and redact what it shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.model import FindingsFailed, ItemTimedOut
from pytest_readiness.redact import Redactor
from pytest_readiness.run.fixtures import EVIDENCE, stashed
from pytest_readiness.run.reason import is_expected, reason_for
from pytest_readiness.run.session import ReadinessSession

_EVIDENCE_SENT = pytest.StashKey[int]()


def describe_call(
    readiness: ReadinessSession,
    item: pytest.Item,
    call: pytest.CallInfo[None],
    report: pytest.TestReport,
    *,
    not_run: str | None,
) -> None:
    """Set `report.readiness`: plain data only, so it crosses from an xdist worker intact.

    Only what differs from a quiet pass is sent; a quiet pass gets no attribute at all (its
    times are the report's own `start` and `stop`, and the controller has the plan).
    """
    info: dict[str, Any] = {}
    if not_run is not None:
        info["not_run"] = not_run
    excinfo = call.excinfo
    if excinfo is not None:
        # Running out of time fails the item, even when it happens in a fixture.
        if isinstance(excinfo.value, ItemTimedOut):
            info["out_of_time"] = True
        if not report.passed:
            redact = readiness.redact
            reason = reason_for(excinfo.value)
            info["reason"] = redact.text(reason)
            info["failure"] = redact.text(compact_failure(excinfo, reason))
            if isinstance(excinfo.value, FindingsFailed):
                info["failed_by_findings"] = True
    log = stashed(item.stash, EVIDENCE)
    if log is not None and log.findings and report.when == "call":
        info["findings"] = [readiness.redact.data(f.to_dict()) for f in log.findings]
    if log is not None:
        sent = stashed(item.stash, _EVIDENCE_SENT) or 0
        if len(log) > sent:
            # A dict of plain scalars is not tracked by the garbage collector, which pytest
            # runs five times at exit; only a report with evidence carries lists.
            info["evidence"] = [readiness.redact.data(e.to_dict()) for e in log.since(sent)]
            item.stash[_EVIDENCE_SENT] = len(log)
    if info:
        report.readiness = info  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Crash:
    message: str


class CompactRepr:
    """A failure shown as its reason (and where it came from), not a traceback."""

    def __init__(self, text: str, message: str) -> None:
        self.text = text
        self.reprcrash = _Crash(message)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def redact_report(redact: Redactor, report: pytest.TestReport, *, compact: bool) -> None:
    """Every output (terminal, JUnit XML, HTML) reads the report: redact it once, here."""
    if report.sections:
        report.sections = [(title, redact.text(content)) for title, content in report.sections]
    longrepr = report.longrepr
    if longrepr is None:
        return
    if isinstance(longrepr, tuple):
        path, lineno, message = longrepr
        report.longrepr = (path, lineno, redact.text(message))
        return
    info = getattr(report, "readiness", {})
    failure = str(info.get("failure", ""))
    if compact and failure:
        report.longrepr = CompactRepr(failure, str(info.get("reason", "")))  # type: ignore[assignment]
        return
    report.longrepr = redact.text(str(longrepr))


_TEXT_EXTRAS = frozenset({"text", "html", "url"})


def redact_extras(redact: Redactor, report: pytest.TestReport) -> None:
    """pytest-html's extras (text, HTML, URL, JSON) masked before it shows them, or writes them
    to files of their own beside a page that is not self-contained."""
    for extra in getattr(report, "extras", None) or ():
        kind = extra.get("format_type")
        if kind in _TEXT_EXTRAS and isinstance(extra.get("content"), str):
            extra["content"] = redact.text(extra["content"])
        elif kind == "json":
            extra["content"] = redact.data(extra.get("content"))


def compact_failure(excinfo: pytest.ExceptionInfo[BaseException], reason: str) -> str:
    """The reason, plus the assertion detail or the line that raised when it helps."""
    exc = excinfo.value
    if isinstance(exc, AssertionError) and not reason.startswith("assert"):
        return reason
    if isinstance(exc, AssertionError):
        return excinfo.exconly().removeprefix("AssertionError: ")
    if is_expected(exc):
        return reason
    entry = _last_entry(excinfo.traceback)
    where = f"\n    raised at {entry}" if entry else ""
    return f"{reason}{where}"


def _last_entry(traceback: Sequence[Any]) -> str:
    if not traceback:
        return ""
    entry = traceback[-1]
    return f"{entry.path}:{entry.lineno + 1}"
