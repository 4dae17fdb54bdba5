"""Health endpoints: every configured path answers 200 within the timeout."""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes.endpoint import EndpointError, display_url, send


def health_paths(
    client: httpx.Client, paths: Sequence[str], *, timeout: float | None = None
) -> ProbeResult:
    """GET each path; one evidence row per path; any path not answering 200 fails, named."""
    if not paths:
        return ProbeResult.failed("no health paths are configured")
    rows: list[Evidence] = []
    failing: list[str] = []
    for path in paths:
        row, problem = _probe_path(client, path, timeout)
        rows.append(row)
        if problem:
            failing.append(problem)
    if not failing:
        return ProbeResult.passed(rows)
    if len(failing) == 1:
        return ProbeResult.failed(f"health path {failing[0]}", rows)
    return ProbeResult.failed(f"{len(failing)} health paths failing: {'; '.join(failing)}", rows)


def _probe_path(
    client: httpx.Client, path: str, timeout: float | None
) -> tuple[Evidence, str | None]:
    url = display_url(client, path)
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        status = send(client, "GET", path, expect=range(100, 600), timeout=timeout).status_code
    except EndpointError as exc:
        error = str(exc)
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    data = {"method": "GET", "url": url, "status": status, "elapsed_ms": elapsed_ms, "error": error}
    if error:
        return Evidence("note", f"GET {path} -> no answer", error, data), f"{path}: {error}"
    summary = f"GET {path} -> {status}"
    if status != 200:
        return Evidence("note", summary, "", data), f"{path} answered {status}"
    return Evidence("note", summary, "", data), None
