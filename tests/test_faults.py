"""Every fault a readiness run meets ends the same way: one failed or error item with a
one-line reason, NO-GO, a complete report, and no traceback in the terminal.

Real parts only: loopback HTTP and HTTPS servers, the real PostgreSQL, real commands.
"""

from __future__ import annotations

import datetime
import http.server
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pytest_readiness.probes.http import recording_client, tls_context
from tests.conftest import ADMIN_DSN, ReadinessProject
from tests.test_budgets import process_is_gone, read_pid


@dataclass(frozen=True)
class Fault:
    """One fault: the project's config and check, and the item it must produce."""

    config: str
    check: str
    outcome: str  # "failed", "error", or "usage error" (exit 4, no report)
    reason: str  # a regular expression the whole reason (or usage message) must match


@dataclass(frozen=True)
class Targets:
    """The real things the faults are staged against."""

    http: str
    https: str
    refused_port: int
    database_url: str
    tmp: Path  # the project folder


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server on loopback with a self-signed certificate."""
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def slow(request: Request) -> Response:
    time.sleep(3)
    return Response("late")


@pytest.fixture
def targets(
    httpserver: HTTPServer, https_server: str, closed_port: int, pytester: pytest.Pytester
) -> Targets:
    httpserver.expect_request("/health").respond_with_data("boom", status=500)
    httpserver.expect_request("/slow").respond_with_handler(slow)
    return Targets(
        http=httpserver.url_for("").rstrip("/"),
        https=https_server,
        refused_port=closed_port,
        database_url=ADMIN_DSN,
        tmp=pytester.path,
    )


def env(**settings: str | float) -> str:
    lines = "\n".join(f"{key} = {value!r}" for key, value in settings.items())
    return "[tool.readiness.envs.local]\ntimeout = 1\n" + lines.replace("'", '"') + "\n"


def dsn_with(user: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    info["user"] = user
    return f"postgresql://{user}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/postgres"


HTTP_GET = """
@pytest.mark.infra("Health: OK")
def test_fault(http):
    response = http.get("/health")
    assert response.status_code == 200, f"GET /health returned {response.status_code}"
"""

DB_QUERY = """
@pytest.mark.db("Database: reachable")
def test_fault(db):
    db.execute("select pg_sleep(5)")
