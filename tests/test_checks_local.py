"""The shipped gate, database and docs checks, run through `pytest --readiness` on the local
reference target: GO when healthy, and each fault flips exactly its item to failed."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reference.target import database, settings, supabase_api, workspace
from tests.check_project import toml_value
from tests.conftest import ADMIN_DSN, ReadinessProject

CHECKS = Path(__file__).resolve().parents[1] / "checks"
PART_ONE = ("test_gates.py", "test_database.py", "test_docs.py")
TOKEN = "sbp_local_token_for_tests"


def local_config(ws: Path, dsn: str) -> str:
    """`[tool.readiness.envs.local]` as the lead wires it, with this run's target."""
    lines = [
        "[tool.readiness.envs.local]",
        f"workspace = {toml_value(str(ws))}",
        f"database_url = {toml_value(dsn)}",
        "timeout = 120",
        *(f"{k} = {toml_value(v)}" for k, v in settings.TOP_LEVEL.items()),
        "[tool.readiness.envs.local.vars]",
        *(f"{k} = {toml_value(v)}" for k, v in settings.VARS.items()),
        "[tool.readiness.envs.local.thresholds]",
        *(f"{k} = {toml_value(v)}" for k, v in settings.THRESHOLDS.items()),
    ]
    return "\n".join(lines) + "\n"


Target = Callable[[frozenset[str]], ReadinessProject]


@pytest.fixture
def local_target(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Target]:
    """Build the reference target with some faults and point a readiness project at it."""
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    folder = pytester.path / "checks"
    folder.mkdir()
    for name in PART_ONE:
        shutil.copy(CHECKS / name, folder / name)
    shutil.copytree(CHECKS / "sql", folder / "sql")
    made: list[str] = []
    servers: list[supabase_api.BackupsServer] = []

    def build(faults: frozenset[str]) -> ReadinessProject:
        ws = workspace.build(tmp_path_factory.mktemp("ws") / "app", faults & workspace.FAULTS)
        made.append(database.create(ADMIN_DSN, ws, faults & database.FAULTS))
        servers.append(supabase_api.BackupsServer(faults & supabase_api.FAULTS).start())
        monkeypatch.setenv("READINESS_LOCAL_SUPABASE_API", servers[-1].url)
        project.config(local_config(ws, made[-1]))
        return project

    yield build
    for server in servers:
        server.stop()
    for dsn in made:
        database.drop(ADMIN_DSN, dsn)


TITLES = [
    "Build: PASSING",
    "Unit tests: 100% passing",
    "Integration tests: 100% passing",
    "E2E tests: 100% passing",
    "Accessibility: <5 serious violations",
    "Lint: 0 errors, 0 warnings",
    "Format: All files formatted",
    "Security: 0 secrets detected",
    "Staging migrations: Applied successfully",
    "RLS tests: All passing",
    "Data integrity: Verified",
    "Production backup: Verified exists",
    "Migration dry-run: Completed on staging",
    "All runbooks: Updated",
    "All specs: Complete",
    "Rollback procedures: Documented",
    "Monitoring guides: Complete",
    "Troubleshooting guides: Ready",
]


def test_the_healthy_local_target_is_go_with_all_eighteen_items(local_target: Target) -> None:
    project = local_target(frozenset())
    result = project.run()
    items = project.items()
    assert {t: i["reason"] for t, i in items.items() if i["outcome"] != "passed"} == {}
    assert list(items) == TITLES
    assert project.report()["verdict"] == "GO"
    assert result.ret == 0


def test_the_access_token_never_reaches_the_reports(local_target: Target) -> None:
    project = local_target(frozenset())
    project.run()
    backup = project.items()["Production backup: Verified exists"]
    assert backup["evidence"], "the API exchange is recorded"
    assert TOKEN not in project.text(suffix="json")
    assert TOKEN not in project.text(suffix="html")


