"""Loopback stand-ins for the `local` target: the app, GitHub, Prometheus, Alertmanager, Chatwoot.

Each service is a stdlib `ThreadingHTTPServer` on 127.0.0.1 with an ephemeral port, answering
with the response shapes the real services document. Named faults make one answer go wrong
so a newcomer can watch exactly one checklist item turn NO-GO:

    services = start(workspace, frozenset({"health-503"}))
    services.urls["READINESS_LOCAL_URL"]   # -> "http://127.0.0.1:40123"
    services.stop()
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import prometheus_client

FAULTS: frozenset[str] = frozenset(
    {
        "health-503",
        "wrong-version",
        "workflow-failed",
        "no-alert-rules",
        "seven-tiles",
        "two-wildcards",
        "stale-analytics",
        "rop-off-by-one",
        "chatwoot-401",
        "undocumented-flag",
        "frame-denied",
        "slow-health",
    }
)
# Faults the post-deploy items (`--stage=post`, checks/test_post_deploy.py) notice.
POST_FAULTS: frozenset[str] = frozenset(
    {
        "slow-dashboard",
        "error-rate-7pct",
        "p95-12s",
        "approvals-drawer-broken",
        "alerts-undelivered",
        "products-missing-sku",
    }
)

SLOW_HEALTH_S = 5.0
# Above the runbook's "Dashboard loads <3s", below its rollback trigger "P95 latency >10s".
SLOW_DASHBOARD_S = 3.5
# What the Prometheus stand-in reports (healthy, then with the fault), for the queries below.
ERROR_RATE = (0.001, 0.07)  # error-rate-7pct
P95_LATENCY_S = (0.42, 12.0)  # p95-12s
_POLL_S = 0.05  # how soon `stop()` is noticed
WRONG_COMMIT = "1111111111111111111111111111111111111111"
CHATWOOT_ACCOUNT_ID = 1
CHATWOOT_INBOX = "Storefront chat"
FRAME_ANCESTORS = "https://admin.shopify.com https://*.myshopify.com"

# The flags the app exposes; reference/app/docs/feature-flags.md documents exactly these.
FEATURE_FLAGS: Mapping[str, Any] = {
    "approvals_drawer": True,
    "idea_pool": True,
    "chatwoot_inbox": True,
    "seo_audit": False,
    "dashboard_refresh_seconds": 60,
}


# Latency buckets (s) of the app's histogram: the runbook's 3 s and 10 s are boundaries.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0, 15.0, 30.0)
# The path real traffic and the traffic faults go to (the shop's product list).
TRAFFIC_PATH = "/api/products"


@dataclass(frozen=True)
class TrafficFaults:
    """What `TRAFFIC_PATH` does wrong: an exact share of 5xx and of slowed answers.

    The n-th request (0-based) fails when floor((n+1) * share) > floor(n * share), so after
    any N requests exactly floor(N * share) failed: a traffic generator knows what it made.
    """

    error_share: float = 0.0
    slow_share: float = 0.0
    added_latency_s: float = 0.0

    def errs(self, n: int) -> bool:
        return _picked(n, self.error_share)

    def delay(self, n: int) -> float:
        return self.added_latency_s if _picked(n, self.slow_share) else 0.0


def _picked(n: int, share: float) -> bool:
    return math.floor((n + 1) * share) > math.floor(n * share)


@dataclass(frozen=True)
class Reply:
    """What a stand-in answers: status, headers, body."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Reply:
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)


