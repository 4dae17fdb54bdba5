"""CI outputs: the Markdown report in a GitHub job summary, `::error` annotations, JUnit properties.

Workflow-command escaping follows GitHub's toolkit (`@actions/core` `command.ts`): in the
message `%`, CR and LF are percent-encoded; in properties `:` and `,` are too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from pytest_readiness.model import Item, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report.files import atomic_write
from pytest_readiness.run.session import ReadinessSession


def append_step_summary(markdown: str, environ: Mapping[str, str]) -> bool:
    """Append the report to `$GITHUB_STEP_SUMMARY` when the job provides one."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as summary:
        summary.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def error_annotations(report: Report, redact: Redactor) -> list[str]:
    """One `::error title=...::reason` line per blocking failure, redacted and escaped."""
    return [_annotation(item, redact) for item in report.blockers]


def _annotation(item: Item, redact: Redactor) -> str:
    title = escape_property(redact.text(f"{item.title} ({item.outcome})"))
    message = escape_data(redact.text(f"{item.reason or item.outcome} [{item.id}]"))
    return f"::error title={title}::{message}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def junit_properties(readiness: ReadinessSession, nodeid: str) -> list[tuple[str, str]]:
    """The readiness facts of one finished testcase as JUnit `<property>` pairs, redacted."""
    spec = readiness.spec(nodeid)
    if spec is None:
        return []
    record = readiness.records.get(nodeid)
    if nodeid in readiness.not_run or record is None or record.outcome is None:
        outcome = "not-run"
    else:
        outcome = str(record.outcome)
    values = {
        "readiness_category": spec.category,
        "readiness_phase": readiness.phase_label(spec.phase),
        "readiness_outcome": outcome,
        "readiness_runbook_line": spec.title,
        "readiness_blocking": "yes" if spec.blocking else "no",
    }
    return [(name, readiness.redact.text(value)) for name, value in values.items()]


def redact_junit(path: Path, redact: Redactor) -> None:
    """Mask a written JUnit XML file (test names, messages, properties, captured output).

    pytest's junitxml has no hook for what it writes. Masked element by element, not as text,
    so a mask never cuts through an XML entity.
    """
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    if redact.text(text) == text:
        return
    root = ET.fromstring(text)
    for element in root.iter():
        element.attrib.update({key: redact.text(v) for key, v in element.attrib.items()})
        if element.text:
            element.text = redact.text(element.text)
        if element.tail:
            element.tail = redact.text(element.tail)
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    atomic_write(path, declaration + ET.tostring(root, encoding="unicode"))
