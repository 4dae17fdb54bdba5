"""Latency percentiles (nearest-rank) measured against a loopback server with known delays."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import pytest

from pytest_readiness.probes import latency
from pytest_readiness.probes.latency import Sample
from tests.loopback import cycling_delays, failing_every, serving

# 20 delays, 30 ms to 600 ms: the true nearest-rank P95 is the 19th, 570 ms.
DELAYS = [0.03 * n for n in range(1, 21)]
TRUE_P50, TRUE_P95, TRUE_P99 = 0.30, 0.57, 0.60


def samples(*seconds: float, target: str = "/x", status: int = 200) -> list[Sample]:
    return [Sample(target, s, status) for s in seconds]


def test_nearest_rank_percentiles_pick_an_observed_value() -> None:
    values = list(range(1, 21))
    assert latency.percentile(values, 50) == 10
    assert latency.percentile(values, 95) == 19
    assert latency.percentile(values, 99) == 20
    assert latency.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        latency.percentile([], 95)


def test_the_percentiles_of_known_latencies_are_the_true_nearest_rank_ones() -> None:
    stats = latency.Stats.of("/api", samples(*DELAYS, target="/api"))
    assert (stats.count, stats.errors) == (20, 0)
    assert stats.p50 == pytest.approx(TRUE_P50)
    assert stats.p95 == pytest.approx(TRUE_P95)
    assert stats.p99 == pytest.approx(TRUE_P99)


def test_every_measured_latency_includes_the_delay_the_server_added() -> None:
    # How far above the true values the measurement lands is machine speed, not behaviour:
    # benchmarks/latency_accuracy.py measures it. Here only what holds on any machine.
    with serving(cycling_delays(DELAYS)) as url:
        measured = latency.measure(url, {"/api": ["/api"]}, samples=20, concurrency=5, timeout=10)
    stats = latency.Stats.of("/api", measured["/api"])
    assert (stats.count, stats.errors) == (20, 0)
    assert sorted(s.seconds for s in measured["/api"])[0] >= DELAYS[0]
    assert stats.p50 >= TRUE_P50
    assert stats.p95 >= TRUE_P95
    assert stats.p99 >= TRUE_P99


def test_one_sample_of_a_page_and_its_api_is_the_time_of_both_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A clock only the server moves, one tick per request: a sample's time counts requests.
    now = [0.0]
    requested: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        now[0] += 1.0
        return httpx.Response(200)

    monkeypatch.setattr(latency, "time", SimpleNamespace(perf_counter=lambda: now[0]))

    async def sample() -> dict[str, list[Sample]]:
        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(base_url="http://app.test", transport=transport) as client:
            targets = {"dashboard": ["/", "/api/dashboard"]}
            return await latency.sample_all(client, targets, samples=4, concurrency=1)

    measured = asyncio.run(sample())
    assert requested == ["/", "/api/dashboard"] * 4
    assert [(s.seconds, s.ok) for s in measured["dashboard"]] == [(2.0, True)] * 4


def test_latency_within_the_limit_passes_with_a_table_and_an_svg_histogram() -> None:
    result = latency.latency_within(
        {"/health": samples(0.01, 0.02, 0.03)}, limit_s=3, rollback_s=10
    )
    assert result.ok, result.reason
    table, chart = result.evidence
    assert table.kind == "latency"
    assert table.data["method"] == "nearest-rank"
    assert table.data["rows"][0]["p95_s"] == 0.03
    assert "/health" in table.detail
    assert chart.kind == "histogram"
    assert sum(chart.data["counts"]) == 3
    assert chart.data["svg"].startswith("<svg ")
    assert chart.detail == ""


def test_a_p95_above_the_limit_fails_naming_the_target_without_a_trigger() -> None:
    result = latency.latency_within(
        {"/health": samples(0.01), "dashboard": samples(3.4, 3.5, 3.6)},
        limit_s=3,
        rollback_s=10,
    )
    assert not result.ok
    assert result.reason == "P95 of dashboard is 3.60 s over 3 samples, above 3 s"
    assert not [e for e in result.evidence if e.kind == "trigger"]


def test_a_p95_above_the_rollback_threshold_adds_the_runbooks_trigger() -> None:
    result = latency.latency_within(
        {"/health": samples(0.01)}, limit_s=3, rollback_s=10, extra_p95={"Prometheus P95": 12.0}
    )
    assert not result.ok
    assert result.reason == "P95 of Prometheus P95 is 12.00 s, above the rollback trigger 10 s"
    trigger = next(e for e in result.evidence if e.kind == "trigger")
    assert trigger.summary == "P95 latency >10s"
    assert trigger.data["measured"] == 12.0


def test_fast_answers_that_are_5xx_fail_naming_the_status() -> None:
    with serving(failing_every(4, 1)) as url:
        measured = latency.measure(
            url, {"/api/health": ["/api/health"]}, samples=8, concurrency=2, timeout=5
        )
    result = latency.latency_within(measured, limit_s=3, rollback_s=10)
    assert not result.ok
    assert result.reason == "/api/health failed in 2 of 8 samples (answered 503)"


def test_an_endpoint_nobody_listens_on_is_a_failed_sample(closed_port: int) -> None:
    measured = latency.measure(
        f"http://127.0.0.1:{closed_port}", {"/": ["/"]}, samples=2, concurrency=2, timeout=2
    )
    assert [s.ok for s in measured["/"]] == [False, False]
    assert measured["/"][0].error.startswith("GET /: ")


def test_the_histogram_svg_is_rebuilt_from_numbers_alone() -> None:
    chart = latency.histogram({"/x": samples(0.1, 0.25, 0.25, 0.4)}, bins=3)
    data = chart.data
    assert data["counts"] == [1, 2, 1]
    rebuilt = latency.histogram_svg(data["counts"], data["edges"][0], data["edges"][-1])
    assert rebuilt == data["svg"]
    assert rebuilt.count("<rect ") == 3
