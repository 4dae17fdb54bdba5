"""A traffic generator for the reference app: real requests, and a record of what came back.

What it records is the ground truth a Prometheus query is compared with: how many requests
were sent, how many answered 5xx, and how long each took as the client saw it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Traffic:
    """What a burst of requests produced."""

    total: int
    errors: int
    seconds: tuple[float, ...]

    @property
    def error_rate(self) -> float:
        return self.errors / self.total if self.total else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the client-side durations."""
        ordered = sorted(self.seconds)
        return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def drive(base_url: str, path: str, requests: int, concurrency: int = 10) -> Traffic:
    """Send `requests` GETs of `path`, `concurrency` at a time; count 5xx and time each."""
    with (
        httpx.Client(base_url=base_url, timeout=60) as client,
        ThreadPoolExecutor(max_workers=concurrency) as pool,
    ):
        answers = list(pool.map(lambda _: _get(client, path), range(requests)))
    return Traffic(
        requests,
        sum(1 for status, _ in answers if status >= 500),
        tuple(seconds for _, seconds in answers),
    )


def _get(client: httpx.Client, path: str) -> tuple[int, float]:
    response = client.get(path)
    return response.status_code, response.elapsed.total_seconds()


def bucket_of(value: float, bounds: Sequence[float]) -> tuple[float, float]:
    """The histogram bucket (lower, upper] that holds `value`."""
    lower = 0.0
    for upper in bounds:
        if value <= upper:
            return lower, upper
        lower = upper
    return lower, math.inf