FAULTS = {
    "unapplied-migration": (
        "Staging migrations: Applied successfully",
        "1 migration not applied: 20250201000000_approvals.sql",
    ),
    "table-without-rls": ("RLS tests: All passing", "RLS disabled: public.orders"),
    "invalid-constraint": ("Data integrity: Verified", "orders_total_capped"),
    "anon-definer-function": ("RLS tests: All passing", "public.shop_domains()"),
    "broken-pgtap-test": ("RLS tests: All passing", "supabase/tests/rls_test.sql #2"),
    "stale-backup": ("Production backup: Verified exists", "newest completed backup is 72"),
    "lint-warning": ("Lint: 0 errors, 0 warnings", "src/shopfront/unused.py:3 F401"),
    "failing-unit-test": ("Unit tests: 100% passing", "test_rounding"),
    "stale-runbook": ("All runbooks: Updated", "docs/runbooks/deploy.md (200 days old)"),
    "build-broken": (
        "Build: PASSING",
        "exited 1: build failed: missing asset index.html -> app.css",
    ),
    "committed-secret": ("Security: 0 secrets detected", "deploy/id_rsa:1 (Private Key)"),
    "missing-rollback-doc": ("Rollback procedures: Documented", "no rollback section in docs"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_flips_exactly_its_item_and_names_the_culprit(
    fault: str, local_target: Target
) -> None:
    title, culprit = FAULTS[fault]
    project = local_target(frozenset({fault}))
    result = project.run()
    failed = {t: i["reason"] for t, i in project.items().items() if i["outcome"] != "passed"}
    assert list(failed) == [title]
    assert culprit in failed[title]
    assert project.report()["verdict"] == "NO-GO"
    assert result.ret == 1
    assert culprit.split(" ")[-1] in project.text(suffix="html")


def test_a_lint_warning_fault_keeps_go_and_names_the_culprit_in_the_sentence(
    local_target: Target,
) -> None:
    project = local_target(frozenset({"mutable-search-path"}))
    result = project.run()
    items = project.items()
    assert {t: i["reason"] for t, i in items.items() if i["outcome"] != "passed"} == {}
    report = project.report()
    assert report["verdict"] == "GO"
    assert report["sentence"].startswith("GO with 2 warnings: ")  # and db's superuser warning
    assert (
        "RLS tests: All passing: mutable search_path: public.order_total(shop bigint)"
        in report["sentence"]
    )
    assert result.ret == 0


def test_the_healthy_target_runs_the_apps_pgtap_suite(local_target: Target) -> None:
    project = local_target(frozenset())
    project.run()
    rls = project.items()["RLS tests: All passing"]
    notes = [e["summary"] for e in rls["evidence"] if e["kind"] == "note"]
    assert "pgTAP: 1 files, 4 tests: 4 passed, 0 failed, 0 skipped or todo" in notes


def test_without_allow_dry_run_the_dry_run_is_skipped_saying_why(
    local_target: Target, pytester: pytest.Pytester
) -> None:
    project = local_target(frozenset())
    toml = (pytester.path / "pyproject.toml").read_text().replace("allow_dry_run = true\n", "")
    project.config(toml)
    project.run()
    item = project.items()["Migration dry-run: Completed on staging"]
    assert item["outcome"] == "skipped"
    assert "allow_dry_run is not set for local" in item["reason"]


def test_the_shipped_runbook_fails_all_runbooks_updated_naming_on_call(
    local_target: Target, pytester: pytest.Pytester
) -> None:
    project = local_target(frozenset())
    shipped = pytester.mkdir("shipped-runbooks")
    runbook = Path(__file__).parent / "data" / "production-deployment-runbook.md"
    shutil.copy(runbook, shipped / runbook.name)
    toml = (pytester.path / "pyproject.toml").read_text()
    table = "[tool.readiness.envs.local.vars]\n"
    project.config(toml.replace(table, f"{table}runbooks_dir = {toml_value(str(shipped))}\n"))
    project.run()
    item = project.items()["All runbooks: Updated"]
    on_call = runbook.read_text().splitlines().index("- On-call: TBD") + 1
    assert item["outcome"] == "failed"
    assert f"production-deployment-runbook.md:{on_call} '- On-call: TBD'" in item["reason"]
