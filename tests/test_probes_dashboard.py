"""Dashboard: exact tile count; each tile with id, title and data; tile data URLs answer 200."""

from __future__ import annotations

from typing import Any

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.dashboard import dashboard_tiles


def tiles(count: int, **override: Any) -> list[dict[str, Any]]:
    made = [{"id": f"t{n}", "title": f"Tile {n}", "data": {"v": n}} for n in range(1, count + 1)]
    made[0].update(override)
    return made


def client(server: HTTPServer) -> httpx.Client:
    return httpx.Client(base_url=server.url_for("/"))


def test_eight_complete_tiles_pass_with_a_row_each(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json({"tiles": tiles(8)})
    result = dashboard_tiles(client(httpserver), "/api/dashboard", 8)
    assert result.ok
    assert len(result.evidence) == 8


def test_seven_tiles_fail_saying_how_many(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json({"tiles": tiles(7)})
    reason = dashboard_tiles(client(httpserver), "/api/dashboard", 8).reason
    assert reason.startswith("/api/dashboard returned 7 tiles, expected 8 (t1, t2,")


def test_a_tile_with_empty_data_is_named(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json(tiles(2, data=[]))
    assert dashboard_tiles(client(httpserver), "/api/dashboard", 2).reason == "tile t1 has no data"


def test_a_tile_without_title_is_named(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json(tiles(1, title=""))
    assert dashboard_tiles(client(httpserver), "/api/dashboard", 1).reason == "tile t1 has no title"


def test_a_tile_whose_data_url_fails_is_named_with_the_url(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json(
        {"tiles": tiles(2, data_url="/api/tiles/t1")}
    )
    httpserver.expect_request("/api/tiles/t1").respond_with_data("boom", status=500)
    reason = dashboard_tiles(client(httpserver), "/api/dashboard", 2).reason
    assert reason == f"tile t1: GET {httpserver.url_for('/api/tiles/t1')} answered 500"


def test_a_tile_data_url_answering_200_passes(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json(
        {"tiles": tiles(1, data_url="/api/tiles/t1")}
    )
    httpserver.expect_request("/api/tiles/t1").respond_with_json({"v": 1})
    assert dashboard_tiles(client(httpserver), "/api/dashboard", 1).ok


def test_an_unexpected_shape_is_named(httpserver: HTTPServer):
    httpserver.expect_request("/api/dashboard").respond_with_json({"widgets": []})
    reason = dashboard_tiles(client(httpserver), "/api/dashboard", 8).reason
    assert reason == "/api/dashboard has no 'tiles' field"
