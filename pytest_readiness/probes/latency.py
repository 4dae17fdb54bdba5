"""Latency: time requests concurrently, summarise them as percentiles, judge them.

Percentiles use the nearest-rank method: the P-th percentile of n sorted samples is the
sample at rank ceil(P/100 * n) (1-based), so it is always a latency that was observed
(P95 of 20 samples is the 19th fastest). One sample of a target is the time to GET each of
its paths one after the other (a page and its API: one "load").

Sampling uses `httpx.AsyncClient` with at most `concurrency` requests in flight, so 20
slow samples take about 20/concurrency times one, not 20 times.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.http import describe_error, tls_context

METHOD = "nearest-rank"
TRIGGER_EVIDENCE = "trigger"


@dataclass(frozen=True)
class Sample:
    """One timed load of a target: its paths fetched in order."""

    target: str
    seconds: float
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status is not None and self.status < 500


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100) of `values`."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stats:
    """Percentiles of one target's samples, in seconds."""

    target: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, target: str, samples: Sequence[Sample]) -> Stats:
        times = [s.seconds for s in samples]
        return cls(
            target,
            len(samples),
            sum(1 for s in samples if not s.ok),
            percentile(times, 50),
            percentile(times, 95),
            percentile(times, 99),
            max(times),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "count": self.count,
            "errors": self.errors,
            "p50_s": round(self.p50, 4),
            "p95_s": round(self.p95, 4),
            "p99_s": round(self.p99, 4),
            "max_s": round(self.max, 4),
        }


def measure(
    base_url: str,
    targets: Mapping[str, Sequence[str]],
    *,
    samples: int,
    concurrency: int,
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> dict[str, list[Sample]]:
    """`samples` timed loads of every target (name -> paths), at most `concurrency` at once."""

    async def run() -> dict[str, list[Sample]]:
        async with httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers=dict(headers or {}),
            verify=tls_context(True),
        ) as client:
            return await sample_all(client, targets, samples=samples, concurrency=concurrency)

    return asyncio.run(run())


