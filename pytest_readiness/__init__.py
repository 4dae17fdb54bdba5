"""pytest-readiness: a production-deployment runbook's checklist as phase-ordered pytest checks."""

from __future__ import annotations

from pytest_readiness.config import Environment, MissingSetting, MissingVariable
from pytest_readiness.evidence import EvidenceLog
from pytest_readiness.model import (
    Category,
    CheckFailed,
    Evidence,
    Item,
    Outcome,
    ProbeResult,
    Report,
    Verdict,
)

__all__ = [
    "Category",
    "CheckFailed",
    "Environment",
    "Evidence",
    "EvidenceLog",
    "Item",
    "MissingSetting",
    "MissingVariable",
    "Outcome",
    "ProbeResult",
    "Report",
    "Verdict",
]
