"""End to end: the shipped infra and feature checks through `pytest --readiness`.

Each run copies `checks/test_infrastructure.py` and `checks/test_features.py` into a pytester
project whose workspace is a git repository, points the environment at the loopback
stand-ins, and reads the JSON and HTML reports back.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.conftest import ReadinessProject

from reference.target.infra_faults import apply_tracked_env_file
from reference.target.server import CHATWOOT_INBOX, LocalServices, start

ROOT = Path(__file__).resolve().parents[1]
CHECK_FILES = ("test_infrastructure.py", "test_features.py")
FLAGS_DOC = ROOT / "reference" / "app" / "docs" / "feature-flags.md"

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

CONFIG = f"""
[tool.readiness]
default_env = "target"

[tool.readiness.envs.target]
base_url = "${{READINESS_LOCAL_URL}}"
workspace = "."
timeout = 10
allow_writes = true
public = ["READINESS_LOCAL_URL", "READINESS_LOCAL_GITHUB_API", "READINESS_LOCAL_PROMETHEUS",
          "READINESS_LOCAL_ALERTMANAGER", "READINESS_LOCAL_CHATWOOT"]

[tool.readiness.envs.target.vars]
github_api = "${{READINESS_LOCAL_GITHUB_API}}"
github_repo = "acme/shop"
github_token = "local-token"
prometheus_url = "${{READINESS_LOCAL_PROMETHEUS}}"
alertmanager_url = "${{READINESS_LOCAL_ALERTMANAGER}}"
chatwoot_url = "${{READINESS_LOCAL_CHATWOOT}}"
chatwoot_token = "local-token"
chatwoot_account_id = 1
chatwoot_inbox = "{CHATWOOT_INBOX}"

[tool.readiness.envs.target.thresholds]
health_timeout_s = 0.5
"""

# fault -> (the item it must fail, words its reason must contain)
FAULTS = {
    "health-503": ("Health endpoints: All returning 200", "/api/health answered 503"),
    "slow-health": ("Health endpoints: All returning 200", "timed out after 0.5 s"),
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


def git(workspace: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run(["git", *identity, *args], cwd=workspace, check=True, capture_output=True)


@pytest.fixture
def target(project: ReadinessProject) -> ReadinessProject:
    """The project: shipped checks, config, and a committed workspace with the flags doc."""
    project.config(CONFIG)
    folder = project.pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    for name in CHECK_FILES:
        shutil.copy(ROOT / "checks" / name, folder / name)
    docs = project.pytester.path / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(FLAGS_DOC, docs / "feature-flags.md")
    (project.pytester.path / ".gitignore").write_text("reports/\n__pycache__/\n")
    git(project.pytester.path, "init", "-q")
    git(project.pytester.path, "add", ".")
    git(project.pytester.path, "commit", "-qm", "reference workspace")
    return project


@contextmanager
def serve(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch, faults: frozenset[str]
) -> Iterator[LocalServices]:
    """The stand-ins on loopback, their URLs exported as the config's variables."""
    with start(project.pytester.path, faults, slow_health_s=2.0) as services:
        for name, url in services.urls.items():
            monkeypatch.setenv(name, url)
        yield services


def test_the_healthy_target_is_go_with_every_item_passing(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(target, monkeypatch, frozenset()):
        result = target.run()
    items = target.items("target")
    assert sorted(items) == sorted(INFRA_TITLES + FEATURE_TITLES)
    failed = {title: item["reason"] for title, item in items.items() if item["outcome"] != "passed"}
    assert failed == {}
    assert {items[t]["category"] for t in INFRA_TITLES} == {"infra"}
    assert {items[t]["category"] for t in FEATURE_TITLES} == {"feature"}
    assert target.report("target")["verdict"] == "GO"
    assert result.ret == 0


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_no_go_naming_exactly_its_item(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    title, words = FAULTS[fault]
    server_faults = frozenset({fault}) - {"tracked-env-file"}
    if fault == "tracked-env-file":
        apply_tracked_env_file(target.pytester.path)
    with serve(target, monkeypatch, server_faults):
        result = target.run()
    items = target.items("target")
    failing = sorted(t for t, item in items.items() if item["outcome"] != "passed")
    assert failing == [title]
    assert words in items[title]["reason"]
    assert target.report("target")["verdict"] == "NO-GO"
    assert result.ret == 1
    assert words in target.text("target", "html")


def test_without_allow_writes_the_approvals_flow_is_not_run_and_says_why(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    target.config(CONFIG.replace("allow_writes = true", "allow_writes = false"))
    with serve(target, monkeypatch, frozenset()) as services:
        target.run()
    item = target.items("target")["Approvals: HITL flow working"]
    assert item["outcome"] == "skipped"
    assert "does not set allow_writes = true" in item["reason"]
    app_requests = services.requests("READINESS_LOCAL_URL")
    assert [r for r in app_requests if r[1].startswith("/api/approvals")] == []


def test_a_missing_github_repo_setting_is_one_line_naming_it(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    target.config(CONFIG.replace('github_repo = "acme/shop"\n', ""))
    with serve(target, monkeypatch, frozenset()):
        target.run()
    reason = target.items("target")["GitHub Actions: All workflows green"]["reason"]
    assert reason == "vars.github_repo is not set for environment 'target'"


def test_an_unset_token_variable_names_the_variable_not_a_value(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHATWOOT_TOKEN", raising=False)
    unset = CONFIG.replace('chatwoot_token = "local-token"', 'chatwoot_token = "${CHATWOOT_TOKEN}"')
    target.config(unset)
    with serve(target, monkeypatch, frozenset()):
        target.run()
    reason = target.items("target")["CX: Chatwoot integrated"]["reason"]
    assert "CHATWOOT_TOKEN" in reason


def test_the_approvals_flow_deletes_its_test_approval(
    target: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(target, monkeypatch, frozenset()) as services:
        target.run()
    writes = [r for r in services.requests("READINESS_LOCAL_URL") if r[0] != "GET"]
    assert writes == [
        ("POST", "/api/approvals"),
        ("POST", "/api/approvals/1/approve"),
        ("DELETE", "/api/approvals/1"),
    ]
