"""The public fixtures against real parts: PostgreSQL, loopback HTTP, real subprocesses."""

from __future__ import annotations

import os
import time

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CountingListener, ReadinessProject


def env_config(**values: str) -> str:
    lines = ["[tool.readiness.envs.local]"]
    lines += [f'{key} = "{value}"' for key, value in values.items()]
    return "\n".join(lines) + "\n"


# -- db ---------------------------------------------------------------------------------------


def test_db_is_read_only_so_an_insert_fails(project: ReadinessProject, throwaway_db: str) -> None:
    project.config(env_config(database_url=throwaway_db))
    project.checks(
        """
        @pytest.mark.db("Data integrity: Verified")
        def test_write(db):
            db.execute("CREATE TABLE IF NOT EXISTS t (x int)")

        @pytest.mark.db("RLS tests: All passing")
        def test_read(db):
            assert db.execute("SELECT 41 + 1").fetchone() == (42,)
        """
    )
    project.run()
    items = project.items()
    assert items["Data integrity: Verified"]["outcome"] == "failed"
    assert "read-only transaction" in items["Data integrity: Verified"]["reason"]
    assert items["RLS tests: All passing"]["outcome"] == "passed"


def test_db_rolls_back_after_every_item(project: ReadinessProject, throwaway_db: str) -> None:
    project.config(env_config(database_url=throwaway_db))
    project.checks(
        """
        from psycopg.pq import TransactionStatus

        @pytest.mark.db("Data integrity: Verified")
        def test_first(db):
            db.execute("SELECT set_config('readiness.marker', 'first', true)")
            assert db.info.transaction_status == TransactionStatus.INTRANS

        @pytest.mark.db("RLS tests: All passing")
        def test_second(db):
            assert db.info.transaction_status == TransactionStatus.IDLE
            value = db.execute("SELECT current_setting('readiness.marker', true)").fetchone()
            assert value in ((None,), ("",))
            assert db.execute("SHOW transaction_read_only").fetchone() == ("on",)
        """
    )
    result = project.run()
    assert result.ret == 0, result.stdout.str()


def test_db_statement_timeout_fails_the_item_with_a_clear_reason(
    project: ReadinessProject, throwaway_db: str
) -> None:
    project.config(env_config(database_url=throwaway_db) + "statement_timeout = 0.2\n")
    project.checks(
        """
        @pytest.mark.db("Data integrity: Verified")
        def test_slow(db):
            db.execute("SELECT pg_sleep(5)")
        """
    )
    project.run()
    reason = project.items()["Data integrity: Verified"]["reason"]
    assert reason.startswith("statement timeout:")
    assert "statement timeout" in reason


def test_an_unreachable_database_is_tried_once_and_every_db_item_fails_with_that_reason(
    project: ReadinessProject, hang_up_server: CountingListener
) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{hang_up_server.port}/x?sslmode=disable"
    project.config(env_config(database_url=dsn))
    project.checks(
        "".join(f'@pytest.mark.db("Item {n}")\ndef test_db_{n}(db): pass\n\n' for n in range(10))
    )
    started = time.monotonic()
    result = project.run()
    elapsed = time.monotonic() - started
    assert result.ret == 1
    reasons = {item["reason"] for item in project.report()["items"]}
    assert len(reasons) == 1
    (reason,) = reasons
    assert reason.startswith("database unreachable:")
    assert {item["outcome"] for item in project.report()["items"]} == {"error"}
    assert hang_up_server.accepted == 1
    print(f"10 db items against a hanging-up server: {elapsed:.2f} s")