@dataclass(frozen=True)
class Request:
    """What a stand-in was asked."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


Route = Callable[[Request, re.Match[str]], Reply]


class Service:
    """A set of (method, path pattern) routes; subclasses add them in `__init__`."""

    def __init__(self, faults: frozenset[str], stopping: threading.Event) -> None:
        self.faults = faults
        self.stopping = stopping
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.base_url = ""
        self.seen: list[tuple[str, str]] = []

    def route(self, method: str, pattern: str, handle: Route) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handle))

    def answer(self, request: Request) -> Reply:
        for method, pattern, handle in self.routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handle(request, match)
        return Reply.json({"message": "Not Found"}, 404)


class App(Service):
    """The reference app's HTTP surface the feature and infra items read."""

    def __init__(
        self,
        faults: frozenset[str],
        stopping: threading.Event,
        workspace: Path,
        slow_s: float,
        traffic: TrafficFaults = TrafficFaults(),
    ) -> None:
        super().__init__(faults, stopping)
        self.workspace = workspace
        self.slow_s = slow_s
        self.traffic = traffic
        self.traffic_seen = itertools.count()
        self.approvals: dict[int, dict[str, Any]] = {}
        self.next_id = itertools.count(1)
        self.lock = threading.Lock()
        self.metrics = prometheus_client.CollectorRegistry()
        self.requests_total = prometheus_client.Counter(
            "http_requests", "HTTP requests answered", ["path", "status"], registry=self.metrics
        )
        self.duration = prometheus_client.Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.metrics,
        )
        # Series exist (at 0) before the first request, so rates start from a known zero.
        self.requests_total.labels(TRAFFIC_PATH, "200")
        self.requests_total.labels(TRAFFIC_PATH, "500")
        self.duration.labels(TRAFFIC_PATH)
        self.route("GET", "/metrics", self.exposition)
        self.route("GET", TRAFFIC_PATH, self.products)
        self.route("GET", "/", self.home)
        self.route("GET", "/health", self.health)
        self.route("GET", "/api/health", self.api_health)
        self.route("GET", "/api/version", self.version)
        self.route("GET", "/api/dashboard", self.dashboard)
        self.route("GET", "/api/dashboard/tiles/(?P<tile>[\\w-]+)", self.tile)
        self.route("POST", "/api/approvals", self.create_approval)
        self.route("GET", "/api/approvals/(?P<id>\\d+)", self.get_approval)
        self.route("POST", "/api/approvals/(?P<id>\\d+)/approve", self.approve)
        self.route("DELETE", "/api/approvals/(?P<id>\\d+)", self.delete_approval)
        self.route("GET", "/api/ideas", self.ideas)
        self.route("GET", "/api/analytics/summary", self.analytics)
        self.route("GET", "/api/inventory", self.inventory)
        self.route("GET", "/api/feature-flags", self.flags)
        self.route("GET", "/api/integrations", self.integrations)

    def answer(self, request: Request) -> Reply:
        """Every answer except the scrape itself is counted and timed."""
        if request.path == "/metrics":
            return super().answer(request)
        started = time.perf_counter()
        reply = super().answer(request)
        path = request.path if request.path in _INSTRUMENTED else "other"
        self.duration.labels(path).observe(time.perf_counter() - started)
        self.requests_total.labels(path, str(reply.status)).inc()
        return reply

    def exposition(self, request: Request, match: re.Match[str]) -> Reply:
        body = prometheus_client.generate_latest(self.metrics)
        return Reply(200, body, {"Content-Type": prometheus_client.CONTENT_TYPE_LATEST})

    def products(self, request: Request, match: re.Match[str]) -> Reply:
        n = next(self.traffic_seen)
        delay = self.traffic.delay(n)
        if delay:
            self.stopping.wait(delay)
        if self.traffic.errs(n):
            return Reply.json({"message": "internal error (traffic fault)"}, 500)
        listed = _INVENTORY[1:] if "products-missing-sku" in self.faults else _INVENTORY
        return Reply.json({"products": [{"sku": item["sku"]} for item in listed]})

    def home(self, request: Request, match: re.Match[str]) -> Reply:
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": f"frame-ancestors {FRAME_ANCESTORS};",
        }
        if "frame-denied" in self.faults:
            headers["X-Frame-Options"] = "DENY"
        broken = "approvals-drawer-broken" in self.faults
        return Reply(200, dashboard_page(drawer_works=not broken).encode(), headers)

    def health(self, request: Request, match: re.Match[str]) -> Reply:
        if "slow-health" in self.faults:
            self.stopping.wait(self.slow_s)
        return Reply.json({"status": "ok"})

    def api_health(self, request: Request, match: re.Match[str]) -> Reply:
        if "health-503" in self.faults:
            return Reply.json({"status": "down", "checks": {"database": "unreachable"}}, 503)
        return Reply.json({"status": "ok", "checks": {"database": "ok", "queue": "ok"}})

    def version(self, request: Request, match: re.Match[str]) -> Reply:
        commit = WRONG_COMMIT if "wrong-version" in self.faults else _head(self.workspace)
        return Reply.json({"version": "1.0.0", "commit": commit})

    def dashboard(self, request: Request, match: re.Match[str]) -> Reply:
        if "slow-dashboard" in self.faults:
            self.stopping.wait(SLOW_DASHBOARD_S)
        tiles = [{**tile, "data_url": f"/api/dashboard/tiles/{tile['id']}"} for tile in _TILES]
        if "seven-tiles" in self.faults:
            tiles = tiles[:7]
        return Reply.json({"tiles": tiles})

    def tile(self, request: Request, match: re.Match[str]) -> Reply:
        for tile in _TILES:
            if tile["id"] == match["tile"]:
                return Reply.json({"id": tile["id"], "data": tile["data"]})
        return Reply.json({"message": "no such tile"}, 404)

    def create_approval(self, request: Request, match: re.Match[str]) -> Reply:
        body = request.json()
        with self.lock:
            approval_id = next(self.next_id)
            approval = {
                "id": approval_id,
                "title": body.get("title", ""),
                "status": "pending",
                "test": bool(body.get("test")),
                "reviewer": None,
            }
            self.approvals[approval_id] = approval
        return Reply.json(approval, 201)

    def get_approval(self, request: Request, match: re.Match[str]) -> Reply:
        approval = self.approvals.get(int(match["id"]))
        return Reply.json(approval) if approval else Reply.json({"message": "not found"}, 404)

    def approve(self, request: Request, match: re.Match[str]) -> Reply:
        body = request.json()
        with self.lock:
            approval = self.approvals.get(int(match["id"]))
            if approval is None:
                return Reply.json({"message": "not found"}, 404)
            if not body.get("human"):
                return Reply.json({"message": "approvals need a human reviewer"}, 422)
            approval.update(status="approved", reviewer=body.get("reviewer"))
        return Reply.json(approval)

    def delete_approval(self, request: Request, match: re.Match[str]) -> Reply:
        with self.lock:
            removed = self.approvals.pop(int(match["id"]), None)
        return Reply(204) if removed else Reply.json({"message": "not found"}, 404)

    def ideas(self, request: Request, match: re.Match[str]) -> Reply:
        ideas = [
            {"id": f"idea-{n}", "title": title, "wildcard": n == 5}
            for n, title in enumerate(_IDEAS, start=1)
        ]
        if "two-wildcards" in self.faults:
            ideas[3]["wildcard"] = True
        return Reply.json({"ideas": ideas})

    def analytics(self, request: Request, match: re.Match[str]) -> Reply:
        age = timedelta(minutes=180 if "stale-analytics" in self.faults else 4)
        latest = (datetime.now(UTC) - age).isoformat().replace("+00:00", "Z")
        window = float(request.param("window_minutes", "60"))
        count = 0 if age > timedelta(minutes=window) else 137
        return Reply.json({"count": count, "latest_event_at": latest, "window_minutes": window})

    def inventory(self, request: Request, match: re.Match[str]) -> Reply:
        items = [dict(item) for item in _INVENTORY]
        if "rop-off-by-one" in self.faults:
            items[2]["reorder_point"] += 1
        return Reply.json({"items": items})

    def flags(self, request: Request, match: re.Match[str]) -> Reply:
        flags = dict(FEATURE_FLAGS)
        if "undocumented-flag" in self.faults:
            flags["autopilot_pricing"] = False
        return Reply.json({"flags": flags})

    def integrations(self, request: Request, match: re.Match[str]) -> Reply:
        return Reply.json({"integrations": [{"name": "chatwoot", "enabled": True}]})


