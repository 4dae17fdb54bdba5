"""Alerts delivering: send one labelled test alert through Alertmanager and watch it go out.

The alert is posted to `POST /api/v2/alerts` with a unique `readiness_check` label and a
short `endsAt`. `GET /api/v2/alerts?filter=readiness_check="<id>"` tells which receivers its
route reached; the receivers' integrations (`webhook_configs` -> `webhook`) are read from
`/api/v2/status`. Alertmanager's own counters on `/metrics` then say whether it delivered:
per integration, `alertmanager_notification_requests_total` counts every attempt and
`alertmanager_notification_requests_failed_total` the failed ones, so an attempt that
succeeded is a delivery and a failed one (e.g. a receiver answering 500) fails the item at
once, naming the integration. The counters are per integration, not per alert: another
alert failing on the same integration at the same moment is counted too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes.endpoint import EndpointError, failed, field, get_json, note, send
from pytest_readiness.probes.monitoring import STATUS_PATH, receiver_integrations
from pytest_readiness.probes.prometheus import exposition_values

ALERTS_PATH = "/api/v2/alerts"
METRICS_PATH = "/metrics"
ATTEMPTS = "alertmanager_notification_requests_total"
FAILED_ATTEMPTS = "alertmanager_notification_requests_failed_total"
TEST_ALERT_NAME = "ReadinessTestAlert"


@dataclass(frozen=True)
class Counters:
    """Alertmanager's attempt counters per integration at one moment."""

    attempts: Mapping[str, float]
    failed: Mapping[str, float]

    def since(self, before: Counters, integration: str) -> tuple[float, float]:
        """(successful, failed) attempts of `integration` since `before`."""
        tried = self.attempts.get(integration, 0) - before.attempts.get(integration, 0)
        lost = self.failed.get(integration, 0) - before.failed.get(integration, 0)
        return tried - lost, lost


def read_counters(client: httpx.Client) -> Counters:
    """The attempt counters from Alertmanager's `/metrics`."""
    text = send(client, "GET", METRICS_PATH).text
    return Counters(
        exposition_values(text, ATTEMPTS, "integration"),
        exposition_values(text, FAILED_ATTEMPTS, "integration"),
    )


