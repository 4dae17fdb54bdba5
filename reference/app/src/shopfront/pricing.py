"""Order totals in cents, with a percentage discount rounded half up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One order line: a SKU, a unit price in cents and a quantity."""

    sku: str
    unit_cents: int
    quantity: int


def subtotal(lines: list[Line]) -> int:
    """Sum of unit price times quantity over all lines."""
    return sum(line.unit_cents * line.quantity for line in lines)


def total(lines: list[Line], discount_percent: int = 0) -> int:
    """Subtotal minus the discount, never below zero."""
    if not 0 <= discount_percent <= 100:
        raise ValueError(f"discount must be 0..100, got {discount_percent}")
    gross = subtotal(lines)
    discount = (gross * discount_percent + 50) // 100
    return max(gross - discount, 0)
