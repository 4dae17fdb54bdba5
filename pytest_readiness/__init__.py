"""pytest-readiness: a production-deployment runbook's checklist as phase-ordered pytest checks."""

from __future__ import annotations

from pytest_readiness.config import Environment, MissingSetting, MissingVariable
from pytest_readiness.model import (
    Category,
    Evidence,
    Item,
    Outcome,
    ProbeResult,
    Report,
    Verdict,
)


class CheckFailed(AssertionError):
    """Raised by a check or fixture to fail the running item with a one-line reason."""


__all__ = [
    "Category",
    "CheckFailed",
    "Environment",
    "Evidence",
    "Item",
    "MissingSetting",
    "MissingVariable",
    "Outcome",
    "ProbeResult",
    "Report",
    "Verdict",
]
