"""Count serious accessibility violations in axe-core JSON results for at least one page.

Counting rule: each affected node counts once per rule. A rule with impact `serious` or
`critical` that matches three elements counts 3; a node matched by two rules counts twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted, decode_json_output, first
from pytest_readiness.probes.command import CommandResult, unreadable_report

SERIOUS_IMPACTS = frozenset({"serious", "critical"})


def count_serious(results: Any) -> Counter[str]:
    """Serious+critical violations per rule id, over one axe result or a list of them."""
    counts: Counter[str] = Counter()
    for page in _pages(results):
        for violation in page.get("violations") or ():
            counts.update(_serious_nodes(violation))
    return counts


def from_axe_json(
    text: str,
    max_serious: int = 4,
    *,
    allow_empty: bool = False,
    run: CommandResult | None = None,
) -> ProbeResult:
    """Fail above `max_serious` serious/critical nodes, and unless axe-core scanned a page.

    Results that are not axe-core's (an error object, a page entry without `url` and
    `violations`) fail; no page at all fails unless `allow_empty`. Nodes axe marked
    `incomplete` (it could not decide, e.g. contrast over an image) are a warning. With
    `run` (the command that wrote the results), unreadable results fail with what it said.
    """
    try:
        results = decode_json_output(text)
    except ValueError as exc:
        return unreadable_report(f"accessibility output is not axe-core JSON: {exc}", text, run)
    pages, problem = axe_pages(results)
    if problem:
        return unreadable_report(problem, text, run)
    if not pages:
        empty = "no page scanned: the accessibility report is an empty list"
        return ProbeResult.passed(warnings=[empty]) if allow_empty else ProbeResult.failed(empty)
    blank = [str(page["url"]) for page in pages if _checked_nothing(page)]
    if blank:
        return ProbeResult.failed(
            f"axe checked nothing on {first(blank, 3)} (no passes, violations or incomplete)"
        )
    return _judge(pages, max_serious)


def axe_pages(results: Any) -> tuple[list[Mapping[str, Any]], str]:
    """The page results in an axe-core report (one result or a list), or why it is not one."""
    entries = results if isinstance(results, list) else [results]
    for index, entry in enumerate(entries, 1):
        if not _is_page_result(entry):
            where = f" entry {index} of {len(entries)}" if isinstance(results, list) else ""
            shown = json.dumps(entry)[:80]
            return [], f"accessibility report{where} is not axe-core results: {shown}"
    return entries, ""


def _is_page_result(entry: Any) -> bool:
    """axe-core's result for one page names the page (`url`) and lists its `violations`."""
    return (
        isinstance(entry, Mapping)
        and isinstance(entry.get("url"), str)
        and isinstance(entry.get("violations"), list)
    )


def _checked_nothing(page: Mapping[str, Any]) -> bool:
    """A page where axe reports passes, and none of passes, violations or incomplete has any.

    Without `passes` (axe's `no-passes` reporter) that cannot be told, so it counts as checked.
    """
    lists = [page.get(key) for key in ("passes", "violations", "incomplete")]
    return isinstance(page.get("passes"), list) and not any(lists)


def _judge(pages: list[Mapping[str, Any]], max_serious: int) -> ProbeResult:
    counts = count_serious(pages)
    total = sum(counts.values())
    listing = _listing(counts)
    evidence = [
        Evidence(
            "note",
            f"{counted(len(pages), 'page')} scanned: "
            f"{counted(total, 'serious/critical violation node')} (max {max_serious})",
            detail=listing,
            data={"by_rule": dict(counts), "max": max_serious, "pages": len(pages)},
        )
    ]
    warnings = _incomplete_warnings(pages)
    if total > max_serious:
        return ProbeResult.failed(
            f"{counted(total, 'serious/critical accessibility violation')} (max {max_serious}): "
            f"{listing}",
            evidence,
            warnings,
        )
    if total:
        warnings.insert(0, f"{counted(total, 'serious violation')} within max: {listing}")
    return ProbeResult.passed(evidence, warnings)


def _incomplete_warnings(pages: list[Mapping[str, Any]]) -> list[str]:
    """axe's `incomplete` nodes per rule: problems axe could not rule out."""
    counts: Counter[str] = Counter()
    for page in pages:
        for entry in page.get("incomplete") or ():
            if isinstance(entry, Mapping):
                counts[str(entry.get("id", "?"))] += len(entry.get("nodes") or ()) or 1
    if not counts:
        return []
    total = sum(counts.values())
    undecided = counted(total, "node")
    return [f"{undecided} axe could not decide (incomplete, check by hand): {_listing(counts)}"]


def _listing(counts: Counter[str]) -> str:
    return ", ".join(f"{rule} x{n}" for rule, n in counts.most_common())


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
