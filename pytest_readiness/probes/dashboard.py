"""Dashboard: exactly the expected number of tiles, each with an id, a title and data.

The dashboard API answers `{"tiles": [{"id", "title", "data", "data_url"?}]}` (or a bare
list); each tile's own `data_url`, when given, must answer 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed, get_json, listing, note, send

DATA_URL_FIELDS = ("data_url", "href")


def dashboard_tiles(client: httpx.Client, path: str, expected: int) -> ProbeResult:
    """Exactly `expected` tiles; every tile complete; every tile data URL answering 200."""
    try:
        tiles = listing(get_json(client, path), ["tiles"], path)
    except EndpointError as exc:
        return failed(exc)
    rows = [_row(tile) for tile in tiles]
    if len(tiles) != expected:
        ids = ", ".join(_tile_id(t) for t in tiles)
        return ProbeResult.failed(
            f"{path} returned {counted(len(tiles), 'tile')}, expected {expected} ({ids})", rows
        )
    problems = [p for tile in tiles if (p := _tile_problem(tile))]
    problems += [p for tile in tiles if (p := _data_url_problem(client, tile))]
    if problems:
        return ProbeResult.failed("; ".join(problems), rows)
    return ProbeResult.passed(rows)


def has_data(value: Any) -> bool:
    """Non-empty data: not null, not an empty string, list or object."""
    if value is None:
        return False
    if isinstance(value, str | list | dict):
        return bool(value)
    return True


def _tile_problem(tile: Any) -> str | None:
    if not isinstance(tile, Mapping):
        return f"tile {tile!r:.40} is not an object"
    name = _tile_id(tile)
    missing = [key for key in ("id", "title") if not tile.get(key)]
    if missing:
        return f"tile {name} has no {' or '.join(missing)}"
    if not has_data(tile.get("data")):
        return f"tile {name} has no data"
    return None


def _data_url_problem(client: httpx.Client, tile: Any) -> str | None:
    url = _data_url(tile)
    if not url:
        return None
    try:
        send(client, "GET", url)
    except EndpointError as exc:
        return f"tile {_tile_id(tile)}: {exc}"
    return None


def _data_url(tile: Any) -> str | None:
    if not isinstance(tile, Mapping):
        return None
    for key in DATA_URL_FIELDS:
        if tile.get(key):
            return str(tile[key])
    return None


def _tile_id(tile: Any) -> str:
    if isinstance(tile, Mapping):
        return str(tile.get("id") or tile.get("title") or "?")
    return "?"


def _row(tile: Any) -> Evidence:
    title = tile.get("title", "") if isinstance(tile, Mapping) else ""
    return note(f"tile {_tile_id(tile)}: {title}", data_url=_data_url(tile))
