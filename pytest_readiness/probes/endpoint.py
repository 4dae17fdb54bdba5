"""Talk to an HTTP endpoint and turn every way it can go wrong into one line naming the URL.

Probes call `get_json` / `send` and catch `EndpointError`, whose message is ready to be a
`ProbeResult` reason: "GET http://host/health failed: connection refused".
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes.http import describe_error


class EndpointError(Exception):
    """An HTTP exchange that did not give the probe what it needs; the message is one line."""


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    expect: Container[int] = (200,),
    timeout: float | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; raise `EndpointError` on a network error or an unexpected status."""
    target = display_url(client, url)
    if timeout is not None:
        kwargs["timeout"] = timeout
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        limit = timeout if timeout is not None else _read_timeout(client)
        after = f" after {limit:g} s" if limit else ""
        raise EndpointError(f"{method} {target} timed out{after}") from None
    except httpx.HTTPError as exc:
        raise EndpointError(f"{method} {target} failed: {network_reason(exc)}") from None
    if response.status_code not in expect:
        raise EndpointError(f"{method} {target} answered {response.status_code}")
    return response


def get_json(client: httpx.Client, url: str, **kwargs: Any) -> Any:
    """GET a URL and return its JSON body; anything else is an `EndpointError`."""
    response = send(client, "GET", url, **kwargs)
    return json_body(response)


def json_body(response: httpx.Response) -> Any:
    """The JSON body of a response, or an `EndpointError` naming the URL."""
    try:
        return response.json()
    except ValueError:
        where = f"{response.request.method} {_strip_credentials(response.request.url)}"
        raise EndpointError(f"{where} did not answer JSON") from None


def network_reason(exc: httpx.HTTPError) -> str:
    """A short human phrase for a transport failure, worded as the recording client words it."""
    return describe_error(exc)


def display_url(client: httpx.Client, url: str) -> str:
    """The absolute URL a request goes to, without any user:password part."""
    try:
        absolute = client.build_request("GET", url).url
    except httpx.HTTPError:
        return url
    return str(_strip_credentials(absolute))


def field(payload: Any, names: Iterable[str], where: str) -> Any:
    """The first of `names` present in a JSON object, or an `EndpointError` naming them."""
    keys = tuple(names)
    if isinstance(payload, Mapping):
        for name in keys:
            if name in payload:
                return payload[name]
    raise EndpointError(f"{where} has no {' / '.join(repr(k) for k in keys)} field")


def listing(payload: Any, names: Iterable[str], where: str) -> list[Any]:
    """A JSON list given bare or under one of `names`, or an `EndpointError`."""
    if isinstance(payload, list):
        return payload
    value = field(payload, names, where)
    if not isinstance(value, list):
        raise EndpointError(f"{where}: {value!r:.40} is not a list")
    return value


def failed(exc: EndpointError, evidence: Iterable[Evidence] = ()) -> ProbeResult:
    """A failed result carrying an endpoint error's one-line message."""
    return ProbeResult.failed(str(exc), evidence)


def note(summary: str, detail: str = "", **data: Any) -> Evidence:
    """A 'note' evidence row."""
    return Evidence("note", summary, detail, data)


def _read_timeout(client: httpx.Client) -> float | None:
    return client.timeout.read


def _strip_credentials(url: httpx.URL) -> httpx.URL:
    return url.copy_with(username=None, password=None) if url.userinfo else url
