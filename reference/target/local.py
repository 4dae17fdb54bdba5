"""The whole `local` target: a git workspace, a database and the API stand-ins, with faults.

`start()` builds everything in a temporary folder and returns the variables the `local`
environment in pyproject.toml reads (`READINESS_LOCAL_*`); `LocalTarget.stop()` removes it.
Faults are named in `READINESS_LOCAL_FAULTS` (comma-separated); see `reference/README.md`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reference.target import (
    database,
    infra_faults,
    monitoring_stack,
    server,
    supabase_api,
    traffic,
    workspace,
)

FAULTS_VARIABLE = "READINESS_LOCAL_FAULTS"
FAULTS: frozenset[str] = (
    workspace.FAULTS
    | database.FAULTS
    | supabase_api.FAULTS
    | server.FAULTS
    | server.POST_FAULTS
    | frozenset(infra_faults.WORKSPACE_FAULTS)
)


class UnknownFault(ValueError):
    """A fault name the local target cannot inject."""


def faults_from(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named in `READINESS_LOCAL_FAULTS`; unknown names are an error listing all."""
    names = frozenset(n.strip() for n in environ.get(FAULTS_VARIABLE, "").split(",") if n.strip())
    unknown = sorted(names - FAULTS)
    if unknown:
        raise UnknownFault(
            f"{FAULTS_VARIABLE} names unknown fault(s) {', '.join(unknown)}; "
            f"known faults: {', '.join(sorted(FAULTS))}"
        )
    return names


@dataclass
class LocalTarget:
    """A running local target: the variables to export, and how to take it down."""

    variables: dict[str, str]
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()


def start(
    admin_dsn: str, faults: frozenset[str] = frozenset(), *, send_traffic: bool = False
) -> LocalTarget:
    """Build the workspace, the database and the stand-ins; on any failure undo what was made.

    With `send_traffic` (the post stage reads error rates and latencies) the app gets a burst of
    real requests and a real Prometheus (when installed) has scraped them before this returns.
    """
    target = LocalTarget(variables={})
    try:
        _build(target, admin_dsn, faults, send_traffic)
    except BaseException:
        target.stop()
        raise
    return target


def _build(target: LocalTarget, admin_dsn: str, faults: frozenset[str], send_traffic: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="readiness-local-"))
    target._cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    # The real Prometheus starts first, scraping the port the app will take: its first scrape
    # (about 5 s: service discovery) overlaps building the workspace and the database.
    app_port = monitoring_stack.free_port()
    stack = _monitoring(target, folder, app_port, faults)
    ws = workspace.build(folder / "workspace", faults & workspace.FAULTS)
    for name in sorted(faults & frozenset(infra_faults.WORKSPACE_FAULTS)):
        infra_faults.WORKSPACE_FAULTS[name](ws)
    dsn = database.create(admin_dsn, ws, faults & database.FAULTS)
    target._cleanups.append(lambda: database.drop(admin_dsn, dsn))
    backups = supabase_api.BackupsServer(faults & supabase_api.FAULTS).start()
    target._cleanups.append(backups.stop)
    services = server.start(
        ws,
        faults & (server.FAULTS | server.POST_FAULTS),
        traffic=traffic_faults(faults),
        app_port=app_port,
    )
    target._cleanups.append(services.stop)
    monitoring = {"READINESS_LOCAL_MONITORING": STAND_IN}
    if stack is not None:
        monitoring = _real_monitoring(
            stack, services.urls["READINESS_LOCAL_URL"], faults, send_traffic
        )
    target.variables.update(
        {
            "READINESS_LOCAL_WORKSPACE": str(ws),
            "READINESS_LOCAL_DB": dsn,
            "READINESS_LOCAL_SUPABASE_API": backups.url,
            **services.urls,
            **monitoring,
            # The workspace's commands say `python`: make it this interpreter, venv or not.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        }
    )


# Real traffic the local target sends its app before the checks run, so the real
# Prometheus has a window of series to evaluate (error rate, P95).
TRAFFIC_REQUESTS = 100
STAND_IN = "stand-in: Prometheus not installed (apt-get install prometheus prometheus-alertmanager)"


def traffic_faults(faults: frozenset[str]) -> server.TrafficFaults:
    """What the real app's traffic path does wrong for the post-deploy faults."""
    return server.TrafficFaults(
        error_share=0.07 if "error-rate-7pct" in faults else 0.0,
        slow_share=0.1 if "p95-12s" in faults else 0.0,
        added_latency_s=12.0 if "p95-12s" in faults else 0.0,
    )


def _monitoring(
    target: LocalTarget, folder: Path, app_port: int, faults: frozenset[str]
) -> monitoring_stack.MonitoringStack | None:
    """A real Prometheus and Alertmanager when installed (None: the stand-ins answer)."""
    if not monitoring_stack.installed():
        return None
    # alerts-undelivered: the on-call webhook answers 500, as a broken receiver would.
    oncall = monitoring_stack.WebhookReceiver(500 if "alerts-undelivered" in faults else 200)
    oncall.start()
    target._cleanups.append(oncall.stop)
    rules = monitoring_stack.APP_RULES
    if "no-alert-rules" in faults:
        recording = [rule for rule in rules["groups"][0]["rules"] if "record" in rule]
        rules = {"groups": [{"name": "app", "rules": recording}]}
    stack = monitoring_stack.MonitoringStack.start(
        folder / "monitoring",
        monitoring_stack.alertmanager_config(
            [monitoring_stack.webhook_receiver("oncall", oncall.url)]
        ),
        rules,
        {"app": [f"127.0.0.1:{app_port}"]},
    )
    target._cleanups.append(stack.stop)
    return stack


def _real_monitoring(
    stack: monitoring_stack.MonitoringStack,
    app_url: str,
    faults: frozenset[str],
    send_traffic: bool,
) -> dict[str, str]:
    """Send the app its burst of real traffic (post stage) and wait until it is scraped."""
    if send_traffic:
        # A rate needs two samples: one scraped before the traffic (the counters at 0), one after.
        stack.wait_for('up{job="app"}', lambda up: up == 1)
        concurrency = 20 if "p95-12s" in faults else 10
        sent = traffic.drive(app_url, server.TRAFFIC_PATH, TRAFFIC_REQUESTS, concurrency)
        scraped = f'sum(http_requests_total{{job="app",path="{server.TRAFFIC_PATH}"}})'
        stack.wait_for(scraped, lambda count: count >= sent.total)
    return {
        "READINESS_LOCAL_PROMETHEUS": stack.prometheus_url,
        "READINESS_LOCAL_ALERTMANAGER": stack.alertmanager_url,
        "READINESS_LOCAL_MONITORING": "real: Prometheus and Alertmanager on loopback",
    }
