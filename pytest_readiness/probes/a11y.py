"""Count serious accessibility violations in axe-core JSON results.

Counting rule: each affected node counts once per rule. A rule with impact `serious` or
`critical` that matches three elements counts 3; a node matched by two rules counts twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import decode_json_output

SERIOUS_IMPACTS = frozenset({"serious", "critical"})


def count_serious(results: Any) -> Counter[str]:
    """Serious+critical violations per rule id, over one axe result or a list of them."""
    counts: Counter[str] = Counter()
    for page in _pages(results):
        for violation in page.get("violations") or ():
            counts.update(_serious_nodes(violation))
    return counts


def from_axe_json(text: str, max_serious: int = 4) -> ProbeResult:
    """Fail when more than `max_serious` serious/critical violation nodes were found."""
    try:
        results = decode_json_output(text)
    except ValueError as exc:
        return ProbeResult.failed(f"accessibility output is not axe-core JSON: {exc}")
    counts = count_serious(results)
    total = sum(counts.values())
    listing = ", ".join(f"{rule} x{n}" for rule, n in counts.most_common())
    evidence = [
        Evidence(
            "note",
            f"{total} serious/critical violation nodes (max {max_serious})",
            detail=listing,
            data={"by_rule": dict(counts), "max": max_serious},
        )
    ]
    if total > max_serious:
        return ProbeResult.failed(
            f"{total} serious/critical accessibility violations (max {max_serious}): {listing}",
            evidence,
        )
    if total:
        return ProbeResult.passed(evidence, [f"{total} serious violations within max: {listing}"])
    return ProbeResult.passed(evidence)


def _pages(results: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(results, Mapping):
        return [results]
    if isinstance(results, list):
        return [page for page in results if isinstance(page, Mapping)]
    return []


def _serious_nodes(violation: Mapping[str, Any]) -> Counter[str]:
    rule = str(violation.get("id", "?"))
    nodes = violation.get("nodes") or []
    if not nodes:
        return Counter({rule: 1}) if violation.get("impact") in SERIOUS_IMPACTS else Counter()
    serious = sum(
        1 for node in nodes if (node.get("impact") or violation.get("impact")) in SERIOUS_IMPACTS
    )
    return Counter({rule: serious}) if serious else Counter()
