"""The evidence log of the running item: what a check saw, kept as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_readiness.model import CheckFailed, Evidence, Finding, FindingsFailed, ProbeResult


class EvidenceLog:
    """Collects evidence for one item; `expect` turns a probe's verdict into the item's."""

    def __init__(self) -> None:
        self._entries: list[Evidence] = []
        # By key: a check that reports a finding twice lists it once.
        self._findings: dict[str, Finding] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[Evidence, ...]:
        return tuple(self._entries)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self._findings.values())

    def forget_findings(self) -> None:
        """A retried check starts again: only its last attempt's findings describe the item."""
        self._findings.clear()

    def add(self, kind: str, summary: str, detail: str = "", **data: Any) -> Evidence:
        """Attach one entry (`data` must be plain JSON values)."""
        entry = Evidence(kind=kind, summary=summary, detail=detail, data=data)
        self._entries.append(entry)
        return entry

    def append(self, entry: Evidence) -> None:
        self._entries.append(entry)

    def extend(self, entries: Iterable[Evidence]) -> None:
        self._entries.extend(entries)

    def warn(self, message: str) -> None:
        self.add("warning", message)

    def expect(self, result: ProbeResult) -> ProbeResult:
        """Record a probe's evidence, warnings and findings; fail the item with its reason if
        not ok (`FindingsFailed` when blocking findings alone failed it)."""
        self.extend(result.evidence)
        self._findings.update((finding.key, finding) for finding in result.findings)
        for message in result.warnings:
            self.warn(message)
        if not result.ok and result.findings_only:
            raise FindingsFailed(result.reason)
        if not result.ok:
            raise CheckFailed(result.reason or "check failed")
        return result

    def since(self, position: int) -> tuple[Evidence, ...]:
        return tuple(self._entries[position:])
