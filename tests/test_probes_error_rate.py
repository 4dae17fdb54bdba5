"""Error rate from a Prometheus query and from samples of a server failing a known share."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes import error_rate, latency, prometheus
from pytest_readiness.probes.endpoint import EndpointError
from tests.loopback import failing_every, serving

QUERY = 'sum(rate(http_requests_total{status=~"5.."}[15m])) / sum(rate(http_requests_total[15m]))'


def test_sampling_a_server_that_fails_one_request_in_ten_measures_10_percent() -> None:
    with serving(failing_every(10, 1)) as url:
        measured = latency.measure(
            url,
            {"/health": ["/health"], "/api/dashboard": ["/api/dashboard"]},
            samples=20,
            concurrency=4,
            timeout=5,
        )
    rate = error_rate.from_samples(measured)
    assert (rate.errors, rate.total, rate.rate) == (4, 40, 0.1)
    result = error_rate.error_rate_within(rate, limit=0.005, rollback=0.05)
    assert not result.ok
    assert result.reason == (
        "error rate 10.00% (4 of 40) from 40 samples of /health, /api/dashboard is above 0.5%"
    )
    assert [e.summary for e in result.evidence if e.kind == "trigger"] == ["Error rate >5%"]


def test_a_server_that_never_fails_has_a_zero_error_rate() -> None:
    with serving(failing_every(10, 0)) as url:
        measured = latency.measure(
            url, {"/health": ["/health"]}, samples=10, concurrency=4, timeout=5
        )
    assert error_rate.from_samples(measured).rate == 0.0


def answer(httpserver: HTTPServer, value: str) -> httpx.Client:
    httpserver.expect_request("/api/v1/query", query_string={"query": QUERY}).respond_with_json(
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [{"metric": {}, "value": [1732550000.0, value]}],
            },
        }
    )
    return httpx.Client(base_url=httpserver.url_for("/"))


@pytest.mark.parametrize(
    ("value", "ok", "trigger"),
    [("0.001", True, []), ("0.01", False, []), ("0.07", False, ["Error rate >5%"])],
)
def test_the_prometheus_rate_is_judged_against_the_target_and_the_rollback_trigger(
    httpserver: HTTPServer, value: str, ok: bool, trigger: list[str]
) -> None:
    with answer(httpserver, value) as client:
        result = error_rate.prometheus_error_rate(client, QUERY, limit=0.005, rollback=0.05)
    assert result.ok is ok
    assert [e.summary for e in result.evidence if e.kind == "trigger"] == trigger
    if not ok:
        assert result.reason.startswith(f"error rate {float(value):.2%} from Prometheus query")


def test_a_query_with_no_series_fails_naming_the_query(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/query").respond_with_json(
        {"status": "success", "data": {"resultType": "vector", "result": []}}
    )
    with httpx.Client(base_url=httpserver.url_for("/")) as client:
        with pytest.raises(EndpointError, match="returned no series"):
            prometheus.query_value(client, QUERY)
        result = error_rate.prometheus_error_rate(client, QUERY, limit=0.005, rollback=0.05)
    assert not result.ok
    assert QUERY in result.reason
