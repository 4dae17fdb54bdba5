"""Error rate: from a Prometheus query, or from timed samples of the app's endpoints.

An error is a 5xx answer or no answer at all. The rate is judged against a target (the
runbook's "<0.5%") and a rollback threshold (the runbook's "Error rate >5%"), which adds
trigger evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import prometheus
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed
from pytest_readiness.probes.latency import TRIGGER_EVIDENCE, Sample


@dataclass(frozen=True)
class ErrorRate:
    """A measured error rate (0..1) and where it came from."""

    rate: float
    source: str
    errors: int | None = None
    total: int | None = None

    def describe(self) -> str:
        counted = f" ({self.errors} of {self.total})" if self.total is not None else ""
        return f"error rate {self.rate:.2%}{counted} from {self.source}"


def from_prometheus(client: httpx.Client, query: str) -> ErrorRate:
    """The rate a PromQL query gives (e.g. 5xx over all requests in the last 15 minutes)."""
    return ErrorRate(prometheus.query_value(client, query), f"Prometheus query {query!r}")


def from_samples(measured: Mapping[str, Sequence[Sample]]) -> ErrorRate:
    """The share of samples that answered 5xx or not at all."""
    samples = [s for found in measured.values() for s in found]
    if not samples:
        raise ValueError("no samples were taken")
    errors = sum(1 for s in samples if not s.ok)
    names = ", ".join(measured)
    total = len(samples)
    return ErrorRate(errors / total, f"{counted(total, 'sample')} of {names}", errors, total)


def error_rate_within(measured: ErrorRate, *, limit: float, rollback: float) -> ProbeResult:
    """The rate at most `limit`; above `rollback` it also hits the rollback trigger."""
    row = Evidence(
        "note",
        measured.describe(),
        "",
        {"rate": measured.rate, "errors": measured.errors, "total": measured.total},
    )
    evidence = [row]
    if measured.rate > rollback:
        evidence.append(
            Evidence(
                TRIGGER_EVIDENCE,
                f"Error rate >{rollback * 100:g}%",
                measured.describe(),
                {"measured": measured.rate, "threshold": rollback},
            )
        )
    if measured.rate > limit:
        return ProbeResult.failed(f"{measured.describe()} is above {limit * 100:g}%", evidence)
    return ProbeResult.passed(evidence)


def prometheus_error_rate(
    client: httpx.Client, query: str, *, limit: float, rollback: float
) -> ProbeResult:
    """`error_rate_within` for a Prometheus query; a query that fails names it."""
    try:
        measured = from_prometheus(client, query)
    except EndpointError as exc:
        return failed(exc)
    return error_rate_within(measured, limit=limit, rollback=rollback)
