"""The README's promise: `pytest --readiness` on this repository runs the shipped checklist
against the `local` reference target: GO when healthy, and each injected fault flips exactly
its item to failed, naming the culprit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.runbook import lines as runbook
from tests.conftest import REPO, run_repo_checklist


def run_checklist(tmp_path: Path, *, faults: str = "") -> tuple[int, dict[str, Any], str]:
    return run_repo_checklist(tmp_path, faults=faults)


def test_the_healthy_local_target_is_go_with_every_runbook_line_in_order(tmp_path: Path) -> None:
    status, report, output = run_checklist(tmp_path)
    assert status == 0, output
    assert report["verdict"] == "GO"
    items = report["items"]
    automated = [item for item in items if item["outcome"] == "passed"]
    assert len(automated) == 31  # 30 checklist lines + "Verify Shopify Admin embedding works"
    book = runbook.load(REPO / "runbook" / "production-deployment-runbook.md")
    expected = [line.text for line in book.checklist("pre")]
    listed = [item["runbook_line"]["text"] for item in items if item["runbook_line"]]
    assert [text for text in listed if text in expected] == expected
    manual = [item for item in items if item["outcome"] == "manual"]
    assert [item["title"] for item in manual] == ["CEO approval required"]
    assert manual[0]["blocking"] is False  # manual_blocking = false on `local`


@pytest.mark.parametrize(
    ("fault", "failed", "culprit"),
    [
        ("lint-warning", ["Lint: 0 errors, 0 warnings"], "warnings: src/shopfront/unused.py:3"),
        ("unapplied-migration", ["Staging migrations: Applied successfully"], "20250201000000"),
        ("health-503", ["Health endpoints: All returning 200"], "/api/health answered 503"),
        ("seven-tiles", ["Dashboard: All 8 tiles functional"], "7"),
        ("stale-runbook", ["All runbooks: Updated"], "docs/runbooks/deploy.md"),
        (
            "committed-secret",
            [
                "Security: 0 secrets detected",
                "Secrets: All in GitHub Secrets/Vault (none in code)",
            ],
            "deploy/id_rsa",
        ),
    ],
)
def test_a_fault_flips_exactly_its_item_and_names_the_culprit(
    tmp_path: Path, fault: str, failed: list[str], culprit: str
) -> None:
    status, report, output = run_checklist(tmp_path, faults=fault)
    assert status == 1, output
    assert report["verdict"] == "NO-GO"
    broken = {item["title"]: item for item in report["items"] if item["outcome"] == "failed"}
    assert sorted(broken) == sorted(failed)
    for item in broken.values():
        assert culprit in item["reason"]
    html = (tmp_path / "readiness-local.html").read_text()
    assert culprit.replace("/", "/") in html


def test_an_unknown_fault_is_a_usage_error_listing_the_known_ones(tmp_path: Path) -> None:
    status, _, output = run_checklist(tmp_path, faults="no-such-fault")
    assert status == 4
    assert "unknown fault(s) no-such-fault; known faults: a11y-serious" in output
