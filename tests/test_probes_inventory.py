"""Inventory: reorder_point == round(demand x lead time + safety stock), per SKU."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.endpoint import EndpointError
from pytest_readiness.probes.inventory import expected_reorder_point, mismatches, reorder_points


def item(sku: str, demand: float, lead: float, safety: float, rop: float) -> dict[str, object]:
    return {
        "sku": sku,
        "avg_daily_demand": demand,
        "lead_time_days": lead,
        "safety_stock": safety,
        "reorder_point": rop,
    }


def probe(server: HTTPServer, items: list[dict[str, object]], tolerance: float = 0):
    server.expect_request("/api/inventory").respond_with_json({"items": items})
    client = httpx.Client(base_url=server.url_for("/"))
    return reorder_points(client, "/api/inventory", tolerance=tolerance)


def test_correct_reorder_points_pass(httpserver: HTTPServer):
    assert probe(httpserver, [item("A", 3.2, 7, 10, 32), item("B", 1, 14, 5, 19)]).ok


def test_an_off_by_one_sku_is_listed_with_expected_and_actual(httpserver: HTTPServer):
    result = probe(httpserver, [item("A", 3.2, 7, 10, 32), item("B", 1, 14, 5, 20)])
    assert result.reason == "reorder point off for B (expected 19, got 20)"
    assert result.evidence[0].data["mismatches"] == [{"sku": "B", "expected": 19, "actual": 20.0}]


def test_the_tolerance_absorbs_small_differences(httpserver: HTTPServer):
    assert probe(httpserver, [item("B", 1, 14, 5, 20)], tolerance=1).ok


def test_an_empty_inventory_is_not_a_pass(httpserver: HTTPServer):
    assert probe(httpserver, []).reason == "/api/inventory returned no inventory items to check"


def test_halves_round_up_like_math_round():
    assert expected_reorder_point(item("H", 3.5, 1, 0, 0)) == 4
    assert expected_reorder_point(item("H", 2.5, 1, 0, 0)) == 3


def test_an_item_missing_a_field_is_named():
    with pytest.raises(EndpointError, match="inventory item Z has no safety_stock"):
        mismatches([{"sku": "Z", "avg_daily_demand": 1, "lead_time_days": 1, "reorder_point": 1}])
