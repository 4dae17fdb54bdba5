"""Read a JUnit XML report: at least one test ran (was not skipped) and none failed or errored."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted, first, first_line
from pytest_readiness.probes.command import CommandResult

MAX_MESSAGE = 200
PYTEST_COLLECTION_FAILURE = "collection failure"


@dataclass(frozen=True)
class JUnitTotals:
    """Test cases in a JUnit report, by outcome (names of the non-passing ones kept)."""

    tests: int
    failed: tuple[str, ...]
    errored: tuple[str, ...]
    skipped: tuple[str, ...]
    first_message: str = ""  # what the first failed or errored case says went wrong


def read_totals(xml_text: str) -> JUnitTotals:
    """Count `<testcase>` elements; works for `<testsuites>` and bare `<testsuite>` roots."""
    root = ET.fromstring(xml_text)
    tests = 0
    failed: list[str] = []
    errored: list[str] = []
    skipped: list[str] = []
    message = ""
    for case in root.iter("testcase"):
        tests += 1
        name = _case_name(case)
        broken = case.find("failure")
        if broken is not None:
            failed.append(name)
        elif (broken := case.find("error")) is not None:
            errored.append(name)
        elif case.find("skipped") is not None:
            skipped.append(name)
        if broken is not None and not message:
            message = _message(broken)
    return JUnitTotals(tests, tuple(failed), tuple(errored), tuple(skipped), message)


def _message(element: ET.Element) -> str:
    """The first line of a failure's `message`, else of its text (Vitest puts the error there).

    pytest's message for a module that does not import is "collection failure": the
    exception is its text's last `E   ` line.
    """
    text = element.text or ""
    line = first_line(element.get("message") or "") or first_line(text)
    if line == PYTEST_COLLECTION_FAILURE:
        raised = [row[1:].strip() for row in text.splitlines() if row.startswith("E   ")]
        line = raised[-1] if raised else line
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 3] + "..."


def from_junit_xml(
    xml_text: str, source: str = "JUnit report", *, allow_empty: bool = False
) -> ProbeResult:
    """Pass when a test ran and none failed or errored; none ran fails unless `allow_empty`."""
    try:
        totals = read_totals(xml_text)
    except ET.ParseError as exc:
        return ProbeResult.failed(f"{source} is not valid JUnit XML: {exc}")
    return from_totals(totals, source, allow_empty=allow_empty)


def from_totals(totals: JUnitTotals, source: str, *, allow_empty: bool = False) -> ProbeResult:
    """The verdict on counted test cases (see `from_junit_xml`)."""
    summary = (
        f"{source}: {counted(totals.tests, 'test')}, {len(totals.failed)} failed, "
        f"{counted(len(totals.errored), 'error')}, {len(totals.skipped)} skipped"
    )
    evidence = [Evidence("file", summary, data={"path": source, "tests": totals.tests})]
    broken = [*totals.failed, *totals.errored]
    if broken:
        return ProbeResult.failed(_broken_reason(totals, broken), evidence, _skip_warnings(totals))
    nothing_ran = _nothing_ran(totals, source)
    if nothing_ran and not allow_empty:
        return ProbeResult.failed(nothing_ran, evidence)
    if nothing_ran:
        return ProbeResult.passed(evidence, [nothing_ran])
    return ProbeResult.passed(evidence, _skip_warnings(totals))


def _broken_reason(totals: JUnitTotals, broken: list[str]) -> str:
    """`1 failed of 3 tests: a.test.ts (Cannot find module './x')`: counts, names, first why."""
    counts = [f"{len(totals.failed)} failed"] if totals.failed else []
    if totals.errored:
        counts.append(counted(len(totals.errored), "error"))
    why = f" ({totals.first_message})" if totals.first_message else ""
    return f"{', '.join(counts)} of {counted(totals.tests, 'test')}: {first(broken, 3)}{why}"


def _nothing_ran(totals: JUnitTotals, source: str) -> str:
    """Why the report shows no test that ran, or "" when one did."""
    if totals.tests == 0:
        return f"no test ran: {source} has no test cases"
    if len(totals.skipped) == totals.tests:
        skipped = list(totals.skipped)
        return f"no test ran: {totals.tests} of {totals.tests} skipped ({first(skipped, 3)})"
    return ""


def _skip_warnings(totals: JUnitTotals) -> list[str]:
    """Some skipped tests are a warning, not a failure."""
    if not totals.skipped:
        return []
    return [f"{len(totals.skipped)} skipped: {first(list(totals.skipped))}"]


def from_junit_file(
    path: Path, not_before: float | None = None, *, allow_empty: bool = False
) -> ProbeResult:
    """Read the report the test command wrote; a missing or older file means it wrote none."""
    problem = report_problem(path, not_before)
    if problem:
        return ProbeResult.failed(problem)
    text = path.read_text(encoding="utf-8", errors="replace")
    return from_junit_xml(text, str(path), allow_empty=allow_empty)


def report_problem(path: Path, not_before: float | None = None) -> str:
    """Why `path` is not this run's JUnit report (missing, or older than `not_before`), or ""."""
    if not path.is_file():
        return f"no JUnit report at {path}"
    if not_before is not None and path.stat().st_mtime < not_before - 1:
        return f"JUnit report {path} was not rewritten by this run"
    return ""


def _case_name(case: ET.Element) -> str:
    """`classname.name`, or one of them when both are the same (Vitest, jest-junit)."""
    classname = case.get("classname", "")
    name = case.get("name", "?")
    return f"{classname}.{name}" if classname and classname != name else name


def from_test_run(
    command: str,
    returncode: int,
    report: Path,
    not_before: float | None = None,
    *,
    allow_empty: bool = False,
) -> ProbeResult:
    """A test command's verdict: its JUnit report must pass and the command must exit 0."""
    ran = CommandResult(command, returncode, "", 0.0)
    return from_test_command(ran, report, not_before, allow_empty=allow_empty)


def from_test_command(
    result: CommandResult,
    report: Path,
    not_before: float | None = None,
    *,
    allow_empty: bool = False,
) -> ProbeResult:
    """A test command's verdict from its JUnit report and how it ended.

    A report it did not write, or did not finish, fails with what the command said (npm's
    `Missing script`, the runner's own error line), and a timeout names the command.
    """
    if result.timed_out:
        return ProbeResult.failed(result.failure())
    problem = report_problem(report, not_before)
    if problem:
        return ProbeResult.failed(result.explain(problem))
    try:
        totals = read_totals(report.read_text(encoding="utf-8", errors="replace"))
    except ET.ParseError as exc:
        return ProbeResult.failed(result.explain(f"{report} is not valid JUnit XML: {exc}"))
    verdict = from_totals(totals, str(report), allow_empty=allow_empty)
    if not verdict.ok or result.returncode == 0:
        return verdict
    return ProbeResult.failed(
        f"{result.command} exited {result.returncode} although {report.name} shows no failure",
        verdict.evidence,
        verdict.warnings,
    )