class GitHub(Service):
    """GitHub's Actions REST endpoints for one repository, with small pages to exercise `Link`."""

    PAGE_CAP = 2

    def __init__(self, faults: frozenset[str], stopping: threading.Event) -> None:
        super().__init__(faults, stopping)
        repo = "(?P<repo>[\\w.-]+/[\\w.-]+)"
        self.route("GET", f"/repos/{repo}/actions/workflows", self.workflows)
        self.route("GET", f"/repos/{repo}/actions/workflows/(?P<id>\\d+)/runs", self.runs)

    def answer(self, request: Request) -> Reply:
        if not request.headers.get("authorization", "").strip():
            return Reply.json({"message": "Requires authentication"}, 401)
        return super().answer(request)

    def workflows(self, request: Request, match: re.Match[str]) -> Reply:
        per_page = min(int(request.param("per_page", "30")), self.PAGE_CAP)
        page = int(request.param("page", "1"))
        chunk = _WORKFLOWS[(page - 1) * per_page : page * per_page]
        workflows = [
            {
                **w,
                "path": f".github/workflows/{w['file']}",
                "html_url": f"https://github.com/{match['repo']}/actions/workflows/{w['file']}",
            }
            for w in chunk
        ]
        headers: dict[str, str] = {}
        if page * per_page < len(_WORKFLOWS):
            url = f"{self.base_url}{request.path}?per_page={per_page}&page={page + 1}"
            headers["Link"] = f'<{url}>; rel="next"'
        return Reply.json({"total_count": len(_WORKFLOWS), "workflows": workflows}, headers=headers)

    def runs(self, request: Request, match: re.Match[str]) -> Reply:
        workflow_id = int(match["id"])
        conclusion = "failure" if workflow_id == 104 else "success"
        if workflow_id == 102 and "workflow-failed" in self.faults:
            conclusion = "failure"
        run = {
            "id": workflow_id * 1000 + 7,
            "workflow_id": workflow_id,
            "head_branch": "main",
            "status": "completed",
            "conclusion": conclusion,
            "html_url": f"https://github.com/{match['repo']}/actions/runs/{workflow_id * 1000 + 7}",
        }
        wanted = request.param("branch", "main") == "main" and request.param("status") in (
            "",
            "completed",
        )
        runs = [run] if wanted else []
        return Reply.json({"total_count": len(runs), "workflow_runs": runs})


