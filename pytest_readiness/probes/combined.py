"""Several probe results read as one checklist item."""

from __future__ import annotations

from pytest_readiness.model import ProbeResult


def all_of(*results: ProbeResult) -> ProbeResult:
    """Fails if any result fails, with every reason joined; keeps all evidence, warnings and
    findings (a failure is `findings_only` when every failing result's is).

    No result at all means nothing was checked: that fails too.
    """
    if not results:
        return ProbeResult.failed("nothing was checked: no probe results to combine")
    evidence = tuple(row for result in results for row in result.evidence)
    warnings = tuple(w for result in results for w in result.warnings)
    findings = tuple(f for result in results for f in result.findings)
    failing = [result for result in results if not result.ok]
    return ProbeResult(
        ok=not failing,
        reason="; ".join(result.reason for result in failing),
        evidence=evidence,
        warnings=warnings,
        findings=findings,
        findings_only=bool(failing) and all(result.findings_only for result in failing),
    )