"""

FAULTS: dict[str, Callable[[Targets], Fault]] = {
    "dns-does-not-resolve": lambda t: Fault(
        env(base_url="http://readiness-check.invalid"),
        HTTP_GET,
        "failed",
        r"GET http://readiness-check\.invalid/health: DNS name does not resolve",
    ),
    "connection-refused": lambda t: Fault(
        env(base_url=f"http://127.0.0.1:{t.refused_port}"),
        HTTP_GET,
        "failed",
        rf"GET http://127\.0\.0\.1:{t.refused_port}/health: connection refused",
    ),
    "tls-certificate-error": lambda t: Fault(
        env(base_url=t.https),
        HTTP_GET,
        "failed",
        r"GET https://127\.0\.0\.1:\d+/health: TLS error: .*CERTIFICATE_VERIFY_FAILED.*",
    ),
    "http-500": lambda t: Fault(
        env(base_url=t.http), HTTP_GET, "failed", r"GET /health returned 500"
    ),
    "response-slower-than-timeout": lambda t: Fault(
        env(base_url=t.http),
        HTTP_GET.replace('"/health"', '"/slow"'),
        "failed",
        r"GET http://localhost:\d+/slow: timed out",
    ),
    "database-unreachable": lambda t: Fault(
        env(database_url=f"postgresql://postgres@127.0.0.1:{t.refused_port}/postgres"),
        DB_QUERY,
        "error",
        rf"database unreachable: .*port {t.refused_port} failed: Connection refused.*",
    ),
    "database-authentication-failure": lambda t: Fault(
        env(database_url=dsn_with("readiness_no_such_role")),
        DB_QUERY,
        "error",
        r'database unreachable: .*role "readiness_no_such_role" does not exist',
    ),
    "statement-timeout": lambda t: Fault(
        env(database_url=t.database_url, statement_timeout=0.2),
        DB_QUERY,
        "failed",
        r"statement timeout: canceling statement due to statement timeout",
    ),
    "command-not-found": lambda t: Fault(
        env(),
        """
        from pytest_readiness.probes.exit_status import exit_status

        @pytest.mark.gate("Build: PASSING")
        def test_fault(run, evidence):
            evidence.expect(exit_status(run("readiness-no-such-command --build")))
        """,
        "failed",
        r"`readiness-no-such-command --build` exited 127: .*readiness-no-such-command: .*not found",
    ),
    "command-hangs": lambda t: Fault(
        env(),
        f"""
        @pytest.mark.gate("Build: PASSING", timeout=30)
        def test_fault(run):
            run("sleep 300 & echo $! > {t.tmp / "hung.pid"}; wait", timeout=1)
        """,
        "failed",
        r"`sleep 300 & echo \$! > .*hung\.pid; wait` timed out after 1 s",
    ),
    "check-raises": lambda t: Fault(
        env(),
        """
        @pytest.mark.gate("Build: PASSING")
        def test_fault():
            raise RuntimeError("the build cache is corrupt")
        """,
        "failed",
        r"RuntimeError: the build cache is corrupt",
    ),
    "fixture-fails": lambda t: Fault(
        env(),
        """
        @pytest.fixture
        def token():
            raise LookupError("no deploy token in the vault")

        @pytest.mark.gate("Build: PASSING")
        def test_fault(token): pass
        """,
        "error",
        r"LookupError: no deploy token in the vault",
    ),
    "malformed-config": lambda t: Fault(
        '[tool.readiness.envs.local]\ntimeout = "soon"\n',
        "",
        "usage error",
        rf"ERROR: {re.escape(str(t.tmp / 'pyproject.toml'))}: "
        r"tool\.readiness\.envs\.local\.timeout must be a number of seconds, got str",
    ),
    "missing-environment-variable": lambda t: Fault(
        env(base_url="${READINESS_FAULT_BASE_URL}"),
        HTTP_GET,
        "error",
        r"environment variable READINESS_FAULT_BASE_URL is not set "
        r"\(needed by envs\.local\.base_url\)",
    ),
}


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["in-process", "xdist"])
@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_fault_is_one_item_with_a_one_line_reason_and_a_complete_no_go_report(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    targets: Targets,
    name: str,
    workers: tuple[str, ...],
) -> None:
    monkeypatch.delenv("READINESS_FAULT_BASE_URL", raising=False)
    fault = FAULTS[name](targets)
    project.config(fault.config)
    project.checks(fault.check)
    project.checks('@pytest.mark.docs("All specs: Complete")\ndef test_docs(): pass\n', "test_ok")
    # Under -n the same fault meets a worker process; the report must not change.
    result = project.run_subprocess(*workers) if workers else project.run()
    terminal = "\n".join(result.outlines + result.errlines)
    assert "Traceback" not in terminal
    if fault.outcome == "usage error":
        assert result.ret == 4
        assert any(re.fullmatch(fault.reason, line) for line in result.errlines), result.errlines
        return
    assert result.ret == 1
    report = project.report()
    assert (report["verdict"], report["complete"]) == ("NO-GO", True)
    bad = [item for item in report["items"] if item["outcome"] != "passed"]
    assert len(bad) == 1, bad
    assert bad[0]["outcome"] == fault.outcome
    assert "\n" not in bad[0]["reason"]
    assert re.fullmatch(fault.reason, bad[0]["reason"]), bad[0]["reason"]
    for suffix in ("html", "json", "md"):
        assert (pytester.path / "reports" / f"readiness-local.{suffix}").is_file()
    if name == "command-hangs":
        assert process_is_gone(read_pid(targets.tmp / "hung.pid"))


def test_clients_share_one_tls_context_per_setting_and_each_setting_still_holds(
    https_server: str,
) -> None:
    """B2: each item's client loaded the CA store again (20 ms of CPU); sharing one context
    must not blur `verify=False` into `verify=True` or back."""
    rows: list[object] = []
    strict = recording_client(rows.append, https_server, timeout=5)
    lax = recording_client(rows.append, https_server, timeout=5, verify=False)
    with strict, lax:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            strict.get("/")
        assert lax.get("/").status_code == 200
    assert tls_context(True) is tls_context(True)
    assert tls_context(True) is not tls_context(False)
    assert len(rows) == 2
