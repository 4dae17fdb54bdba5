"""A real Prometheus and Alertmanager on free loopback ports, with throwaway data folders.

The Debian packages (`prometheus`, `prometheus-alertmanager`) are run as child processes,
never as the system services on 9090/9093. Scrape and rule evaluation run every second so
tests see their traffic within a few scrapes; every wait polls (`/-/ready`, a query) with a
deadline instead of sleeping a fixed time:

    with MonitoringStack.start(folder, receivers=...) as stack:
        stack.scrape({"app": "http://127.0.0.1:40123"})
        stack.prometheus_url, stack.alertmanager_url
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

PROMETHEUS = "prometheus"
ALERTMANAGER = "prometheus-alertmanager"
_PACKAGES = {PROMETHEUS: "prometheus", ALERTMANAGER: "prometheus-alertmanager"}
INTERVAL = "1s"
READY_TIMEOUT_S = 60.0
_POLL_S = 0.1

# The alerting rule the reference app ships: the runbook's "target <0.5%".
APP_RULES: dict[str, Any] = {
    "groups": [
        {
            "name": "app",
            "rules": [
                {
                    "alert": "HighErrorRate",
                    "expr": 'sum(rate(http_requests_total{status=~"5.."}[5m]))'
                    " / sum(rate(http_requests_total[5m])) > 0.005",
                    "for": "5m",
                    "labels": {"severity": "page"},
                    "annotations": {"summary": "Error rate above 0.5%"},
                },
                {
                    "record": "job:http_requests:rate5m",
                    "expr": "sum by (job) (rate(http_requests_total[5m]))",
                },
            ],
        }
    ]
}


class StackError(RuntimeError):
    """Prometheus or Alertmanager did not start, or did not take a new configuration."""


# Name or path of each binary; `READINESS_PROMETHEUS=/nonexistent` acts as "not installed".
BINARY_VARIABLES = {PROMETHEUS: "READINESS_PROMETHEUS", ALERTMANAGER: "READINESS_ALERTMANAGER"}


def binaries() -> dict[str, str | None]:
    """Where each server binary is (None: not installed): PATH, or the variable naming it."""
    return {
        name: shutil.which(os.environ.get(variable) or name)
        for name, variable in BINARY_VARIABLES.items()
    }


def installed() -> bool:
    return all(binaries().values())


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One running server process, its URL and its throwaway folder."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    log: Path

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Poll `/-/ready` until it answers 200; a process that exits is an error with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(f"{self.name} exited {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(_POLL_S)
        raise StackError(f"{self.name} not ready at {self.url} after {timeout:g} s: {self.tail()}")

    def reload(self) -> None:
        """Make the server re-read its configuration (`POST /-/reload`)."""
        response = httpx.post(f"{self.url}/-/reload", timeout=30)
        if response.status_code != 200:
            raise StackError(f"{self.name} refused its new config: {response.text.strip()}")

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate, then kill if it lingers; remove the data folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _launch(name: str, folder: Path, args: Sequence[str], port: int) -> Server:
    executable = binaries()[name]
    if executable is None:
        raise StackError(f"{name} is not installed (apt-get install {_PACKAGES[name]})")
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return Server(name, f"http://127.0.0.1:{port}", process, folder, log)


def _die_with_parent() -> None:
    """In the child, before exec: a killed test run (SIGKILL) takes its servers with it."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


