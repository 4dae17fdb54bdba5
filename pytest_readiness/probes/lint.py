"""Parse linter JSON (ESLint's `--format json`, ruff's `--output-format json`): zero findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import decode_json_output, first


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


def from_lint_json(text: str, tool: str = "auto", root: Path | None = None) -> ProbeResult:
    """Fail on any error or warning, naming the first files and rules (relative to `root`)."""
    try:
        results = decode_json_output(text)
    except ValueError as exc:
        return ProbeResult.failed(f"lint output is not JSON: {exc}")
    if not isinstance(results, list):
        return ProbeResult.failed("lint output is not a JSON list of results")
    kind = _detect(results) if tool == "auto" else tool
    findings = eslint_findings(results) if kind == "eslint" else ruff_findings(results)
    if root is not None:
        findings = [replace(f, path=_relative(f.path, root)) for f in findings]
    return _judge(findings, kind)


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


def _detect(results: list[Any]) -> str:
    sample = next((r for r in results if isinstance(r, Mapping)), {})
    return "eslint" if "messages" in sample or "filePath" in sample else "ruff"


def _judge(findings: list[Finding], tool: str) -> ProbeResult:
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    evidence = [
        Evidence(
            "note",
            f"{tool}: {errors} errors, {warnings} warnings",
            detail="\n".join(f"{f} {f.severity}: {f.message}" for f in findings[:20]),
            data={"errors": errors, "warnings": warnings},
        )
    ]
    if findings:
        named = first([str(f) for f in findings], 3)
        return ProbeResult.failed(f"{errors} errors, {warnings} warnings: {named}", evidence)
    return ProbeResult.passed(evidence)
