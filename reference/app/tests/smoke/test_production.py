"""Production smoke tests: the deployed app's pages and API answer as a shopper needs.

They run against the URL in READINESS_BASE_URL (the readiness check passes the target's
base_url), read only, and take a few seconds.
"""

from __future__ import annotations

import os

import httpx
import pytest

EXPECTED_SKUS = {"SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"}


@pytest.fixture
def app() -> httpx.Client:
    base_url = os.environ.get("READINESS_BASE_URL")
    if not base_url:
        pytest.fail("READINESS_BASE_URL is not set: which deployment should be smoke-tested?")
    return httpx.Client(base_url=base_url, timeout=10)


def test_the_dashboard_page_loads(app: httpx.Client) -> None:
    page = app.get("/")
    assert page.status_code == 200
    assert "<h1>Dashboard</h1>" in page.text


def test_the_api_reports_itself_healthy(app: httpx.Client) -> None:
    health = app.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


def test_the_dashboard_api_lists_its_tiles(app: httpx.Client) -> None:
    tiles = app.get("/api/dashboard").json()["tiles"]
    assert tiles and all(tile["data_url"] for tile in tiles)


def test_the_product_list_names_every_product(app: httpx.Client) -> None:
    products = app.get("/api/products")
    assert products.status_code == 200
    assert {p["sku"] for p in products.json()["products"]} == EXPECTED_SKUS
