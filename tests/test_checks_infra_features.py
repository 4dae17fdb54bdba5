"""End to end: the shipped infra and feature checks through `pytest --readiness`.

Each run copies `checks/test_infrastructure.py` and `checks/test_features.py` into a pytester
project, builds the reference workspace (a git repository), points `local` at the loopback
stand-ins with the settings of `reference/target/infra_settings.py`, and reads the JSON and
HTML reports back.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reference.target import infra_settings, workspace
from reference.target.infra_faults import apply_tracked_env_file
from reference.target.server import FAULTS, LocalServices, start
from tests.conftest import ReadinessProject

ROOT = Path(__file__).resolve().parents[1]
CHECK_FILES = ("test_infrastructure.py", "test_features.py")

INFRA_TITLES = [
    "GitHub Actions: All workflows green",
    "Staging environment: Deployed and validated",
    "Health endpoints: All returning 200",
    "Monitoring: Configured and alerting",
    "Secrets: All in GitHub Secrets/Vault (none in code)",
    "Verify Shopify Admin embedding works",
]
FEATURE_TITLES = [
    "Dashboard: All 8 tiles functional",
    "Approvals: HITL flow working",
    "Idea Pool: 5 suggestions (1 wildcard)",
    "Analytics: Real data flowing",
    "Inventory: ROP calculations working",
    "CX: Chatwoot integrated",
    "Feature flags: All documented with defaults",
]


def local_config(ws: Path, allow_writes: bool = True, **override_vars: object) -> str:
    """`[tool.readiness.envs.local]` as the lead wires it, pointing at this run's workspace."""
    top = {**infra_settings.TOP_LEVEL, "workspace": str(ws), "timeout": 30}
    top |= {"public": infra_settings.PUBLIC, "allow_writes": allow_writes}
    settings = {**infra_settings.VARS, **override_vars}
    lines = [
        "[tool.readiness.envs.local]",
        *(f"{k} = {json.dumps(v)}" for k, v in top.items()),
        "[tool.readiness.envs.local.vars]",
        *(f"{k} = {json.dumps(v)}" for k, v in settings.items() if v is not None),
        "[tool.readiness.envs.local.thresholds]",
        *(f"{k} = {json.dumps(v)}" for k, v in infra_settings.THRESHOLDS.items()),
    ]
    return "\n".join(lines) + "\n"


# fault -> (the item it must fail, words its reason must contain)
EXPECTED = {
    "health-503": ("Health endpoints: All returning 200", "/api/health answered 503"),
    "slow-health": ("Health endpoints: All returning 200", "/health timed out after 2 s"),
    "wrong-version": ("Staging environment: Deployed and validated", "reports version 1111111"),
    "workflow-failed": ("GitHub Actions: All workflows green", "E2E (failure)"),
    "no-alert-rules": ("Monitoring: Configured and alerting", "no alerting rules"),
    "seven-tiles": ("Dashboard: All 8 tiles functional", "returned 7 tiles, expected 8"),
    "two-wildcards": ("Idea Pool: 5 suggestions (1 wildcard)", "2 wildcards (idea-4, idea-5)"),
    "stale-analytics": ("Analytics: Real data flowing", "180 min old"),
    "rop-off-by-one": ("Inventory: ROP calculations working", "SKU-1003 (expected 17, got 18)"),
    "chatwoot-401": ("CX: Chatwoot integrated", "Chatwoot rejected the API access token"),
    "undocumented-flag": ("Feature flags: All documented with defaults", "autopilot_pricing"),
    "frame-denied": ("Verify Shopify Admin embedding works", "X-Frame-Options: DENY"),
    "tracked-env-file": (
        "Secrets: All in GitHub Secrets/Vault (none in code)",
        ".env.production (3 values)",
    ),
}


@dataclass
class Run:
    """One `pytest --readiness` run on the local target and what it left behind."""

    project: ReadinessProject
    services: LocalServices
    result: pytest.RunResult

    def items(self) -> dict[str, dict[str, Any]]:
        return self.project.items("local")

    def failing(self) -> dict[str, str]:
        return {t: i["reason"] for t, i in self.items().items() if i["outcome"] != "passed"}


RunLocal = Callable[..., Run]


