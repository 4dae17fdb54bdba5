"""Chatwoot: the configured inbox exists in the account, and the app says the integration is on.

Chatwoot's application API: `GET /api/v1/accounts/{account_id}/inboxes` with the header
`api_access_token`, answering `{"payload": [{"id", "name", "channel_type", ...}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes.endpoint import (
    EndpointError,
    display_url,
    failed,
    get_json,
    json_body,
    listing,
    note,
    send,
)


def headers(token: str) -> dict[str, str]:
    """Chatwoot's documented authentication header."""
    return {"api_access_token": token}


def inbox_listed(client: httpx.Client, account_id: str | int, inbox: str | int) -> ProbeResult:
    """The account's inboxes include `inbox` (matched by id or by name)."""
    path = f"/api/v1/accounts/{account_id}/inboxes"
    try:
        response = send(client, "GET", path, expect=range(100, 600))
        if response.status_code in (401, 403):
            url = display_url(client, path)
            raise EndpointError(
                f"Chatwoot rejected the API access token ({response.status_code} from {url})"
            )
        if response.status_code != 200:
            raise EndpointError(f"GET {display_url(client, path)} answered {response.status_code}")
        inboxes = listing(json_body(response), ["payload"], path)
    except EndpointError as exc:
        return failed(exc)
    names = [_describe(i) for i in inboxes]
    row = note(f"Chatwoot account {account_id}: {len(inboxes)} inbox(es)", "\n".join(names))
    if not any(_matches(i, inbox) for i in inboxes):
        listed = ", ".join(names) or "none"
        return ProbeResult.failed(
            f"Chatwoot account {account_id} has no inbox {inbox!s} (inboxes: {listed})", [row]
        )
    return ProbeResult.passed([row])


def integration_enabled(client: httpx.Client, path: str, name: str) -> ProbeResult:
    """The app's integrations endpoint reports `name` enabled.

    Accepted shapes: `{"integrations": [{"name", "enabled"}]}`, a bare list of those, or
    `{"<name>": {"enabled": bool}}`.
    """
    try:
        payload = get_json(client, path)
        enabled = _enabled_flag(payload, name, path)
    except EndpointError as exc:
        return failed(exc)
    row = note(f"{path}: {name} enabled={enabled}", integration=name, enabled=enabled)
    if enabled is not True:
        return ProbeResult.failed(f"{path} reports the {name} integration disabled", [row])
    return ProbeResult.passed([row])


def _enabled_flag(payload: Any, name: str, path: str) -> Any:
    if isinstance(payload, Mapping) and isinstance(payload.get(name), Mapping):
        return payload[name].get("enabled")
    for entry in listing(payload, ["integrations"], path):
        if isinstance(entry, Mapping) and str(entry.get("name", "")).lower() == name.lower():
            return entry.get("enabled")
    raise EndpointError(f"{path} does not list the {name} integration")


def _matches(entry: Any, wanted: str | int) -> bool:
    if not isinstance(entry, Mapping):
        return False
    return str(entry.get("id")) == str(wanted) or str(entry.get("name")) == str(wanted)


def _describe(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return "?"
    return f"{entry.get('id')}: {entry.get('name')} ({entry.get('channel_type', '?')})"
