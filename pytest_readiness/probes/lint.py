"""Parse linter JSON (ESLint's `--format json`, ruff's `--output-format json`): zero findings.

The tool is told by the report's shape: ESLint lists every linted file (`filePath`,
`messages`), ruff lists only diagnostics (`code`, `filename`, `location`). An empty list has
no shape: for ESLint it means no file was linted, so it fails unless the caller declares
ruff, whose clean report is `[]`; then ruff's own "No Python files found" warning in the
command's output is what tells an empty run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted, decode_json_output, first
from pytest_readiness.probes.command import CommandResult, unreadable_report

NO_FILES_LINTED = "no files linted"
_EMPTY_REPORT_HINT = (
    "ESLint lists every file it lints, so [] means it linted none. ruff lists only findings, "
    "so a clean ruff run also writes []: declare the tool as ruff to read it that way."
)
# What ruff (and ESLint without --no-error-on-unmatched-pattern) print when nothing matched.
_NOTHING_MATCHED = re.compile(
    r"^.*(?:No Python files found|No files matching the pattern).*$", re.MULTILINE
)


@dataclass(frozen=True)
class Finding:
    """One lint message: where, which rule, and whether it is an error or a warning."""

    path: str
    line: int
    rule: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.rule}"


def eslint_findings(results: Any) -> list[Finding]:
    """Messages from ESLint's JSON formatter (severity 2 = error, 1 = warning)."""
    findings = []
    for result in results:
        for message in result.get("messages") or ():
            severity = (
                "error" if message.get("severity") == 2 or message.get("fatal") else "warning"
            )
            findings.append(
                Finding(
                    str(result.get("filePath", "?")),
                    int(message.get("line") or 0),
                    str(message.get("ruleId") or "parse-error"),
                    severity,
                    str(message.get("message", "")),
                )
            )
    return findings


def ruff_findings(results: Any) -> list[Finding]:
    """Diagnostics from `ruff check --output-format json` (all errors unless it says otherwise)."""
    return [
        Finding(
            str(item.get("filename", "?")),
            int((item.get("location") or {}).get("row") or 0),
            str(item.get("code") or "syntax-error"),
            str(item.get("severity") or "error").lower(),
            str(item.get("message", "")),
        )
        for item in results
    ]


def from_lint_json(
    text: str,
    tool: str = "auto",
    root: Path | None = None,
    *,
    log: str = "",
    allow_empty: bool = False,
    run: CommandResult | None = None,
) -> ProbeResult:
    """Fail on any error or warning, naming the first files and rules (relative to `root`).

    A report that shows no file was linted fails unless `allow_empty`; `log` is the lint
    command's output, where ruff says that it found no files. With `run` (the lint command's
    result, its output the default `log`), a report that cannot be read fails with what the
    command said: ESLint's config error, npm's `Missing script`.
    """
    log = log or (run.output if run is not None else "")
    try:
        results = decode_json_output(text)
    except ValueError as exc:
        return unreadable_report(f"lint output is not JSON: {exc}", text, run)
    if not isinstance(results, list):
        return unreadable_report("lint output is not a JSON list of results", text, run)
    kind = _detect(results) if tool == "auto" else tool
    empty = _nothing_linted(results, kind, log)
    if empty:
        why = [Evidence("note", empty, _EMPTY_REPORT_HINT if kind is None else "")]
        if allow_empty:
            return ProbeResult.passed(why, [empty])
        return ProbeResult.failed(empty, why)
    if kind is None:
        shown = json.dumps(results[0])[:80]
        return unreadable_report(f"lint report is neither ESLint nor ruff JSON: {shown}", text, run)
    findings = eslint_findings(results) if kind == "eslint" else ruff_findings(results)
    if root is not None:
        findings = [replace(f, path=_relative(f.path, root)) for f in findings]
    files = len(results) if kind == "eslint" else None
    return _judge(findings, kind, files)


def _nothing_linted(results: list[Any], tool: str | None, log: str) -> str:
    """Why the report shows no file was linted, or "" when some were."""
    if results:
        return ""
    said = _NOTHING_MATCHED.search(log)
    if said:
        return f"{NO_FILES_LINTED}: {tool or 'the linter'}: {said.group(0).strip()}"
    if tool == "ruff":
        return ""
    return f"{NO_FILES_LINTED}: the lint report is an empty list"


def _relative(path: str, root: Path) -> str:
    """ESLint and ruff report absolute paths; the workspace-relative one is what a reader wants."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def from_eslint_json(text: str) -> ProbeResult:
    """ESLint's JSON formatter output."""
    return from_lint_json(text, "eslint")


def from_ruff_json(text: str) -> ProbeResult:
    """ruff's JSON output."""
    return from_lint_json(text, "ruff")


def _detect(results: list[Any]) -> str | None:
    """`eslint` or `ruff` from the first entry's keys; None for an empty or unknown list."""
    sample = next((r for r in results if isinstance(r, Mapping)), {})
    if "messages" in sample or "filePath" in sample:
        return "eslint"
    if "code" in sample and ("filename" in sample or "location" in sample):
        return "ruff"
    return None


def _judge(findings: list[Finding], tool: str, files: int | None) -> ProbeResult:
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    linted = f"{counted(files, 'file')}, " if files is not None else ""
    counts = f"{counted(errors, 'error')}, {counted(warnings, 'warning')}"
    evidence = [
        Evidence(
            "note",
            f"{tool}: {linted}{counts}",
            detail="\n".join(f"{f} {f.severity}: {f.message}" for f in findings[:20]),
            data={"errors": errors, "warnings": warnings, "files": files},
        )
    ]
    if findings:
        named = first([str(f) for f in findings], 3)
        return ProbeResult.failed(f"{counts}: {named}", evidence)
    return ProbeResult.passed(evidence)
