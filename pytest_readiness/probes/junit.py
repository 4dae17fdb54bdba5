"""Read a JUnit XML report: at least one test ran (was not skipped) and none failed or errored."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import first


@dataclass(frozen=True)
class JUnitTotals:
    """Test cases in a JUnit report, by outcome (names of the non-passing ones kept)."""

    tests: int
    failed: tuple[str, ...]
    errored: tuple[str, ...]
    skipped: tuple[str, ...]


def read_totals(xml_text: str) -> JUnitTotals:
    """Count `<testcase>` elements; works for `<testsuites>` and bare `<testsuite>` roots."""
    root = ET.fromstring(xml_text)
    tests = 0
    failed: list[str] = []
    errored: list[str] = []
    skipped: list[str] = []
    for case in root.iter("testcase"):
        tests += 1
        name = _case_name(case)
        if case.find("failure") is not None:
            failed.append(name)
        elif case.find("error") is not None:
            errored.append(name)
        elif case.find("skipped") is not None:
            skipped.append(name)
    return JUnitTotals(tests, tuple(failed), tuple(errored), tuple(skipped))


def from_junit_xml(
    xml_text: str, source: str = "JUnit report", *, allow_empty: bool = False
) -> ProbeResult:
    """Pass when a test ran and none failed or errored; none ran fails unless `allow_empty`."""
    try:
        totals = read_totals(xml_text)
    except ET.ParseError as exc:
        return ProbeResult.failed(f"{source} is not valid JUnit XML: {exc}")
    summary = (
        f"{source}: {totals.tests} tests, {len(totals.failed)} failed, "
        f"{len(totals.errored)} errors, {len(totals.skipped)} skipped"
    )
    evidence = [Evidence("file", summary, data={"path": source, "tests": totals.tests})]
    broken = [*totals.failed, *totals.errored]
    if broken:
        reason = (
            f"{len(totals.failed)} failed, {len(totals.errored)} errors of {totals.tests} tests: "
            f"{first(broken, 3)}"
        )
        return ProbeResult.failed(reason, evidence, _skip_warnings(totals))
    nothing_ran = _nothing_ran(totals, source)
    if nothing_ran and not allow_empty:
        return ProbeResult.failed(nothing_ran, evidence)
    if nothing_ran:
        return ProbeResult.passed(evidence, [nothing_ran])
    return ProbeResult.passed(evidence, _skip_warnings(totals))


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
    if not path.is_file():
        return ProbeResult.failed(f"no JUnit report at {path}")
    if not_before is not None and path.stat().st_mtime < not_before - 1:
        return ProbeResult.failed(f"JUnit report {path} was not rewritten by this run")
    text = path.read_text(encoding="utf-8", errors="replace")
    return from_junit_xml(text, str(path), allow_empty=allow_empty)


def _case_name(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    return f"{classname}.{name}" if classname else name


def from_test_run(
    command: str,
    returncode: int,
    report: Path,
    not_before: float | None = None,
    *,
    allow_empty: bool = False,
) -> ProbeResult:
    """A test command's verdict: its JUnit report must pass and the command must exit 0."""
    result = from_junit_file(report, not_before, allow_empty=allow_empty)
    if not result.ok or returncode == 0:
        return result
    return ProbeResult.failed(
        f"{command} exited {returncode} although {report.name} shows no failure",
        result.evidence,
        result.warnings,
    )