class Prometheus(Service):
    """Prometheus' `/api/v1/rules` and `/api/v1/query` for the post-deploy queries.

    The query stand-in does not evaluate PromQL: it recognises the three queries of the
    `local` environment by their metric (5xx share, latency histogram, failed notifications)
    and answers what production would: this is how a P95 of 12 s is reported without
    making anyone wait 12 s per request.
    """

    def __init__(self, faults: frozenset[str], stopping: threading.Event) -> None:
        super().__init__(faults, stopping)
        self.route("GET", "/api/v1/rules", self.rules)
        self.route("GET", "/api/v1/query", self.query)

    def query(self, request: Request, match: re.Match[str]) -> Reply:
        text = request.param("query")
        if "notifications_failed" in text:
            value = 0.0
        elif "histogram_quantile" in text:
            value = P95_LATENCY_S["p95-12s" in self.faults]
        elif "5.." in text:
            value = ERROR_RATE["error-rate-7pct" in self.faults]
        else:
            error = {"status": "error", "errorType": "bad_data", "error": "unknown query"}
            return Reply.json(error, 400)
        sample = {"metric": {}, "value": [datetime.now(UTC).timestamp(), repr(value)]}
        return Reply.json(
            {"status": "success", "data": {"resultType": "vector", "result": [sample]}}
        )

    def rules(self, request: Request, match: re.Match[str]) -> Reply:
        rules: list[dict[str, Any]] = [dict(_RECORDING_RULE)]
        if "no-alert-rules" not in self.faults:
            rules.insert(0, dict(_ALERTING_RULE))
        group = {
            "name": "app",
            "file": "/etc/prometheus/rules/app.yml",
            "rules": rules,
            "interval": 30,
            "evaluationTime": 0.0004,
            "lastEvaluation": _now(),
        }
        return Reply.json({"status": "success", "data": {"groups": [group]}})


