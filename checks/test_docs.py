"""Documentation Completeness: runbooks fresh, specs complete, rollback, monitoring, support."""

from __future__ import annotations

import pytest

from pytest_readiness.probes import docs


def _where(readiness_env, key, default):
    return readiness_env.workspace / readiness_env.vars.get(key, default)


def _headings(readiness_env, key, default):
    value = readiness_env.vars.get(key, default)
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.docs("All runbooks: Updated")
def test_runbooks_updated(readiness_env, evidence):
    max_age = float(readiness_env.thresholds.get("docs_max_age_days", 90))
    folder = _where(readiness_env, "runbooks_dir", "docs/runbooks")
    evidence.expect(docs.check_runbooks(folder, max_age, root=readiness_env.workspace))


@pytest.mark.docs("All specs: Complete")
def test_specs_complete(readiness_env, evidence):
    folder = _where(readiness_env, "specs_dir", "docs/specs")
    headings = _headings(readiness_env, "spec_headings", ["Overview", "Acceptance Criteria"])
    evidence.expect(docs.check_documents(folder, headings, "spec", root=readiness_env.workspace))


@pytest.mark.docs("Rollback procedures: Documented")
def test_rollback_documented(readiness_env, evidence):
    where = _where(readiness_env, "rollback_docs", "docs")
    evidence.expect(docs.check_rollback(where, root=readiness_env.workspace))


@pytest.mark.docs("Monitoring guides: Complete")
def test_monitoring_guides(readiness_env, evidence):
    where = _where(readiness_env, "monitoring_guides", "docs/monitoring")
    headings = _headings(readiness_env, "monitoring_headings", ["Dashboards", "Alerts"])
    evidence.expect(
        docs.check_documents(where, headings, "monitoring guide", root=readiness_env.workspace)
    )


@pytest.mark.docs("Troubleshooting guides: Ready")
def test_troubleshooting_guides(readiness_env, evidence):
    where = _where(readiness_env, "troubleshooting_guides", "docs/troubleshooting")
    headings = _headings(readiness_env, "troubleshooting_headings", ["Symptoms", "Resolution"])
    evidence.expect(
        docs.check_documents(where, headings, "troubleshooting guide", root=readiness_env.workspace)
    )