def test_a_missing_database_variable_errors_naming_the_variable_never_a_value(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("READINESS_TEST_ABSENT_DB", raising=False)
    project.config(env_config(database_url="${READINESS_TEST_ABSENT_DB}"))
    project.checks(
        """
        @pytest.mark.db("RLS tests: All passing")
        def test_rls(db): pass

        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass
        """
    )
    result = project.run()
    assert result.ret == 1
    item = project.items()["RLS tests: All passing"]
    assert item["outcome"] == "error"
    assert item["reason"] == (
        "environment variable READINESS_TEST_ABSENT_DB is not set "
        "(needed by envs.local.database_url)"
    )
    assert project.items()["Build: PASSING"]["outcome"] == "passed"


# -- run --------------------------------------------------------------------------------------


def test_run_executes_in_the_workspace_and_records_evidence(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    workspace = pytester.mkdir("app")
    project.config(env_config(workspace="app"))
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(run):
            result = run("pwd; echo built >&2; exit 3")
            assert result.returncode == 3
            assert isinstance(result.duration_s, float)
            assert "built" in result.output
            print(result.output)
            assert result.output.splitlines()[0].endswith("/app")
        """
    )
    result = project.run()
    assert result.ret == 0, result.stdout.str()
    (entry,) = project.items()["Build: PASSING"]["evidence"]
    assert entry["kind"] == "command"
    assert entry["data"]["returncode"] == 3
    assert entry["data"]["command"] == "pwd; echo built >&2; exit 3"
    assert str(workspace) in entry["detail"]


def test_run_kills_the_whole_process_group_on_timeout(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    pidfile = pytester.path / "grandchild.pid"
    project.checks(
        f"""
        @pytest.mark.gate("Build: PASSING")
        def test_build(run):
            run("sh -c 'sleep 300 & echo $! > {pidfile}; wait'", timeout=1)
        """
    )
    project.run()
    item = project.items()["Build: PASSING"]
    assert item["outcome"] == "failed"
    assert item["reason"].endswith("timed out after 1 s")
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
    assert item["evidence"][0]["data"]["timed_out"] is True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_missing_command_fails_with_a_one_line_reason(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(run):
            result = run(["no-such-build-tool", "--version"])
            assert result.returncode == 0, result.output
        """
    )
    project.run()
    assert project.items()["Build: PASSING"]["reason"] == "command not found: no-such-build-tool"


# -- http -------------------------------------------------------------------------------------


def test_http_records_every_request_as_evidence(
    project: ReadinessProject, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/health").respond_with_data("ok")
    httpserver.expect_request("/api/health").respond_with_data("down", status=503)
    project.config(env_config(base_url=httpserver.url_for("/").rstrip("/")))
    project.checks(
        """
        @pytest.mark.infra("Health endpoints: All returning 200")
        def test_health(http):
            statuses = [http.get(p).status_code for p in ("/health", "/api/health")]
            assert statuses == [200, 200], f"/api/health answered {statuses[1]}"
        """
    )
    project.run()
    item = project.items()["Health endpoints: All returning 200"]
    assert item["reason"] == "/api/health answered 503"
    rows = [e["data"] for e in item["evidence"]]
    base = httpserver.url_for("/").rstrip("/")
    assert [(r["method"], r["url"], r["status"]) for r in rows] == [
        ("GET", f"{base}/health", 200),
        ("GET", f"{base}/api/health", 503),
    ]
    assert all(isinstance(r["elapsed_ms"], int | float) for r in rows)  # recorded, not timed


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:{port}", "GET http://127.0.0.1:{port}/health: connection refused"),
        ("http://readiness-test.invalid", "GET http://readiness-test.invalid/health: DNS name"),
    ],
    ids=["refused", "dns"],
)
def test_http_network_errors_become_one_line_reasons(
    project: ReadinessProject, closed_port: int, base_url: str, expected: str
) -> None:
    project.config(env_config(base_url=base_url.format(port=closed_port)))
    project.checks(
        """
        @pytest.mark.infra("Health endpoints: All returning 200")
        def test_health(http):
            http.get("/health")
        """
    )
    result = project.run()
    item = project.items()["Health endpoints: All returning 200"]
    assert item["reason"].startswith(expected.format(port=closed_port))
    assert "\n" not in item["reason"]
    assert "Traceback" not in result.stdout.str()
    assert item["evidence"][0]["data"]["status"] is None


def test_http_timeout_becomes_a_one_line_reason(
    project: ReadinessProject, httpserver: HTTPServer
) -> None:
    def slow(request: object) -> object:
        time.sleep(1.5)
        from werkzeug import Response

        return Response("late")

    httpserver.expect_request("/health").respond_with_handler(slow)
    project.config(env_config(base_url=httpserver.url_for("/").rstrip("/")) + "timeout = 0.5\n")
    project.checks(
        """
        @pytest.mark.infra("Health endpoints: All returning 200", timeout=10)
        def test_health(http):
            http.get("/health")
        """
    )
    project.run()
    reason = project.items()["Health endpoints: All returning 200"]["reason"]
    assert reason.endswith("/health: timed out")


def test_readiness_env_exposes_the_resolved_environment(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_TEST_REPO", "owner/app")
    project.config(
        """
        [tool.readiness.envs.staging]
        base_url = "https://staging.example.test"
        timeout = 12
        [tool.readiness.envs.staging.vars]
        github_repo = "${READINESS_TEST_REPO}"
        branch = "${READINESS_TEST_BRANCH:-main}"
        [tool.readiness.envs.staging.thresholds]
        a11y_serious_max = 4
        """
    )
    project.checks(
        """
        @pytest.mark.infra("GitHub Actions: All workflows green")
        def test_env(readiness_env):
            assert readiness_env.name == "staging"
            assert readiness_env.base_url == "https://staging.example.test"
            assert readiness_env.timeout == 12
            assert readiness_env.vars["github_repo"] == "owner/app"
            assert readiness_env.vars["branch"] == "main"
            assert readiness_env.thresholds["a11y_serious_max"] == 4
        """
    )
    assert project.run("--env", "staging").ret == 0


def test_a_command_that_times_out_fails_naming_it_and_what_it_said_last(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(run):
            run("echo 'Error: waiting for the database'; sleep 30", timeout=1)
        """
    )
    project.run()
    assert project.items()["Build: PASSING"]["reason"] == (
        "`echo 'Error: waiting for the database'; sleep 30` timed out after 1 s: "
        "Error: waiting for the database"
    )


WARM_UP_SEEN = """
import sys

import pytest

SEEN = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    SEEN.append("pytest_readiness.probes.http" in sys.modules and "h11" in sys.modules)


def pytest_unconfigure(config):
    print(f"http probe imported before the first item: {SEEN[:1]}")
"""


def test_what_an_http_item_needs_is_imported_before_the_first_item_starts(
    project: ReadinessProject,
) -> None:
    """Under -n, a phase starts when its workers are ready, not while its items import."""
    project.config("""
        [tool.readiness.envs.local]
        base_url = "http://127.0.0.1:9"
    """)
    project.checks(
        '@pytest.mark.infra("Health endpoints: All returning 200")\n'
        "def test_health(http):\n"
        "    pass\n"
    )
    project.pytester.makeconftest(WARM_UP_SEEN)
    result = project.run_subprocess()
    result.stdout.fnmatch_lines(["http probe imported before the first item: [[]True[]]"])