class Alertmanager(Service):
    """Alertmanager's `/api/v2/status` (the loaded config as YAML text), `/api/v2/alerts` and
    the notification attempt counters on `/metrics`.

    Every posted alert is routed to `oncall` (a webhook) and counted as one attempt there;
    with `alerts-undelivered` that attempt fails, as a receiver answering 500 would.
    """

    def __init__(self, faults: frozenset[str], stopping: threading.Event) -> None:
        super().__init__(faults, stopping)
        self.alerts: dict[str, dict[str, Any]] = {}
        self.attempts = 0
        self.route("GET", "/api/v2/status", self.status)
        self.route("POST", "/api/v2/alerts", self.post_alerts)
        self.route("GET", "/api/v2/alerts", self.list_alerts)
        self.route("GET", "/metrics", self.metrics)

    def post_alerts(self, request: Request, match: re.Match[str]) -> Reply:
        for alert in request.json():
            key = json.dumps(alert.get("labels", {}), sort_keys=True)
            if key not in self.alerts:
                self.attempts += 1
            self.alerts[key] = {**alert, "receivers": [{"name": "oncall"}]}
        return Reply(200)

    def list_alerts(self, request: Request, match: re.Match[str]) -> Reply:
        wanted = {
            found[1]: found[2]
            for found in map(_MATCHER.fullmatch, request.query.get("filter", []))
            if found
        }
        found = [
            alert
            for alert in self.alerts.values()
            if all(alert.get("labels", {}).get(k) == v for k, v in wanted.items())
        ]
        return Reply.json(found)

    def metrics(self, request: Request, match: re.Match[str]) -> Reply:
        failed = self.attempts if "alerts-undelivered" in self.faults else 0
        text = (
            f'alertmanager_notification_requests_total{{integration="webhook"}} {self.attempts}\n'
            f'alertmanager_notification_requests_failed_total{{integration="webhook"}} {failed}\n'
        )
        return Reply(200, text.encode(), {"Content-Type": "text/plain; version=0.0.4"})

    def status(self, request: Request, match: re.Match[str]) -> Reply:
        return Reply.json(
            {
                "cluster": {"name": "local", "status": "ready", "peers": []},
                "versionInfo": {
                    "version": "0.27.0",
                    "revision": "local",
                    "branch": "HEAD",
                    "buildUser": "local",
                    "buildDate": "20240101",
                    "goVersion": "go1.22",
                },
                "config": {"original": _ALERTMANAGER_YAML},
                "uptime": _now(),
            }
        )


class Chatwoot(Service):
    """Chatwoot's application API: the account's inboxes."""

    def __init__(self, faults: frozenset[str], stopping: threading.Event) -> None:
        super().__init__(faults, stopping)
        self.route("GET", "/api/v1/accounts/(?P<account>\\d+)/inboxes", self.inboxes)

    def answer(self, request: Request) -> Reply:
        if "chatwoot-401" in self.faults or not request.headers.get("api_access_token"):
            return Reply.json({"error": "Invalid Access Token"}, 401)
        return super().answer(request)

    def inboxes(self, request: Request, match: re.Match[str]) -> Reply:
        if int(match["account"]) != CHATWOOT_ACCOUNT_ID:
            return Reply.json({"error": "Resource could not be found"}, 404)
        inbox = {
            "id": 1,
            "name": CHATWOOT_INBOX,
            "channel_id": 1,
            "channel_type": "Channel::WebWidget",
            "greeting_enabled": False,
        }
        return Reply.json({"payload": [inbox]})


