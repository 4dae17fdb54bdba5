"""Infrastructure Readiness: CI, the deployed version, health, monitoring, secrets, embedding."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import CheckFailed, Environment
from pytest_readiness.probes import (
    env_files,
    framing,
    github_actions,
    health,
    monitoring,
    secrets,
    version,
)
from pytest_readiness.probes.combined import all_of

DEFAULT_HEALTH_PATHS = ["/health", "/api/health"]
SHOPIFY_ADMIN_ANCESTORS = ["https://admin.shopify.com", "https://*.myshopify.com"]


def _required_var(env: Environment, key: str) -> Any:
    """A `vars` value this item cannot do without, or a one-line failure naming it."""
    value = env.vars.get(key)
    if value in (None, ""):
        raise CheckFailed(f"vars.{key} is not set for environment {env.name!r}")
    return value


def _monitoring_source(env: Environment, evidence: Any) -> None:
    """Say which servers the monitoring items read (`vars.monitoring_source`): real or stand-in."""
    source = env.vars.get("monitoring_source")
    if source:
        evidence.add("note", f"monitoring servers: {source}")


def _names(value: str | list[str]) -> list[str]:
    """A list setting that may also be written as one string."""
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.infra("GitHub Actions: All workflows green")
def test_github_actions(readiness_env, http_client, evidence):
    settings = readiness_env.vars
    api = http_client(
        settings.get("github_api", "https://api.github.com"),
        headers=github_actions.headers(settings.get("github_token")),
    )
    repo = _required_var(readiness_env, "github_repo")
    branch = settings.get("github_branch", "main")
    evidence.expect(github_actions.workflows_green(api, repo, branch))


@pytest.mark.infra("Staging environment: Deployed and validated")
def test_staging_deployed(readiness_env, http, evidence):
    expected = readiness_env.vars.get("expected_version")
    if not expected:
        try:
            expected = version.head_commit(readiness_env.workspace)
        except ValueError as exc:
            raise CheckFailed(str(exc)) from None
    path = readiness_env.vars.get("version_path", "/api/version")
    evidence.expect(version.reports_version(http, path, expected))


@pytest.mark.infra("Health endpoints: All returning 200")
def test_health_endpoints(readiness_env, http_client, evidence):
    timeout = float(readiness_env.thresholds.get("health_timeout_s", readiness_env.timeout))
    client = http_client(readiness_env.base_url, timeout=timeout)
    paths = readiness_env.get("health_paths", DEFAULT_HEALTH_PATHS)
    evidence.expect(health.health_paths(client, paths, timeout=timeout))


@pytest.mark.infra("Monitoring: Configured and alerting")
def test_monitoring(readiness_env, http_client, evidence):
    _monitoring_source(readiness_env, evidence)
    prometheus = http_client(_required_var(readiness_env, "prometheus_url"))
    alertmanager = http_client(_required_var(readiness_env, "alertmanager_url"))
    evidence.expect(monitoring.monitoring_configured(prometheus, alertmanager))


@pytest.mark.infra("Secrets: All in GitHub Secrets/Vault (none in code)")
def test_secrets_not_in_code(readiness_env, evidence):
    workspace = readiness_env.workspace
    lockfiles = bool(readiness_env.vars.get("secrets_include_lockfiles", False))
    scan = secrets.scan_tracked_files(workspace, include_lockfiles=lockfiles)
    evidence.expect(all_of(env_files.tracked_env_files(workspace), scan))


@pytest.mark.infra("Verify Shopify Admin embedding works")
def test_shopify_admin_embedding(readiness_env, http, evidence):
    path = readiness_env.vars.get("embed_path", "/")
    ancestors = _names(readiness_env.vars.get("frame_ancestors", SHOPIFY_ADMIN_ANCESTORS))
    evidence.expect(framing.embedding_allowed(http, path, ancestors))
