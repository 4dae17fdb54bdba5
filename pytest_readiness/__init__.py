"""pytest-readiness: a production-deployment runbook's checklist as phase-ordered pytest checks.

What a check author uses is here: the exceptions and values a check raises or returns
(`CheckFailed`, `ProbeResult`, `Evidence`), the `Retry` marker option, the environment a
check reads, and `probes`, the reusable check helpers (`from pytest_readiness.probes import
lint`; reference in docs/probes.md). Everything else is private to the plugin: `run/`
(how a run goes), `runbook/` (how lines are bound), `report/` (how outputs are drawn).
"""

from __future__ import annotations

from pytest_readiness import probes
from pytest_readiness.config import Environment, MissingSetting, MissingVariable
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
from pytest_readiness.run.evidence import EvidenceLog
from pytest_readiness.run.retry import Retry

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
    "probes",
]
