"""Feature Completeness: the app's features answer as the runbook says, against `base_url`."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import CheckFailed, Environment
from pytest_readiness.probes import (
    analytics,
    approvals,
    chatwoot,
    dashboard,
    feature_flags,
    idea_pool,
    inventory,
)
from pytest_readiness.probes.combined import all_of


def _required_var(env: Environment, key: str) -> Any:
    """A `vars` value this item cannot do without, or a one-line failure naming it."""
    value = env.vars.get(key)
    if value in (None, ""):
        raise CheckFailed(f"vars.{key} is not set for environment {env.name!r}")
    return value


@pytest.mark.feature("Dashboard: All 8 tiles functional")
def test_dashboard_tiles(readiness_env, http, evidence):
    path = readiness_env.vars.get("dashboard_path", "/api/dashboard")
    expected = int(readiness_env.thresholds.get("dashboard_tiles", 8))
    evidence.expect(dashboard.dashboard_tiles(http, path, expected))


@pytest.mark.feature("Approvals: HITL flow working")
def test_approvals_hitl_flow(readiness_env, http, evidence):
    if not readiness_env.get("allow_writes", False):
        pytest.skip(
            f"not run: environment {readiness_env.name!r} does not set allow_writes = true, "
            "and this item creates and deletes a test approval"
        )
    path = readiness_env.vars.get("approvals_path", "/api/approvals")
    reviewer = readiness_env.vars.get("approvals_reviewer", "readiness-check")
    evidence.expect(approvals.hitl_flow(http, path, reviewer=reviewer))


@pytest.mark.feature("Idea Pool: 5 suggestions (1 wildcard)")
def test_idea_pool(readiness_env, http, evidence):
    path = readiness_env.vars.get("ideas_path", "/api/ideas")
    limits = readiness_env.thresholds
    evidence.expect(
        idea_pool.idea_pool(
            http,
            path,
            suggestions=int(limits.get("idea_suggestions", 5)),
            wildcards=int(limits.get("idea_wildcards", 1)),
        )
    )


@pytest.mark.feature("Analytics: Real data flowing")
def test_analytics_flowing(readiness_env, http, evidence):
    path = readiness_env.vars.get("analytics_path", "/api/analytics/summary")
    max_age = float(readiness_env.thresholds.get("analytics_max_age_minutes", 60))
    evidence.expect(analytics.analytics_fresh(http, path, max_age_minutes=max_age))


@pytest.mark.feature("Inventory: ROP calculations working")
def test_inventory_reorder_points(readiness_env, http, evidence):
    path = readiness_env.vars.get("inventory_path", "/api/inventory")
    tolerance = float(readiness_env.thresholds.get("rop_tolerance", 0))
    evidence.expect(inventory.reorder_points(http, path, tolerance=tolerance))


@pytest.mark.feature("CX: Chatwoot integrated")
def test_chatwoot_integrated(readiness_env, http, http_client, evidence):
    settings = readiness_env.vars
    api = http_client(
        _required_var(readiness_env, "chatwoot_url"),
        headers=chatwoot.headers(_required_var(readiness_env, "chatwoot_token")),
    )
    evidence.expect(
        all_of(
            chatwoot.inbox_listed(
                api,
                _required_var(readiness_env, "chatwoot_account_id"),
                _required_var(readiness_env, "chatwoot_inbox"),
            ),
            chatwoot.integration_enabled(
                http, settings.get("integrations_path", "/api/integrations"), "chatwoot"
            ),
        )
    )


@pytest.mark.feature("Feature flags: All documented with defaults")
def test_feature_flags_documented(readiness_env, http, evidence):
    path = readiness_env.vars.get("feature_flags_path", "/api/feature-flags")
    document = readiness_env.workspace / readiness_env.vars.get(
        "feature_flags_doc", "docs/feature-flags.md"
    )
    evidence.expect(feature_flags.flags_documented(http, path, document))
