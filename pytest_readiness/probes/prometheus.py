"""Prometheus' instant query API: one PromQL expression -> one number.

`GET /api/v1/query?query=...` answers `{"status": "success", "data": {"resultType":
"vector", "result": [{"metric": {...}, "value": [<unix time>, "<number as text>"]}]}}`
(or `"resultType": "scalar", "result": [<time>, "<number>"]`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import httpx

from pytest_readiness.probes.endpoint import EndpointError, field, get_json

QUERY_PATH = "/api/v1/query"
_SAMPLE = re.compile(r"^(?P<name>[A-Za-z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(?P<key>[A-Za-z_]\w*)="(?P<value>(?:[^"\\]|\\.)*)"')


def query_value(client: httpx.Client, query: str) -> float:
    """The single number a PromQL query evaluates to; `EndpointError` names what is wrong."""
    where = f"Prometheus query {query!r}"
    payload = get_json(client, QUERY_PATH, params={"query": query})
    if isinstance(payload, dict) and payload.get("status") == "error":
        raise EndpointError(f"{where} failed: {payload.get('error', 'unknown error')}")
    data = field(payload, ["data"], where)
    result = field(data, ["result"], where)
    kind = data.get("resultType") if isinstance(data, dict) else None
    if kind == "scalar":
        return _number(result, where)
    if not isinstance(result, list) or not result:
        raise EndpointError(f"{where} returned no series (no data in the window?)")
    if len(result) > 1:
        raise EndpointError(f"{where} returned {len(result)} series; aggregate it to one")
    return _number(field(result[0], ["value"], where), where)


def _number(pair: Any, where: str) -> float:
    try:
        value = float(pair[1])
    except (TypeError, ValueError, IndexError):
        raise EndpointError(f"{where} answered {pair!r:.40}, not [time, number]") from None
    if math.isnan(value):
        raise EndpointError(f"{where} evaluated to NaN (no traffic in the window?)")
    return value


def exposition_values(text: str, metric: str, label: str) -> dict[str, float]:
    """`metric`'s samples in a `/metrics` text exposition, summed by one label's value."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        found = _SAMPLE.match(line)
        if not found or found["name"] != metric:
            continue
        labels = {m["key"]: m["value"] for m in _LABEL.finditer(found["labels"] or "")}
        key = labels.get(label, "")
        try:
            values[key] = values.get(key, 0.0) + float(found["value"])
        except ValueError:
            continue
    return values
