"""Several probe results read as one checklist item."""

from __future__ import annotations

from pytest_readiness.model import ProbeResult


def all_of(*results: ProbeResult) -> ProbeResult:
    """Fails if any result fails, with every reason joined; keeps all evidence and warnings.

    No result at all means nothing was checked: that fails too.
    """
    if not results:
        return ProbeResult.failed("nothing was checked: no probe results to combine")
    evidence = [row for result in results for row in result.evidence]
    warnings = [w for result in results for w in result.warnings]
    reasons = [result.reason for result in results if not result.ok]
    if reasons:
        return ProbeResult.failed("; ".join(reasons), evidence, warnings)
    return ProbeResult.passed(evidence, warnings)