class LocalServices:
    """The running stand-ins: `urls` maps environment-variable names to base URLs."""

    def __init__(
        self,
        servers: Mapping[str, ThreadingHTTPServer],
        services: Mapping[str, Service],
        stopping: threading.Event,
    ):
        self._servers = dict(servers)
        self._services = dict(services)
        self._stopping = stopping
        self._threads = [
            threading.Thread(
                target=s.serve_forever, args=(_POLL_S,), name=f"readiness-{n}", daemon=True
            )
            for n, s in self._servers.items()
        ]
        for thread in self._threads:
            thread.start()
        self.urls: dict[str, str] = {
            name: f"http://127.0.0.1:{server.server_address[1]}"
            for name, server in self._servers.items()
        }

    def requests(self, name: str) -> list[tuple[str, str]]:
        """(method, path) of every request the service behind `name` was sent, in order."""
        return list(self._services[name].seen)

    def stop(self) -> None:
        """Shut every server down; wakes any deliberately slow answer first."""
        self._stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> LocalServices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    workspace: Path,
    faults: frozenset[str] = frozenset(),
    *,
    slow_health_s: float = SLOW_HEALTH_S,
    traffic: TrafficFaults = TrafficFaults(),
    app_port: int = 0,
) -> LocalServices:
    """Serve every stand-in on 127.0.0.1 in background threads; unknown faults are ignored.

    `app_port` is the app's port (0: any free one), for a Prometheus told it in advance.
    """
    stopping = threading.Event()
    services: dict[str, Service] = {
        "READINESS_LOCAL_URL": App(faults, stopping, workspace, slow_health_s, traffic),
        "READINESS_LOCAL_GITHUB_API": GitHub(faults, stopping),
        "READINESS_LOCAL_PROMETHEUS": Prometheus(faults, stopping),
        "READINESS_LOCAL_ALERTMANAGER": Alertmanager(faults, stopping),
        "READINESS_LOCAL_CHATWOOT": Chatwoot(faults, stopping),
    }
    ports = {"READINESS_LOCAL_URL": app_port}
    servers = {name: _serve(service, ports.get(name, 0)) for name, service in services.items()}
    return LocalServices(servers, services, stopping)


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: the latency sampler's 5 requests in flight
    # plus other workers' probes can overflow it, and the kernel's dropped SYN comes back a
    # whole second later, a latency no real server (nginx listens with 511) would show.
    request_queue_size = 128


def _serve(service: Service, port: int = 0) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"service": service})
    server = _Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    service.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


class _Handler(BaseHTTPRequestHandler):
    service: Service
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        self.service.seen.append((request.method, request.path))
        try:
            reply = self.service.answer(request)
        except (ValueError, KeyError) as exc:
            reply = Reply.json({"message": f"bad request: {exc}"}, 400)
        # A client that gave up first (a slow answer after its timeout) is not an error here.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the readiness report is the log."""


def dashboard_page(*, drawer_works: bool) -> str:
    """The app's dashboard page: an Approvals button whose script opens the drawer.

    With `drawer_works=False` the click handler calls a function that does not exist (a
    broken bundle): the drawer stays hidden and the page throws a ReferenceError.
    """
    opener = (
        'document.getElementById("approvals-drawer").hidden = false;'
        if drawer_works
        else "openApprovalsDrawer();"
    )
    return _PAGE.replace("/*OPEN*/", opener)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reference app</title>
<style>
#approvals-drawer { position: fixed; top: 0; right: 0; width: 320px; height: 100%;
  background: #fff; border-left: 1px solid #999; }
