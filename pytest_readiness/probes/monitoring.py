"""Monitoring: Prometheus has alerting rules loaded and Alertmanager has somewhere to send them.

Prometheus `GET /api/v1/rules` answers `{"status": "success", "data": {"groups": [{"name",
"rules": [{"type": "alerting" | "recording", "name", "health": "ok" | "err" | "unknown",
"lastError", ...}]}]}}`: a rule whose last evaluation errored fails the item. Alertmanager
`GET /api/v2/status` answers `{"cluster", "versionInfo", "config": {"original": "<YAML>"},
"uptime"}`; the receivers and the routes' receivers are read from that YAML text. A route
that ends at a receiver with no integrations drops what it matches: the root route doing so
fails, a sub-route doing so is a warning (a deliberate "null" receiver is common).
"""

from __future__ import annotations

import re

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.combined import all_of
from pytest_readiness.probes.endpoint import EndpointError, failed, field, get_json, note

RULES_PATH = "/api/v1/rules"
STATUS_PATH = "/api/v2/status"

_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_KEY = re.compile(r"^\s*(?:-\s+)?(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")


def alerting_rules(client: httpx.Client) -> ProbeResult:
    """At least one alerting rule is loaded in Prometheus."""
    try:
        payload = get_json(client, RULES_PATH)
        groups = field(field(payload, ["data"], RULES_PATH), ["groups"], RULES_PATH)
    except EndpointError as exc:
        return failed(exc)
    rules = [
        (f"{group.get('name')}/{rule.get('name')}", rule)
        for group in groups or []
        for rule in group.get("rules") or []
    ]
    alerts = [name for name, rule in rules if rule.get("type") == "alerting"]
    errored = [(name, rule) for name, rule in rules if rule.get("health") == "err"]
    row = note(
        f"Prometheus: {counted(len(alerts), 'alerting rule')} of {counted(len(rules), 'rule')}, "
        f"{len(errored)} in error",
        "\n".join(alerts[:20]),
        alerting=len(alerts),
        rules=len(rules),
        errored=[name for name, _ in errored],
    )
    if errored:
        name, rule = errored[0]
        more = f" (and {len(errored) - 1} more)" if len(errored) > 1 else ""
        return ProbeResult.failed(
            f"Prometheus rule {name}: last evaluation failed: "
            f"{rule.get('lastError') or 'no error text'}{more}",
            [row],
        )
    if not alerts:
        return ProbeResult.failed(
            f"Prometheus {RULES_PATH} lists no alerting rules ({counted(len(rules), 'rule')} in "
            f"{counted(len(groups or []), 'group')})",
            [row],
        )
    return ProbeResult.passed([row])


def alert_receivers(client: httpx.Client) -> ProbeResult:
    """Alertmanager's loaded configuration names at least one receiver."""
    try:
        payload = get_json(client, STATUS_PATH)
        original = field(field(payload, ["config"], STATUS_PATH), ["original"], STATUS_PATH)
    except EndpointError as exc:
        return failed(exc)
    text = str(original or "")
    receivers = receiver_integrations(text)
    names = list(receivers)
    row = note(
        f"Alertmanager: {counted(len(names), 'receiver')}", ", ".join(names), receivers=names
    )
    if not names:
        return ProbeResult.failed(f"Alertmanager {STATUS_PATH} config has no receivers", [row])
    if not any(receivers.values()):
        return ProbeResult.failed(
            f"Alertmanager receivers deliver nowhere (no *_configs): {', '.join(names)}", [row]
        )
    root, branches = route_receivers(text)
    if root is not None and not receivers.get(root, [True]):
        return ProbeResult.failed(
            f"Alertmanager's root route ends at receiver {root!r}, which has no integrations: "
            "alerts no sub-route matches go nowhere",
            [row],
        )
    dead = [name for name in dict.fromkeys(branches) if not receivers.get(name, [True])]
    warnings = [
        f"Alertmanager route to receiver {name!r} ends nowhere: it has no integrations"
        for name in dead
    ]
    return ProbeResult.passed([row], warnings)


def monitoring_configured(prometheus: httpx.Client, alertmanager: httpx.Client) -> ProbeResult:
    """Both halves of alerting: rules that fire and receivers that deliver."""
    return all_of(alerting_rules(prometheus), alert_receivers(alertmanager))


def notifications_delivered(prometheus: httpx.Client, query: str) -> ProbeResult:
    """No failed Alertmanager notifications in the window the query covers (e.g.
    `sum(increase(alertmanager_notifications_failed_total[1h]))`)."""
    from pytest_readiness.probes.prometheus import query_value

    try:
        failures = query_value(prometheus, query)
    except EndpointError as exc:
        return failed(exc)
    row = note(f"Alertmanager failed notifications: {failures:g}", query, failed=failures)
    if failures > 0:
        return ProbeResult.failed(
            f"Alertmanager failed to deliver {counted(failures, 'notification')} ({query})", [row]
        )
    return ProbeResult.passed([row])


def receivers_in_config(text: str) -> list[str]:
    """The receiver names in an Alertmanager YAML config, without a YAML parser."""
    return list(receiver_integrations(text))


def receiver_integrations(text: str) -> dict[str, list[str]]:
    """Receiver name -> its non-empty `*_configs` keys (none: it delivers nowhere).

    Alertmanager writes its config back in block style: a top-level `receivers:` key
    holding a list of mappings, each with `name:` and `<kind>_configs:` as keys at the
    item's own indent.
    """
    found: dict[str, list[str]] = {}
    for keys in _receiver_items(text):
        name = keys.pop("name", None)
        if name is not None:
            found[_unquote(name)] = [
                key for key, value in keys.items() if key.endswith("_configs") and value != "[]"
            ]
    return found


def route_receivers(text: str) -> tuple[str | None, list[str]]:
    """The root route's receiver and every sub-route's receiver, from Alertmanager's YAML.

    In the block style Alertmanager writes, the root route's keys sit at indent 2 under the
    top-level `route:`; every other `receiver:` in that block belongs to a sub-route.
    """
    root: str | None = None
    branches: list[str] = []
    inside = False
    for line in text.splitlines():
        if _TOP_LEVEL_KEY.match(line):
            inside = line.split(":", 1)[0].strip() == "route"
            continue
        match = _KEY.match(line)
        if not inside or not match or match.group("key") != "receiver":
            continue
        name = _unquote(match.group("value"))
        if line.startswith("  receiver:"):
            root = name
        else:
            branches.append(name)
    return root, branches


def _receiver_items(text: str) -> list[dict[str, str]]:
    """Each receiver list item's own keys with their inline values."""
    items: list[dict[str, str]] = []
    inside = False
    item_indent: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if _TOP_LEVEL_KEY.match(line):
            inside = line.split(":", 1)[0].strip() == "receivers"
            item_indent = None
            continue
        if not inside:
            continue
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("- "):
            item_indent = indent if item_indent is None else item_indent
            if indent != item_indent:
                continue
            items.append({})
        elif item_indent is None or indent != item_indent + 2 or not items:
            continue
        match = _KEY.match(line)
        if match:
            items[-1][match.group("key")] = match.group("value")
    return items


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
