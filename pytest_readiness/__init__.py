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
from pytest_readiness.retry import Retry

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
    "Retry",
    "Verdict",
]