@pytest.fixture
def run_local(
    project: ReadinessProject,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> RunLocal:
    """Build the reference workspace, start the stand-ins with `faults`, run the checks."""
    folder = project.pytester.path / "checks"
    folder.mkdir()
    for name in CHECK_FILES:
        shutil.copy(ROOT / "checks" / name, folder / name)

    def run(faults: frozenset[str] = frozenset(), workers: int = 0, **config: Any) -> Run:
        ws = workspace.build(tmp_path_factory.mktemp("ws") / "app")
        if "tracked-env-file" in faults:
            apply_tracked_env_file(ws)
        project.config(local_config(ws, **config))
        with start(ws, faults & FAULTS) as services:
            for name, url in services.urls.items():
                monkeypatch.setenv(name, url)
            if workers:
                monkeypatch.setenv("PYTHONPATH", str(ROOT))
                result = project.run_subprocess("-n", str(workers))
            else:
                result = project.run()
        return Run(project, services, result)

    return run


def test_the_healthy_target_is_go_with_every_item_passing(run_local: RunLocal) -> None:
    run = run_local()
    items = run.items()
    assert sorted(items) == sorted(INFRA_TITLES + FEATURE_TITLES)
    assert run.failing() == {}
    assert {items[t]["category"] for t in INFRA_TITLES} == {"infra"}
    assert {items[t]["category"] for t in FEATURE_TITLES} == {"feature"}
    assert run.project.report("local")["verdict"] == "GO"
    assert run.result.ret == 0


def test_the_healthy_target_is_go_with_xdist_workers_too(run_local: RunLocal) -> None:
    run = run_local(workers=2)
    assert run.failing() == {}
    assert len(run.items()) == len(INFRA_TITLES + FEATURE_TITLES)
    assert run.result.ret == 0


def test_evidence_shows_each_workflow_and_each_health_path(run_local: RunLocal) -> None:
    items = run_local().items()
    github = items["GitHub Actions: All workflows green"]["evidence"]
    notes = {e["summary"]: e["detail"] for e in github if e["kind"] == "note"}
    assert notes == {
        "CI: success": "https://github.com/shopfront/app/actions/runs/101007",
        "E2E: success": "https://github.com/shopfront/app/actions/runs/102007",
        "Deploy: success": "https://github.com/shopfront/app/actions/runs/103007",
    }
    health = items["Health endpoints: All returning 200"]["evidence"]
    paths = [e["summary"] for e in health if e["kind"] == "note"]
    assert paths == ["GET /health -> 200", "GET /api/health -> 200"]


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_is_no_go_naming_exactly_its_item(run_local: RunLocal, fault: str) -> None:
    title, words = EXPECTED[fault]
    run = run_local(frozenset({fault}))
    assert list(run.failing()) == [title]
    assert words in run.failing()[title]
    assert run.project.report("local")["verdict"] == "NO-GO"
    assert run.result.ret == 1
    assert words in run.project.text("local", "html")


def test_the_approvals_flow_deletes_its_test_approval(run_local: RunLocal) -> None:
    run = run_local()
    writes = [r for r in run.services.requests("READINESS_LOCAL_URL") if r[0] != "GET"]
    assert writes == [
        ("POST", "/api/approvals"),
        ("POST", "/api/approvals/1/approve"),
        ("DELETE", "/api/approvals/1"),
    ]


def test_without_allow_writes_the_approvals_flow_is_not_run_and_says_why(
    run_local: RunLocal,
) -> None:
    run = run_local(allow_writes=False)
    item = run.items()["Approvals: HITL flow working"]
    assert item["outcome"] == "skipped"
    assert "does not set allow_writes = true" in item["reason"]
    touched = [r for r in run.services.requests("READINESS_LOCAL_URL") if r[0] != "GET"]
    assert touched == []


def test_a_missing_github_repo_setting_is_one_line_naming_it(run_local: RunLocal) -> None:
    run = run_local(github_repo=None)
    reason = run.items()["GitHub Actions: All workflows green"]["reason"]
    assert reason == "vars.github_repo is not set for environment 'local'"


def test_an_unset_token_variable_names_the_variable(
    run_local: RunLocal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHATWOOT_TOKEN", raising=False)
    run = run_local(chatwoot_token="${CHATWOOT_TOKEN}")
    assert "CHATWOOT_TOKEN" in run.items()["CX: Chatwoot integrated"]["reason"]
    assert list(run.failing()) == ["CX: Chatwoot integrated"]


def test_the_tracked_env_file_is_the_only_secrets_finding(run_local: RunLocal) -> None:
    run = run_local(frozenset({"tracked-env-file"}))
    assert run.failing() == {
        "Secrets: All in GitHub Secrets/Vault (none in code)": (
            "tracked .env file with values: .env.production (3 values)"
        )
    }
