"""The evidence log of the running item: what a check saw, kept as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_readiness.model import CheckFailed, Evidence, ProbeResult


class EvidenceLog:
    """Collects evidence for one item; `expect` turns a probe's verdict into the item's."""

    def __init__(self) -> None:
        self._entries: list[Evidence] = []

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[Evidence, ...]:
        return tuple(self._entries)

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
        """Record a probe's evidence and warnings; fail the item with its reason if not ok."""
        self.extend(result.evidence)
        for message in result.warnings:
            self.warn(message)
        if not result.ok:
            raise CheckFailed(result.reason or "check failed")
        return result

    def since(self, position: int) -> tuple[Evidence, ...]:
        return tuple(self._entries[position:])
