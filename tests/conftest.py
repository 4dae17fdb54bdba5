"""Shared fixtures: throwaway PostgreSQL databases, loopback servers, and a readiness project."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401  (see below)
import httpx  # noqa: F401  (see below)
import psycopg
import pytest

from reference.target import monitoring_stack
from reference.target.monitoring_stack import MonitoringStack, WebhookReceiver

# pytester's in-process runs forget modules first imported during a run. httpx maps httpcore's
# exceptions to its own through a table it fills on first use; importing httpcore here keeps
# those classes the same across nested runs. httpx itself too: a probe imported afresh by a
# later nested run would otherwise catch a new `httpx.TimeoutException` while the client the
# kept fixtures module made raises the old one, and the timeout escaped the probe.

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Plugins of the machine's Python that only slow a nested run down (absent ones are ignored).
QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def throwaway_db() -> Iterator[str]:
    """A new, empty database on the real server; dropped afterwards."""
    name = f"readiness_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = psycopg.conninfo.make_conninfo(ADMIN_DSN, dbname=name)
    try:
        yield dsn
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class CountingListener:
    """A TCP server that accepts and immediately closes, counting connection attempts."""

    port: int
    accepted: int = 0


@pytest.fixture
def hang_up_server() -> Iterator[CountingListener]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    listener = CountingListener(port=server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            listener.accepted += 1
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener
    stop.set()
    thread.join()
    server.close()


@dataclass
class ReadinessProject:
    """A throwaway project for pytester: config, checks, and its reports read back."""

    pytester: pytest.Pytester
    stage: str = "pre"  # of the last run: `--stage=post` writes readiness-<env>-post.*

    def config(self, toml: str) -> None:
        self.pytester.makepyprojecttoml(textwrap.dedent(toml))

    def checks(self, source: str, name: str = "test_checks") -> Path:
        folder = self.pytester.path / "checks"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.py"
        path.write_text("import pytest\n" + textwrap.dedent(source))
        return path

    def run(self, *args: str) -> pytest.RunResult:
        self.stage = _stage_of(args)
        return self.pytester.runpytest("--readiness", *QUIET_PLUGINS, *args)

    def run_subprocess(self, *args: str, timeout: float = 120) -> pytest.RunResult:
        self.stage = _stage_of(args)
        return self.pytester.runpytest_subprocess(
            "--readiness", *QUIET_PLUGINS, *args, timeout=timeout
        )

    def report(
        self, env: str = "local", folder: str = "reports", stage: str | None = None
    ) -> dict[str, Any]:
        return dict(json.loads(self.text(env, "json", folder, stage)))

    def items(self, env: str = "local") -> dict[str, dict[str, Any]]:
        return {item["title"]: item for item in self.report(env)["items"]}

    def text(
        self,
        env: str = "local",
        suffix: str = "html",
        folder: str = "reports",
        stage: str | None = None,
    ) -> str:
        name = env if (stage or self.stage) == "pre" else f"{env}-post"
        return (self.pytester.path / folder / f"readiness-{name}.{suffix}").read_text()


def _stage_of(args: tuple[str, ...]) -> str:
    return "post" if "--stage=post" in args else "pre"


@pytest.fixture
def project(pytester: pytest.Pytester) -> ReadinessProject:
    return ReadinessProject(pytester)


REPO = Path(__file__).resolve().parent.parent


def run_repo_checklist(
    reports: Path, *args: str, faults: str = "", stand_ins: bool = False
) -> tuple[int, dict[str, Any], str]:
    """`pytest --readiness` on this repository (env `local`), as a user runs it: exit status,
    the JSON report (empty if none was written) and the terminal output.

    `stand_ins` uses the monitoring stand-ins even where Prometheus is installed: a run that
    is not about monitoring need not wait for the real one's first scrape (about 5 s).
    """
    env = {**os.environ, "READINESS_LOCAL_FAULTS": faults}
    if stand_ins:
        env["READINESS_PROMETHEUS"] = "/nonexistent/prometheus"
    pytest_readiness = [sys.executable, "-m", "pytest", "--readiness"]
    done = subprocess.run(
        [*pytest_readiness, f"--readiness-report={reports}", *QUIET_PLUGINS, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report_file = reports / f"readiness-local{'-post' if '--stage=post' in args else ''}.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return done.returncode, report, done.stdout + done.stderr


def chromium_dump_dom(url: str, profile: Path) -> str:
    """The DOM of `url` after scripts ran, as real headless Chromium sees it."""
    assert CHROMIUM, "chromium is not installed (apt-get install chromium)"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@dataclass
class RealMonitoring:
    """The session's Prometheus and Alertmanager, and the webhooks Alertmanager delivers to.

    Alerts route to `oncall` (a webhook answering 200) unless labelled `sink="broken"`: those
    go to a Slack integration whose API answers 500. Alertmanager counts attempts per
    integration, so the failing one is of another kind than the healthy one.
    """

    stack: MonitoringStack
    oncall: WebhookReceiver
    broken: WebhookReceiver


def require_monitoring_binaries() -> None:
    """Skip (outside CI) or fail (CI=true) when the Debian packages are not installed."""
    missing = [name for name, path in monitoring_stack.binaries().items() if path is None]
    if not missing:
        return
    why = f"{', '.join(missing)} not installed (apt-get install prometheus prometheus-alertmanager)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {why}: the real monitoring tests must run in CI")
    pytest.skip(why)


@pytest.fixture(scope="session")
def real_monitoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMonitoring]:
    """One real Prometheus and Alertmanager for the whole session, stopped at its end."""
    require_monitoring_binaries()
    oncall, broken = WebhookReceiver().start(), WebhookReceiver(status=500).start()
    config = monitoring_stack.alertmanager_config(
        [
            monitoring_stack.webhook_receiver("oncall", oncall.url),
            {
                "name": "broken",
                "slack_configs": [
                    {"api_url": broken.url, "channel": "#alerts", "send_resolved": False}
                ],
            },
        ],
        [{"receiver": "broken", "matchers": ['sink="broken"']}],
    )
    folder = tmp_path_factory.mktemp("monitoring")
    try:
        with MonitoringStack.start(folder / "stack", config) as stack:
            yield RealMonitoring(stack, oncall, broken)
    finally:
        oncall.stop()
        broken.stop()


@pytest.fixture
def login_role(throwaway_db: str) -> Iterator[Callable[[str], str]]:
    """Make a throwaway LOGIN role on `throwaway_db` given extra grants; returns its DSN.

    The role can connect and read every table in `public`; `grants` adds more (or less).
    """
    made: list[str] = []

    def make(grants: str = "") -> str:
        name = f"readiness_role_{uuid.uuid4().hex[:10]}"
        database = psycopg.conninfo.conninfo_to_dict(throwaway_db)["dbname"]
        with psycopg.connect(throwaway_db, autocommit=True) as admin:
            admin.execute(f'CREATE ROLE "{name}" LOGIN')
            admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"')
            admin.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
            admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{name}"')
            if grants:
                admin.execute(grants.replace("{role}", f'"{name}"').encode())
        made.append(name)
        return psycopg.conninfo.make_conninfo(throwaway_db, user=name)

    yield make
    with psycopg.connect(throwaway_db, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP OWNED BY "{name}"')
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')