#approvals-drawer[hidden] { display: none; }
</style></head>
<body><main>
<h1>Dashboard</h1>
<button type="button" id="approvals-button" data-testid="approvals-button">Approvals</button>
<aside id="approvals-drawer" data-testid="approvals-drawer" hidden>
<h2>Pending approvals</h2><ul id="approvals-list"></ul></aside>
</main>
<script>
document.getElementById("approvals-button").addEventListener("click", function () {
  /*OPEN*/
});
</script>
</body></html>
"""


def _head(workspace: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


_MATCHER = re.compile(r'(\w+)="([^"]*)"')
_INSTRUMENTED = frozenset({TRAFFIC_PATH, "/", "/health", "/api/health", "/api/dashboard"})

_TILES: list[dict[str, Any]] = [
    {"id": "revenue", "title": "Revenue (7 days)", "data": {"value": 18240.5, "currency": "USD"}},
    {"id": "orders", "title": "Orders", "data": {"value": 312}},
    {"id": "aov", "title": "Average order value", "data": {"value": 58.46}},
    {"id": "inventory", "title": "Low stock", "data": {"skus": ["SKU-1003"]}},
    {"id": "approvals", "title": "Pending approvals", "data": {"value": 2}},
    {"id": "ideas", "title": "Idea pool", "data": {"value": 5}},
    {"id": "cx", "title": "Open conversations", "data": {"value": 7}},
    {"id": "seo", "title": "SEO health", "data": {"score": 91}},
]

_IDEAS = (
    "Bundle brake pads with rotors",
    "Restock alert emails",
    "Winter tyre landing page",
    "Loyalty points for reviews",
    "Build-your-own kit configurator",
)

# reorder_point = round(avg_daily_demand * lead_time_days + safety_stock)
_INVENTORY: list[dict[str, Any]] = [
    {
        "sku": "SKU-1001",
        "avg_daily_demand": 3.2,
        "lead_time_days": 7,
        "safety_stock": 10,
        "reorder_point": 32,
    },
    {
        "sku": "SKU-1002",
        "avg_daily_demand": 1.0,
        "lead_time_days": 14,
        "safety_stock": 5,
        "reorder_point": 19,
    },
    {
        "sku": "SKU-1003",
        "avg_daily_demand": 0.6,
        "lead_time_days": 21,
        "safety_stock": 4,
        "reorder_point": 17,
    },
    {
        "sku": "SKU-1004",
        "avg_daily_demand": 12.25,
        "lead_time_days": 3,
        "safety_stock": 20,
        "reorder_point": 57,
    },
]

_WORKFLOWS: list[dict[str, Any]] = [
    {"id": 101, "name": "CI", "file": "ci.yml", "state": "active"},
    {"id": 102, "name": "E2E", "file": "e2e.yml", "state": "active"},
    {"id": 103, "name": "Deploy", "file": "deploy.yml", "state": "active"},
    {"id": 104, "name": "Legacy nightly", "file": "legacy.yml", "state": "disabled_manually"},
]

_ALERTING_RULE: dict[str, Any] = {
    "type": "alerting",
    "name": "HighErrorRate",
    "query": 'sum(rate(http_requests_total{status=~"5.."}[5m]))'
    " / sum(rate(http_requests_total[5m])) > 0.005",
    "duration": 300,
    "labels": {"severity": "page"},
    "annotations": {"summary": "Error rate above 0.5%"},
    "alerts": [],
    "health": "ok",
    "state": "inactive",
}

_RECORDING_RULE: dict[str, Any] = {
    "type": "recording",
    "name": "job:http_requests:rate5m",
    "query": "sum by (job) (rate(http_requests_total[5m]))",
    "labels": {},
    "health": "ok",
}

_ALERTMANAGER_YAML = """\
global:
  resolve_timeout: 5m
route:
  receiver: oncall
  group_by:
  - alertname
receivers:
- name: oncall
  webhook_configs:
  - send_resolved: true
    url: http://127.0.0.1:9/hook
- name: email-team
  email_configs:
  - to: team@example.com
templates: []
"""