@dataclass
class MonitoringStack:
    """A running Prometheus (scraping itself, Alertmanager and added jobs) and Alertmanager."""

    folder: Path
    prometheus: Server
    alertmanager: Server
    alertmanager_config: dict[str, Any]
    rules: dict[str, Any]
    jobs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def prometheus_url(self) -> str:
        return self.prometheus.url

    @property
    def alertmanager_url(self) -> str:
        return self.alertmanager.url

    @classmethod
    def start(
        cls,
        folder: Path,
        alertmanager_config: Mapping[str, Any],
        rules: Mapping[str, Any] | None = None,
        jobs: Mapping[str, Sequence[str]] | None = None,
    ) -> MonitoringStack:
        """Start both servers and wait until each is ready; on failure stop what started."""
        folder.mkdir(parents=True, exist_ok=True)
        am_port, prom_port = free_port(), free_port()
        (folder / "alertmanager.yml").write_text(json.dumps(alertmanager_config))
        alertmanager = _launch(
            ALERTMANAGER,
            folder / "alertmanager",
            [
                f"--config.file={folder / 'alertmanager.yml'}",
                f"--storage.path={folder / 'alertmanager' / 'data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            am_port,
        )
        rules = dict(rules or APP_RULES)
        jobs_now = {name: list(targets) for name, targets in (jobs or {}).items()}
        am, prom = f"127.0.0.1:{am_port}", f"127.0.0.1:{prom_port}"
        _write_prometheus_config(folder, prom, am, jobs_now, rules)
        prometheus = _launch(
            PROMETHEUS,
            folder / "prometheus",
            [
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'prometheus' / 'data'}",
                f"--web.listen-address={prom}",
                "--web.enable-lifecycle",
            ],
            prom_port,
        )
        stack = cls(folder, prometheus, alertmanager, dict(alertmanager_config), rules, jobs_now)
        try:
            stack.alertmanager.wait_ready()
            stack.prometheus.wait_ready()
        except BaseException:
            stack.stop()
            raise
        return stack

    def _write_prometheus_config(self) -> None:
        _write_prometheus_config(
            self.folder,
            self.prometheus.url.removeprefix("http://"),
            self.alertmanager.url.removeprefix("http://"),
            self.jobs,
            self.rules,
        )

    def scrape(self, targets: Mapping[str, str]) -> None:
        """Add scrape jobs (name -> base URL of a `/metrics`) and wait until each was scraped.

        One reload for all: Prometheus hands new targets to its scrapers about 5 s later.
        """
        for job, base_url in targets.items():
            self.jobs[job] = [base_url.removeprefix("http://").rstrip("/")]
        self._write_prometheus_config()
        self.prometheus.reload()
        for job in targets:
            self.wait_for(f'up{{job="{job}"}}', lambda value: value == 1)

    def forget(self, jobs: Sequence[str]) -> None:
        """Stop scraping jobs added with `scrape`."""
        if [self.jobs.pop(job) for job in jobs if job in self.jobs]:
            self._write_prometheus_config()
            self.prometheus.reload()

    @contextmanager
    def rules_loaded(self, rules: Mapping[str, Any]) -> Iterator[None]:
        """Load other rules for the block, then the previous ones again."""
        before = self.rules
        self.rules = dict(rules)
        self._write_prometheus_config()
        self.prometheus.reload()
        try:
            yield
        finally:
            self.rules = before
            self._write_prometheus_config()
            self.prometheus.reload()

    @contextmanager
    def alertmanager_config_loaded(self, config: Mapping[str, Any]) -> Iterator[None]:
        """Load another Alertmanager configuration for the block, then the previous one."""
        before = self.alertmanager_config
        path = self.folder / "alertmanager.yml"
        path.write_text(json.dumps(config))
        self.alertmanager.reload()
        try:
            yield
        finally:
            path.write_text(json.dumps(before))
            self.alertmanager.reload()

    def wait_rules_evaluated(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Poll `/api/v1/rules` until the loaded rules are all evaluated after the last load."""
        wanted = sum(len(group["rules"]) for group in self.rules["groups"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            payload = httpx.get(f"{self.prometheus.url}/api/v1/rules", timeout=10).json()
            rules = [rule for group in payload["data"]["groups"] for rule in group["rules"]]
            evaluated = [rule for rule in rules if not rule["lastEvaluation"].startswith("0001")]
            if len(rules) == wanted and len(evaluated) == wanted:
                return
            time.sleep(_POLL_S)
        raise StackError(f"Prometheus did not evaluate its {wanted} rule(s) in {timeout:g} s")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """The instant vector a query returns now."""
        response = httpx.get(
            f"{self.prometheus.url}/api/v1/query", params={"query": promql}, timeout=10
        )
        payload = response.json()
        if payload.get("status") != "success":
            raise StackError(f"query {promql!r} failed: {payload.get('error')}")
        result = payload["data"]["result"]
        return list(result) if isinstance(result, list) else []

    def wait_for(
        self, promql: str, ready: Callable[[float], bool], timeout: float = READY_TIMEOUT_S
    ) -> float:
        """Poll a one-series query until `ready(value)`; the value it settled on."""
        deadline = time.monotonic() + timeout
        seen: Any = None
        while time.monotonic() < deadline:
            result = self.query(promql)
            if len(result) == 1:
                seen = float(result[0]["value"][1])
                if ready(seen):
                    return seen
            time.sleep(_POLL_S)
        raise StackError(f"{promql!r} did not settle within {timeout:g} s (last value {seen})")

    def stop(self) -> None:
        """Stop both servers and remove the folder."""
        self.prometheus.stop()
        self.alertmanager.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> MonitoringStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_prometheus_config(
    folder: Path, prom: str, am: str, jobs: Mapping[str, list[str]], rules: Mapping[str, Any]
) -> None:
    """prometheus.yml (JSON is YAML) scraping itself, Alertmanager and `jobs`, and rules.yml."""
    scraped = {"prometheus": [prom], "alertmanager": [am], **jobs}
    config = {
        "global": {"scrape_interval": INTERVAL, "evaluation_interval": INTERVAL},
        "rule_files": [str(folder / "rules.yml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am]}]}]},
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": targets}]}
            for name, targets in scraped.items()
        ],
    }
    (folder / "rules.yml").write_text(json.dumps(rules))
    (folder / "prometheus.yml").write_text(json.dumps(config))


def webhook_receiver(name: str, url: str) -> dict[str, Any]:
    """An Alertmanager receiver that posts to one webhook URL."""
    return {"name": name, "webhook_configs": [{"url": url, "send_resolved": False}]}


def alertmanager_config(
    receivers: Sequence[Mapping[str, Any]], routes: Sequence[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """Route everything to the first receiver (after `routes`), grouping per alert, fast."""
    timing = {"group_wait": INTERVAL, "group_interval": INTERVAL, "repeat_interval": "1h"}
    return {
        "route": {
            "receiver": receivers[0]["name"],
            "group_by": ["..."],
            **timing,
            "routes": [dict(route) for route in routes],
        },
        "receivers": [dict(receiver) for receiver in receivers],
    }


@dataclass
class WebhookReceiver:
    """A loopback webhook endpoint that records what Alertmanager posts and answers `status`;
    `GET` of its URL lists what it received (a receiver's log, as JSON)."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def labels_seen(self) -> list[dict[str, str]]:
        """The labels of every alert posted so far."""
        return [alert.get("labels", {}) for body in self.received for alert in body["alerts"]]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                body = json.dumps(receiver.received).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
