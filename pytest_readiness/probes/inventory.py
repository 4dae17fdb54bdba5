"""Inventory: every item's reorder point is demand over the lead time plus safety stock.

`reorder_point == round(avg_daily_demand * lead_time_days + safety_stock)`, rounding
halves up (as `Math.round` does), within an absolute tolerance. The API answers
`{"items": [{"sku", "avg_daily_demand", "lead_time_days", "safety_stock", "reorder_point"}]}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed, get_json, listing, note

FIELDS = ("sku", "avg_daily_demand", "lead_time_days", "safety_stock", "reorder_point")


@dataclass(frozen=True)
class Mismatch:
    """One SKU whose reorder point disagrees with the formula."""

    sku: str
    expected: int
    actual: float

    def __str__(self) -> str:
        return f"{self.sku} (expected {self.expected}, got {self.actual:g})"


def expected_reorder_point(item: Mapping[str, Any]) -> int:
    """round(avg_daily_demand * lead_time_days + safety_stock), halves up."""
    value = float(item["avg_daily_demand"]) * float(item["lead_time_days"]) + float(
        item["safety_stock"]
    )
    return math.floor(value + 0.5)


def mismatches(items: Sequence[Any], tolerance: float = 0) -> list[Mismatch]:
    """The items whose reorder point is off by more than `tolerance` (or malformed)."""
    found: list[Mismatch] = []
    for item in items:
        missing = [f for f in FIELDS if not isinstance(item, Mapping) or item.get(f) is None]
        if missing:
            raise EndpointError(f"inventory item {_sku(item)} has no {', '.join(missing)}")
        expected = expected_reorder_point(item)
        actual = float(item["reorder_point"])
        if abs(actual - expected) > tolerance:
            found.append(Mismatch(_sku(item), expected, actual))
    return found


def reorder_points(client: httpx.Client, path: str, *, tolerance: float = 0) -> ProbeResult:
    """Fail listing every SKU whose reorder point disagrees, expected vs actual."""
    try:
        items = listing(get_json(client, path), ["items", "inventory"], path)
        wrong = mismatches(items, tolerance)
    except EndpointError as exc:
        return failed(exc)
    if not items:
        return ProbeResult.failed(f"{path} returned no inventory items to check")
    row = note(
        f"{counted(len(items), 'item')} checked, {counted(len(wrong), 'reorder point')} off",
        "\n".join(str(m) for m in wrong),
        checked=len(items),
        mismatches=[{"sku": m.sku, "expected": m.expected, "actual": m.actual} for m in wrong],
    )
    if wrong:
        shown = ", ".join(str(m) for m in wrong[:5])
        more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        return ProbeResult.failed(f"reorder point off for {shown}{more}", [row])
    return ProbeResult.passed([row])


def _sku(item: Any) -> str:
    return str(item.get("sku", "?")) if isinstance(item, Mapping) else "?"
