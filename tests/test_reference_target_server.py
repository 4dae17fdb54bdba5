"""The local stand-ins answer like the real services, and each fault flips exactly its probe."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes import (
    analytics,
    approvals,
    chatwoot,
    dashboard,
    env_files,
    feature_flags,
    framing,
    github_actions,
    health,
    idea_pool,
    inventory,
    monitoring,
    version,
)
from pytest_readiness.probes.combined import all_of
from reference.target.infra_faults import WORKSPACE_FAULTS, apply_tracked_env_file
from reference.target.server import (
    CHATWOOT_ACCOUNT_ID,
    CHATWOOT_INBOX,
    FAULTS,
    LocalServices,
    start,
)

ROOT = Path(__file__).resolve().parents[1]
FLAGS_DOC = ROOT / "reference" / "app" / "docs" / "feature-flags.md"
ANCESTORS = ["https://admin.shopify.com", "https://*.myshopify.com"]
HEALTH_TIMEOUT_S = 0.3

Probe = Callable[[LocalServices, Path], ProbeResult]


def git_workspace(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "README.md").write_text("reference\n")
    subprocess.run(["git", "add", "."], cwd=path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"],
        cwd=path,
        check=True,
    )
    return path


def client(services: LocalServices, name: str, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=services.urls[name], headers=headers, timeout=5)


def app(services: LocalServices) -> httpx.Client:
    return client(services, "READINESS_LOCAL_URL")


def github(services: LocalServices, workspace: Path) -> ProbeResult:
    api = httpx.Client(
        base_url=services.urls["READINESS_LOCAL_GITHUB_API"],
        headers=github_actions.headers("local-token"),
    )
    return github_actions.workflows_green(api, "acme/shop", "main")


def health_probe(services: LocalServices, workspace: Path) -> ProbeResult:
    return health.health_paths(app(services), ["/health", "/api/health"], timeout=HEALTH_TIMEOUT_S)


def version_probe(services: LocalServices, workspace: Path) -> ProbeResult:
    return version.reports_version(app(services), "/api/version", version.head_commit(workspace))


def monitoring_probe(services: LocalServices, workspace: Path) -> ProbeResult:
    return monitoring.monitoring_configured(
        client(services, "READINESS_LOCAL_PROMETHEUS"),
        client(services, "READINESS_LOCAL_ALERTMANAGER"),
    )


def chatwoot_probe(services: LocalServices, workspace: Path) -> ProbeResult:
    api = client(services, "READINESS_LOCAL_CHATWOOT", **chatwoot.headers("local-token"))
    return all_of(
        chatwoot.inbox_listed(api, CHATWOOT_ACCOUNT_ID, CHATWOOT_INBOX),
        chatwoot.integration_enabled(app(services), "/api/integrations", "chatwoot"),
    )


PROBES: dict[str, Probe] = {
    "github": github,
    "version": version_probe,
    "health": health_probe,
    "monitoring": monitoring_probe,
    "embedding": lambda s, w: framing.embedding_allowed(app(s), "/", ANCESTORS),
    "dashboard": lambda s, w: dashboard.dashboard_tiles(app(s), "/api/dashboard", 8),
    "approvals": lambda s, w: approvals.hitl_flow(app(s), "/api/approvals"),
    "ideas": lambda s, w: idea_pool.idea_pool(app(s), "/api/ideas"),
    "analytics": lambda s, w: analytics.analytics_fresh(app(s), "/api/analytics/summary"),
    "inventory": lambda s, w: inventory.reorder_points(app(s), "/api/inventory"),
    "chatwoot": chatwoot_probe,
    "flags": lambda s, w: feature_flags.flags_documented(app(s), "/api/feature-flags", FLAGS_DOC),
    "env files": lambda s, w: env_files.tracked_env_files(w),
}

# fault -> (the one probe it must fail, words the reason must contain)
EXPECTED: dict[str, tuple[str, str]] = {
    "health-503": ("health", "/api/health answered 503"),
    "slow-health": ("health", "/health timed out after 0.3 s"),
    "wrong-version": ("version", "/api/version reports version 1111111"),
    "workflow-failed": ("github", "1 workflow not green on main: E2E (failure)"),
    "no-alert-rules": ("monitoring", "lists no alerting rules"),
    "seven-tiles": ("dashboard", "returned 7 tiles, expected 8"),
    "two-wildcards": ("ideas", "2 wildcards (idea-4, idea-5), expected 1"),
    "stale-analytics": ("analytics", "newest analytics event is 180 min old"),
    "rop-off-by-one": ("inventory", "reorder point off for SKU-1003 (expected 17, got 18)"),
    "chatwoot-401": ("chatwoot", "Chatwoot rejected the API access token (401 from"),
    "undocumented-flag": ("flags", "undocumented flags: autopilot_pricing"),
    "frame-denied": ("embedding", "/ sends X-Frame-Options: DENY"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return git_workspace(tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def healthy(workspace: Path) -> Iterator[LocalServices]:
    with start(workspace, frozenset()) as services:
        yield services


def test_every_server_fault_has_an_expected_item():
    assert set(EXPECTED) == set(FAULTS)


def test_urls_are_loopback_base_urls_for_each_service(healthy: LocalServices):
    assert sorted(healthy.urls) == [
        "READINESS_LOCAL_ALERTMANAGER",
        "READINESS_LOCAL_CHATWOOT",
        "READINESS_LOCAL_GITHUB_API",
        "READINESS_LOCAL_PROMETHEUS",
        "READINESS_LOCAL_URL",
    ]
    assert all(url.startswith("http://127.0.0.1:") for url in healthy.urls.values())


@pytest.mark.parametrize("name", sorted(PROBES))
def test_every_probe_passes_on_the_healthy_target(
    healthy: LocalServices, workspace: Path, name: str
):
    result = PROBES[name](healthy, workspace)
    assert result.ok, result.reason


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_fails_exactly_its_probe_naming_the_culprit(workspace: Path, fault: str):
    expected_probe, words = EXPECTED[fault]
    with start(workspace, frozenset({fault}), slow_health_s=1.0) as services:
        results = {name: probe(services, workspace) for name, probe in PROBES.items()}
    failing = sorted(name for name, result in results.items() if not result.ok)
    assert failing == [expected_probe]
    assert words in results[expected_probe].reason
    assert "\n" not in results[expected_probe].reason


def test_the_tracked_env_file_fault_fails_only_the_env_file_probe(tmp_path: Path):
    workspace = git_workspace(tmp_path)
    assert WORKSPACE_FAULTS["tracked-env-file"] is apply_tracked_env_file
    apply_tracked_env_file(workspace)
    with start(workspace, frozenset()) as services:
        results = {name: probe(services, workspace) for name, probe in PROBES.items()}
    failing = sorted(name for name, result in results.items() if not result.ok)
    assert failing == ["env files"]
    assert results["env files"].reason == (
        "tracked .env file with values: .env.production (3 values)"
    )


def test_github_stand_in_wants_a_token_and_pages_with_link_headers(healthy: LocalServices):
    base = healthy.urls["READINESS_LOCAL_GITHUB_API"]
    anonymous = httpx.get(f"{base}/repos/a/b/actions/workflows")
    assert anonymous.status_code == 401
    first = httpx.get(
        f"{base}/repos/a/b/actions/workflows?per_page=100", headers={"Authorization": "Bearer x"}
    )
    assert len(first.json()["workflows"]) == 2
    assert first.links["next"]["url"].endswith("page=2")


def test_chatwoot_stand_in_wants_the_api_access_token_header(healthy: LocalServices):
    url = f"{healthy.urls['READINESS_LOCAL_CHATWOOT']}/api/v1/accounts/1/inboxes"
    assert httpx.get(url).status_code == 401
    answer = httpx.get(url, headers={"api_access_token": "t"})
    assert answer.json()["payload"][0]["name"] == CHATWOOT_INBOX


def test_approvals_left_behind_do_not_exist(healthy: LocalServices):
    result = approvals.hitl_flow(app(healthy), "/api/approvals")
    assert result.ok
    created = result.evidence[0].data["approval_id"]
    assert app(healthy).get(f"/api/approvals/{created}").status_code == 404


def test_stop_returns_promptly_even_while_a_slow_answer_waits(workspace: Path):
    services = start(workspace, frozenset({"slow-health"}), slow_health_s=30)
    url = services.urls["READINESS_LOCAL_URL"]
    with httpx.Client(base_url=url, timeout=0.2) as slow, pytest.raises(httpx.TimeoutException):
        slow.get("/health")
    services.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(services.urls["READINESS_LOCAL_URL"] + "/health")