async def sample_all(
    client: httpx.AsyncClient,
    targets: Mapping[str, Sequence[str]],
    *,
    samples: int,
    concurrency: int,
) -> dict[str, list[Sample]]:
    """Interleave the targets' samples so a slow target does not queue behind the others."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(name: str, paths: Sequence[str]) -> Sample:
        async with gate:
            return await _load(client, name, paths)

    jobs = [(name, paths) for _ in range(samples) for name, paths in targets.items()]
    done = await asyncio.gather(*(one(name, paths) for name, paths in jobs))
    result: dict[str, list[Sample]] = {name: [] for name in targets}
    for found in done:
        result[found.target].append(found)
    return result


async def _load(client: httpx.AsyncClient, name: str, paths: Sequence[str]) -> Sample:
    started = time.perf_counter()
    status: int | None = None
    for path in paths:
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            return Sample(name, time.perf_counter() - started, None, f"GET {path}: {_why(exc)}")
        status = response.status_code
        if status >= 500:
            break
    return Sample(name, time.perf_counter() - started, status)


def _why(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return describe_error(exc)


def latency_within(
    measured: Mapping[str, Sequence[Sample]],
    *,
    limit_s: float,
    rollback_s: float,
    extra_p95: Mapping[str, float] | None = None,
) -> ProbeResult:
    """Every target's P95 at most `limit_s`, and none answered 5xx or not at all.

    A P95 above `rollback_s` (the runbook's "P95 latency >10s") adds trigger evidence.
    `extra_p95` are P95 values measured elsewhere (a Prometheus query), judged the same.
    """
    stats = [Stats.of(name, samples) for name, samples in measured.items() if samples]
    if not stats and not extra_p95:
        return ProbeResult.failed("no latency samples were taken (no endpoints configured?)")
    evidence = [table(stats, extra_p95), histogram(measured)]
    p95s = {s.target: s.p95 for s in stats} | dict(extra_p95 or {})
    worst, value = max(p95s.items(), key=lambda pair: pair[1])
    if value > rollback_s:
        evidence.append(
            Evidence(
                TRIGGER_EVIDENCE,
                f"P95 latency >{rollback_s:g}s",
                f"P95 of {worst} is {value:.2f} s",
                {"measured": value, "threshold": rollback_s, "target": worst},
            )
        )
    errors = [s for s in stats if s.errors]
    if value > limit_s:
        count = next(
            (f" over {counted(s.count, 'sample')}" for s in stats if s.target == worst), ""
        )
        above = f"the rollback trigger {rollback_s:g} s" if value > rollback_s else f"{limit_s:g} s"
        return ProbeResult.failed(
            f"P95 of {worst} is {value:.2f} s{count}, above {above}", evidence
        )
    if errors:
        first = errors[0]
        why = next(s.error or f"answered {s.status}" for s in measured[first.target] if not s.ok)
        return ProbeResult.failed(
            f"{first.target} failed in {first.errors} of {counted(first.count, 'sample')} ({why})",
            evidence,
        )
    return ProbeResult.passed(evidence)


def table(stats: Sequence[Stats], extra_p95: Mapping[str, float] | None = None) -> Evidence:
    """The P50/P95/P99 table: text in `detail`, rows in `data`."""
    lines = [f"{'target':<32} {'n':>4} {'err':>4} {'P50':>8} {'P95':>8} {'P99':>8}"]
    lines += [
        f"{s.target:<32} {s.count:>4} {s.errors:>4} {_ms(s.p50):>8} {_ms(s.p95):>8} {_ms(s.p99):>8}"
        for s in stats
    ]
    reported = (extra_p95 or {}).items()
    lines += [f"{name:<32} {'':>4} {'':>4} {'':>8} {_ms(v):>8}" for name, v in reported]
    return Evidence(
        "latency",
        f"latency percentiles ({METHOD}) of {counted(len(stats), 'target')}",
        "\n".join(lines),
        {
            "method": METHOD,
            "unit": "s",
            "rows": [s.to_dict() for s in stats],
            "reported_p95_s": dict(extra_p95 or {}),
        },
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def histogram(measured: Mapping[str, Sequence[Sample]], bins: int = 12) -> Evidence:
    """All samples' latencies as bin counts plus a small self-contained SVG bar chart.

    The SVG is in `data["svg"]` (kind "histogram"), never in `detail`: a renderer inlines
    it as markup on purpose; everything in it is generated here, labels escaped.
    """
    times = [s.seconds for samples in measured.values() for s in samples]
    if not times:
        return Evidence("histogram", "latency histogram: no samples", "", {"bins": [], "svg": ""})
    low, high = min(times), max(times)
    width = (high - low) / bins or 1e-9
    counts = [0] * bins
    for value in times:
        counts[min(bins - 1, int((value - low) / width))] += 1
    edges = [low + width * n for n in range(bins + 1)]
    return Evidence(
        "histogram",
        f"latency histogram of {counted(len(times), 'sample')}, {_ms(low)} to {_ms(high)}",
        "",
        {
            "unit": "s",
            "edges": [round(e, 4) for e in edges],
            "counts": counts,
            "svg": histogram_svg(counts, low, high),
        },
    )


def histogram_svg(counts: Sequence[int], low: float, high: float) -> str:
    """A small bar chart of bin counts; only numbers go in, so a renderer may rebuild it
    from `data["counts"]` and `data["edges"]` instead of trusting a stored SVG string."""
    counts = [int(c) for c in counts] or [0]
    low, high = float(low), float(high)
    chart_w, chart_h, bar_w = 240, 80, 240 / len(counts)
    tallest = max(counts) or 1
    bars = "".join(
        f'<rect x="{n * bar_w:.1f}" y="{chart_h - chart_h * c / tallest:.1f}" '
        f'width="{bar_w - 1:.1f}" height="{chart_h * c / tallest:.1f}" fill="#4a7bd0">'
        f"<title>{c}</title></rect>"
        for n, c in enumerate(counts)
    )
    label = escape(f"latency {_ms(low)} to {_ms(high)}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart_w}" height="{chart_h + 16}" '
        f'viewBox="0 0 {chart_w} {chart_h + 16}" role="img" aria-label="{label}">{bars}'
        f'<text x="0" y="{chart_h + 13}" font-size="11">{escape(_ms(low))}</text>'
        f'<text x="{chart_w}" y="{chart_h + 13}" font-size="11" text-anchor="end">'
        f"{escape(_ms(high))}</text></svg>"
    )