def probe_alert(
    check_id: str, now: datetime, ttl: timedelta, extra_labels: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The one alert this check writes: unmistakably a test, ending by itself soon."""
    return {
        "labels": {
            **dict(extra_labels or {}),
            "alertname": TEST_ALERT_NAME,
            "readiness_check": check_id,
            "severity": "none",
        },
        "annotations": {"summary": "pytest-readiness delivery test: ignore, it resolves itself"},
        "startsAt": now.isoformat(),
        "endsAt": (now + ttl).isoformat(),
    }


def alerts_delivering(
    client: httpx.Client,
    *,
    timeout_s: float = 60.0,
    ttl: timedelta = timedelta(minutes=2),
    extra_labels: Mapping[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
    poll_s: float = 0.5,
    receiver_log: httpx.Client | None = None,
) -> ProbeResult:
    """Post one test alert and pass once every integration it was routed to delivered it.

    `now` is the clock the alert's `startsAt` / `endsAt` are taken from (default: UTC now).
    `receiver_log` is a client on a page where a webhook receiver lists what it received:
    its text naming this alert's `readiness_check` id also proves delivery.
    """
    clock = now or (lambda: datetime.now(UTC))
    check_id = uuid.uuid4().hex
    try:
        integrations = _integrations(client)
        before = read_counters(client)
        alert = probe_alert(check_id, clock(), ttl, extra_labels)
        send(client, "POST", ALERTS_PATH, json=[alert])
        sent = note(f"posted test alert readiness_check={check_id}", str(alert["labels"]))
        receivers = _routed_receivers(client, check_id, timeout_s, poll_s)
    except EndpointError as exc:
        return failed(exc)
    used = {name: integrations.get(name, []) for name in receivers}
    routed = note(
        f"routed to {_receivers(len(receivers))} {', '.join(receivers)}", "", receivers=used
    )
    nowhere = [name for name, kinds in used.items() if not kinds]
    if nowhere:
        return ProbeResult.failed(
            f"the test alert was routed to {_receivers(len(nowhere))} {', '.join(nowhere)} with no "
            "integrations: it goes nowhere",
            [sent, routed],
        )
    kinds = sorted({kind for found in used.values() for kind in found})
    witness = _witness(receiver_log, check_id)
    result = _watch(client, before, kinds, timeout_s, poll_s, [sent, routed], witness)
    return _resolved(client, alert, clock(), result)


def _resolved(
    client: httpx.Client, alert: Mapping[str, object], now: datetime, result: ProbeResult
) -> ProbeResult:
    """End the test alert now that it has been judged, so it stops notifying."""
    try:
        send(client, "POST", ALERTS_PATH, json=[{**alert, "endsAt": now.isoformat()}])
    except EndpointError as exc:
        return ProbeResult(
            result.ok, result.reason, result.evidence, (*result.warnings, f"not resolved: {exc}")
        )
    return result


def _receivers(count: int) -> str:
    return "receiver" if count == 1 else "receivers"


def _integrations(client: httpx.Client) -> dict[str, list[str]]:
    """Receiver name -> integration names, from the loaded configuration."""
    payload = get_json(client, STATUS_PATH)
    original = field(field(payload, ["config"], STATUS_PATH), ["original"], STATUS_PATH)
    return {
        name: [key.removesuffix("_configs") for key in keys]
        for name, keys in receiver_integrations(str(original or "")).items()
    }


def _routed_receivers(
    client: httpx.Client, check_id: str, timeout_s: float, poll_s: float
) -> list[str]:
    """The receivers Alertmanager routed the test alert to, once it lists the alert."""
    deadline = time.monotonic() + timeout_s
    query = {"filter": f'readiness_check="{check_id}"'}
    while True:
        found = get_json(client, ALERTS_PATH, params=query)
        for alert in found if isinstance(found, list) else []:
            names = [r.get("name") for r in alert.get("receivers") or [] if isinstance(r, dict)]
            if names:
                return [str(name) for name in names]
        if time.monotonic() >= deadline:
            raise EndpointError(
                f"Alertmanager did not list the test alert within {timeout_s:g} s "
                f"(GET {ALERTS_PATH}?filter=readiness_check=...)"
            )
        time.sleep(poll_s)


def _witness(receiver_log: httpx.Client | None, check_id: str) -> Callable[[], Evidence | None]:
    """A poll of the receiver's log: evidence once it names the alert, else None."""

    def saw() -> Evidence | None:
        if receiver_log is None:
            return None
        try:
            # The log is the client's base URL itself (httpx would add a slash to it).
            text = send(receiver_log, "GET", str(receiver_log.base_url).rstrip("/")).text
        except EndpointError:
            return None
        if check_id not in text:
            return None
        return note(f"the webhook receiver's log {receiver_log.base_url} lists the test alert")

    return saw


def _watch(
    client: httpx.Client,
    before: Counters,
    kinds: Sequence[str],
    timeout_s: float,
    poll_s: float,
    evidence: list[Evidence],
    witness: Callable[[], Evidence | None],
) -> ProbeResult:
    """Poll the counters until every integration delivered (or the receiver's log shows the
    alert), one failed, or time ran out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            now = read_counters(client)
        except EndpointError as exc:
            return failed(exc, evidence)
        seen = {kind: now.since(before, kind) for kind in kinds}
        row = note(
            "Alertmanager notification attempts since the test alert: "
            + ", ".join(f"{k} {ok:g} ok / {lost:g} failed" for k, (ok, lost) in seen.items()),
            f"{ATTEMPTS} and {FAILED_ATTEMPTS} on {METRICS_PATH}",
            attempts={k: {"ok": ok, "failed": lost} for k, (ok, lost) in seen.items()},
        )
        broken = [kind for kind, (_, lost) in seen.items() if lost > 0]
        if broken:
            return ProbeResult.failed(
                f"Alertmanager failed to deliver the test alert via {', '.join(broken)} "
                f"({FAILED_ATTEMPTS} rose by {sum(seen[k][1] for k in broken):g})",
                [*evidence, row],
            )
        if all(ok >= 1 for ok, _ in seen.values()):
            return ProbeResult.passed([*evidence, row])
        seen_there = witness()
        if seen_there is not None:
            return ProbeResult.passed([*evidence, row, seen_there])
        if time.monotonic() >= deadline:
            waiting = [kind for kind, (ok, _) in seen.items() if ok < 1]
            return ProbeResult.failed(
                f"Alertmanager sent no notification via {', '.join(waiting)} within "
                f"{timeout_s:g} s of the test alert",
                [*evidence, row],
            )
        time.sleep(poll_s)
