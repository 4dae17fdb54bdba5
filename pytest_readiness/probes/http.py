"""An httpx client that records every exchange as evidence, and one-line network errors."""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Mapping

import httpx

from pytest_readiness.model import Evidence
from pytest_readiness.probes._text import first_line

DEFAULT_CONNECT_TIMEOUT_S = 5.0

Recorder = Callable[[Evidence], None]


class RecordingTransport(httpx.BaseTransport):
    """Wraps a transport; hands an `http` evidence row to `record` for every request."""

    def __init__(self, record: Recorder, inner: httpx.BaseTransport | None = None) -> None:
        self._record = record
        self._inner = inner or httpx.HTTPTransport(verify=tls_context(True))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._record(exchange_evidence(request, None, elapsed_ms, describe_error(exc)))
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._record(exchange_evidence(request, response.status_code, elapsed_ms, ""))
        return response

    def close(self) -> None:
        self._inner.close()


def recording_client(
    record: Recorder,
    base_url: str = "",
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    verify: bool = True,
) -> httpx.Client:
    """A client whose requests all become evidence, with connect and read timeouts."""
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, DEFAULT_CONNECT_TIMEOUT_S)),
        headers=dict(headers or {}),
        transport=RecordingTransport(record, httpx.HTTPTransport(verify=tls_context(verify))),
        follow_redirects=False,
    )


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per process and setting, shared by every client.

    Building one loads the CA store: about 20 ms of CPU, which each item's client paid again
    (x8 workers on a 2-core runner, B2). SSL_CERT_FILE/SSL_CERT_DIR are read on first use.
    """
    return httpx.create_ssl_context(verify=verify)


def exchange_evidence(
    request: httpx.Request, status: int | None, elapsed_ms: float, error: str
) -> Evidence:
    url = str(request.url)
    outcome = str(status) if status is not None else error
    return Evidence(
        kind="http",
        summary=f"{request.method} {url} -> {outcome} in {elapsed_ms:.0f} ms",
        data={
            "method": request.method,
            "url": url,
            "status": status,
            "elapsed_ms": round(elapsed_ms, 1),
            "error": error,
        },
    )


def describe_error(exc: httpx.HTTPError) -> str:
    """One line for a network failure: what went wrong, not a traceback."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "DNS name does not resolve"
    if "temporary failure in name resolution" in lowered or "no address associated" in lowered:
        return "DNS name does not resolve"
    if "certificate" in lowered or "ssl" in lowered:
        return f"TLS error: {first_line(text)}"
    if "connection refused" in lowered or "errno 111" in lowered:
        return "connection refused"
    return first_line(text)


def describe_request_error(exc: httpx.HTTPError) -> str:
    """`GET http://host/path: connection refused` when the request is known."""
    try:
        request = exc.request
    except RuntimeError:
        return describe_error(exc)
    return f"{request.method} {request.url}: {describe_error(exc)}"
