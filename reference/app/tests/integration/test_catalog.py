from __future__ import annotations

from shopfront.catalog import Catalog, Product


def test_products_at_or_below_their_reorder_point_need_reordering() -> None:
    catalog = Catalog(
        [
            Product("BOLT", "Bolt", avg_daily_demand=2.5, lead_time_days=4, safety_stock=5),
            Product("NUT", "Nut", avg_daily_demand=1.0, lead_time_days=2, safety_stock=1),
        ]
    )
    assert catalog.get("BOLT").reorder_point == 15
    assert catalog.needing_reorder({"BOLT": 15, "NUT": 10}) == ["BOLT"]
