"""The local reference target: its commands really run, and each fault flips exactly its item."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes import (
    a11y,
    backups,
    combined,
    docs,
    formatting,
    identities,
    integrity,
    junit,
    lint,
    migrations,
    pgtap,
    rls,
    secrets,
)
from pytest_readiness.probes.command import run_command
from reference.target import database, settings, supabase_api, workspace

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
INTEGRITY_SQL = Path(__file__).resolve().parents[1] / "checks" / "sql" / "integrity"
# Commands say `python`: make that the interpreter running these tests.
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(ws: Path, key: str) -> subprocess.CompletedProcess[str]:
    command = str(settings.VARS[key])
    return subprocess.run(
        command, shell=True, cwd=ws, env=ENV, capture_output=True, text=True, timeout=300
    )


def suite(kind: str) -> Callable[[Path], ProbeResult]:
    def probe(ws: Path) -> ProbeResult:
        started = time.time()
        done = run(ws, f"{kind}_test_command")
        report = ws / "reports" / "junit" / f"{kind}.xml"
        return junit.from_test_run(kind, done.returncode, report, started)

    return probe


def build(ws: Path) -> ProbeResult:
    done = run(ws, "build_command")
    return ProbeResult(done.returncode == 0, f"build exited {done.returncode}: {done.stderr}")


def format_check(ws: Path) -> ProbeResult:
    done = run(ws, "format_command")
    return formatting.from_format_check(done.returncode, done.stdout + done.stderr)


def lint_check(ws: Path) -> ProbeResult:
    done = run(ws, "lint_command")
    report = (ws / str(settings.VARS["lint_report"])).read_text()
    tool = str(settings.VARS["lint_tool"])
    return lint.from_lint_json(report, tool, log=done.stdout + done.stderr)


def runbooks(ws: Path) -> ProbeResult:
    return docs.check_runbooks(ws / "docs/runbooks", 90, root=ws)


WORKSPACE_ITEMS: dict[str, Callable[[Path], ProbeResult]] = {
    "Build: PASSING": build,
    "Unit tests: 100% passing": suite("unit"),
    "Integration tests: 100% passing": suite("integration"),
    "E2E tests: 100% passing": suite("e2e"),
    "Accessibility: <5 serious violations": lambda ws: a11y.from_axe_json(
        run(ws, "a11y_command").stdout, 4
    ),
    "Lint: 0 errors, 0 warnings": lint_check,
    "Format: All files formatted": format_check,
    "Security: 0 secrets detected": lambda ws: secrets.scan_tracked_files(ws),
    "All runbooks: Updated": runbooks,
    "All specs: Complete": lambda ws: docs.check_documents(
        ws / "docs/specs", ["Overview", "Acceptance Criteria"], "spec", ws
    ),
    "Rollback procedures: Documented": lambda ws: docs.check_rollback(ws / "docs", ws),
    "Monitoring guides: Complete": lambda ws: docs.check_documents(
        ws / "docs/monitoring", ["Dashboards", "Alerts"], "monitoring guide", ws
    ),
    "Troubleshooting guides: Ready": lambda ws: docs.check_documents(
        ws / "docs/troubleshooting", ["Symptoms", "Resolution"], "troubleshooting guide", ws
    ),
}

# fault -> (the item it breaks, a word its reason must contain)
WORKSPACE_FAULTS = {
    "build-broken": ("Build: PASSING", "build exited 1"),
    "failing-unit-test": ("Unit tests: 100% passing", "test_rounding"),
    "failing-integration-test": ("Integration tests: 100% passing", "test_rounding"),
    "failing-e2e-test": ("E2E tests: 100% passing", "test_rounding"),
    "a11y-serious": ("Accessibility: <5 serious violations", "image-alt x5"),
    "lint-warning": ("Lint: 0 errors, 0 warnings", "unused.py:3 F401"),
    "unformatted-file": ("Format: All files formatted", "src/shopfront/shipping.py"),
    "committed-secret": ("Security: 0 secrets detected", "deploy/id_rsa:1 (Private Key)"),
    "stale-runbook": ("All runbooks: Updated", "docs/runbooks/deploy.md (200 days old)"),
    "runbook-placeholder": ("All runbooks: Updated", "docs/runbooks/deploy.md:4"),
    "incomplete-spec": ("All specs: Complete", "orders.md lacks 'Acceptance Criteria'"),
    "missing-rollback-doc": ("Rollback procedures: Documented", "no rollback section"),
    "incomplete-monitoring-guide": ("Monitoring guides: Complete", "lacks 'Alerts'"),
    "missing-troubleshooting-guide": ("Troubleshooting guides: Ready", "no troubleshooting"),
}


def results(ws: Path) -> dict[str, ProbeResult]:
    return {title: probe(ws) for title, probe in WORKSPACE_ITEMS.items()}


@pytest.fixture(scope="module")
def good_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace.build(tmp_path_factory.mktemp("good") / "ws")


def test_the_workspace_is_a_clean_git_work_tree_with_one_commit(good_workspace: Path) -> None:
    log = subprocess.run(
        ["git", "log", "--format=%an %s"], cwd=good_workspace, capture_output=True, text=True
    )
    assert log.stdout.splitlines() == ["Readiness Reference Reference app"]
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=good_workspace, capture_output=True, text=True
    )
    assert status.stdout == ""


def test_every_item_of_the_healthy_workspace_passes(good_workspace: Path) -> None:
    failed = {t: r.reason for t, r in results(good_workspace).items() if not r.ok}
    assert failed == {}


def test_the_test_commands_really_ran_tests(good_workspace: Path) -> None:
    assert run(good_workspace, "unit_test_command").returncode == 0
    totals = junit.read_totals((good_workspace / "reports/junit/unit.xml").read_text())
    assert totals.tests == 3
    assert not totals.failed


def test_the_fault_list_is_what_the_builder_handles() -> None:
    assert set(WORKSPACE_FAULTS) == workspace.FAULTS


@pytest.mark.parametrize("fault", sorted(WORKSPACE_FAULTS))
def test_each_workspace_fault_flips_exactly_its_item(fault: str, tmp_path: Path) -> None:
    item, culprit = WORKSPACE_FAULTS[fault]
    ws = workspace.build(tmp_path / "ws", frozenset({fault}))
    failed = {t: r.reason for t, r in results(ws).items() if not r.ok}
    assert list(failed) == [item]
    assert culprit in failed[item]


# --- the database --------------------------------------------------------------------------


def db_results(dsn: str, ws: Path) -> dict[str, ProbeResult]:
    folder = ws / "supabase" / "migrations"
    with psycopg.connect(dsn) as conn:
        conn.execute("set transaction read only")
        out = {
            "Staging migrations: Applied successfully": migrations.check_applied(conn, folder),
            "RLS tests: All passing": combined.all_of(
                rls.check_rls(conn, ["public"]),
                identities.check_identities(dsn, [identities.Identity("anon", "anon")], ["public"]),
            ),
            "Data integrity: Verified": integrity.check_integrity(
                conn, integrity.assertion_files(INTEGRITY_SQL)
            ),
        }
    with psycopg.connect(dsn) as writable:
        out["Migration dry-run: Completed on staging"] = migrations.dry_run(writable, folder)
    return out


DB_FAULTS = {
    "unapplied-migration": (
        "Staging migrations: Applied successfully",
        "20250201000000_approvals.sql",
    ),
    "table-without-rls": ("RLS tests: All passing", "RLS disabled: public.orders"),
    "anon-can-read": (
        "RLS tests: All passing",
        "rows readable by an anonymous identity: public.shops@anon",
    ),
    "invalid-constraint": ("Data integrity: Verified", "orders_total_capped"),
    "anon-definer-function": (
        "RLS tests: All passing",
        "SECURITY DEFINER function executable by anon: public.shop_domains()",
    ),
}
DB_WARNING_FAULTS = {
    "mutable-search-path": ("RLS tests: All passing", "mutable search_path: public.order_total"),
    "unindexed-foreign-key": (
        "Data integrity: Verified",
        "unindexed foreign key: public.approvals.approvals_shop_id_fkey",
    ),
}


@pytest.fixture
def target_db(good_workspace: Path) -> Iterator[Callable[[frozenset[str]], str]]:
    made: list[str] = []

    def create(faults: frozenset[str]) -> str:
        made.append(database.create(ADMIN_DSN, good_workspace, faults))
        return made[-1]

    yield create
    for dsn in made:
        database.drop(ADMIN_DSN, dsn)


def test_the_healthy_database_passes_every_item(target_db, good_workspace: Path) -> None:
    checked = db_results(target_db(frozenset()), good_workspace)
    assert {t: r.reason for t, r in checked.items() if not r.ok} == {}


def test_the_database_fault_list_is_what_the_builder_handles() -> None:
    assert set(DB_FAULTS) | set(DB_WARNING_FAULTS) | {PGTAP_FAULT} == database.FAULTS
    assert set(DB_WARNING_FAULTS) == database.WARNING_FAULTS


@pytest.mark.parametrize("fault", sorted(DB_FAULTS))
def test_each_database_fault_flips_exactly_its_item(
    fault: str, target_db, good_workspace: Path
) -> None:
    item, culprit = DB_FAULTS[fault]
    checked = db_results(target_db(frozenset({fault})), good_workspace)
    failed = {t: r.reason for t, r in checked.items() if not r.ok}
    assert list(failed) == [item]
    assert culprit in failed[item]


@pytest.mark.parametrize("fault", sorted(DB_WARNING_FAULTS))
def test_each_lint_warning_fault_warns_on_exactly_its_item(
    fault: str, target_db, good_workspace: Path
) -> None:
    item, culprit = DB_WARNING_FAULTS[fault]
    checked = db_results(target_db(frozenset({fault})), good_workspace)
    assert {t: r.reason for t, r in checked.items() if not r.ok} == {}
    warned = {t: r.warnings for t, r in checked.items() if r.warnings}
    assert list(warned) == [item]
    assert any(culprit in warning for warning in warned[item])


PGTAP_FAULT = "broken-pgtap-test"


def pgtap_result(dsn: str, ws: Path) -> ProbeResult:
    files = pgtap.suite_files(ws / "supabase" / "tests")
    ran = run_command(pgtap.command(files, ws), cwd=ws, timeout=60, env=pgtap.libpq_env(dsn))
    return pgtap.check_output(ran.output, ran.returncode, files)


@pytest.mark.skipif(pgtap.runner() is None, reason=pgtap.INSTALL_HINT)
def test_the_apps_pgtap_suite_passes_and_the_pgtap_fault_breaks_one_test(
    target_db, good_workspace: Path
) -> None:
    healthy = pgtap_result(target_db(frozenset()), good_workspace)
    assert healthy.ok, healthy.reason
    assert healthy.evidence[0].data["tests"] == 4
    broken_dsn = target_db(frozenset({PGTAP_FAULT}))
    broken = pgtap_result(broken_dsn, good_workspace)
    assert broken.reason == (
        "pgTAP: 1 of 4 tests failed, first: supabase/tests/rls_test.sql #2 "
        '"a signed-in shop sees none of another shop\'s orders"'
    )
    checked = db_results(broken_dsn, good_workspace)
    assert {t: r.reason for t, r in checked.items() if not r.ok} == {}, "only pgTAP sees it"


def test_the_dry_run_applies_the_unapplied_migration_and_leaves_it_unapplied(
    target_db, good_workspace: Path
) -> None:
    dsn = target_db(frozenset({"unapplied-migration"}))
    checked = db_results(dsn, good_workspace)
    assert checked["Migration dry-run: Completed on staging"].evidence[0].data["applied"] == [
        "20250201000000_approvals.sql"
    ]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regclass('public.approvals')").fetchone() == (None,)


def test_the_database_is_dropped(good_workspace: Path) -> None:
    dsn = database.create(ADMIN_DSN, good_workspace)
    database.drop(ADMIN_DSN, dsn)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn).close()


# --- the Supabase API stand-in -------------------------------------------------------------


@pytest.mark.parametrize(
    ("faults", "ok"), [(frozenset(), True), (frozenset({"stale-backup"}), False)]
)
def test_the_backups_stand_in_answers_the_documented_shape(
    faults: frozenset[str], ok: bool
) -> None:
    with (
        supabase_api.BackupsServer(faults) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": "Bearer t"}) as client,
    ):
        result = backups.check_backups(client, "local", 24)
    assert result.ok is ok
    if not ok:
        assert result.reason.startswith("newest completed backup is 72.0 h old")


def test_the_backups_stand_in_refuses_requests_without_a_token() -> None:
    with supabase_api.BackupsServer() as server, httpx.Client(base_url=server.url) as client:
        result = backups.check_backups(client, "local", 24)
    assert result.reason.endswith("answered 401")
