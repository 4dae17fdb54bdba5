"""An in-memory catalogue with reorder points: demand times lead time plus safety stock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """A stocked product and what its reorder point is computed from."""

    sku: str
    title: str
    avg_daily_demand: float
    lead_time_days: int
    safety_stock: int

    @property
    def reorder_point(self) -> int:
        return round(self.avg_daily_demand * self.lead_time_days + self.safety_stock)


class Catalog:
    """Products by SKU."""

    def __init__(self, products: list[Product]) -> None:
        self._by_sku = {p.sku: p for p in products}

    def get(self, sku: str) -> Product:
        return self._by_sku[sku]

    def needing_reorder(self, stock: dict[str, int]) -> list[str]:
        """SKUs whose stock is at or below their reorder point."""
        return sorted(
            sku
            for sku, product in self._by_sku.items()
            if stock.get(sku, 0) <= product.reorder_point
        )
