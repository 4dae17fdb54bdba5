"""Markdown documentation: freshness, placeholders, required headings, rollback procedure."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from pytest_readiness.probes import docs

# A copy of the runbook this project ships (../shared/runbook/ in the team's layout).
SHIPPED_RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
DAY = 86400
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}

RUNBOOK_TEXT = """# Deploy

**On-call**: pager rotation

1. Run the checks.
2. Deploy.

Use `TODO` markers in code review only:

```
# TODO inside a code block is not a placeholder
```
"""


@pytest.fixture
def shipped_runbook(tmp_path: Path) -> Path:
    """The runbook this project ships, as a runbook folder of a workspace."""
    text = SHIPPED_RUNBOOK.read_text()
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "production-deployment-runbook.md").write_text(text)
    return folder


def test_the_shipped_runbook_fails_naming_the_on_call_tbd_line(shipped_runbook: Path) -> None:
    result = docs.check_runbooks(shipped_runbook, 90, root=shipped_runbook)
    assert not result.ok
    lines = (shipped_runbook / "production-deployment-runbook.md").read_text().splitlines()
    on_call = next(n for n, line in enumerate(lines, 1) if "On-call: TBD" in line)
    assert f"production-deployment-runbook.md:{on_call} '- On-call: TBD'" in result.reason


def test_placeholders_in_code_are_ignored_and_prose_ones_named(tmp_path: Path) -> None:
    page = tmp_path / "deploy.md"
    page.write_text(RUNBOOK_TEXT + "\nOwner: TBD\n")
    found = docs.placeholders(page, "deploy.md")
    assert [(p.line, p.word) for p in found] == [(14, "TBD")]


def test_a_runbook_older_than_the_limit_by_mtime_fails(tmp_path: Path) -> None:
    page = tmp_path / "deploy.md"
    page.write_text(RUNBOOK_TEXT)
    old = time.time() - 120 * DAY
    os.utime(page, (old, old))
    result = docs.check_runbooks(tmp_path, 90, root=tmp_path)
    assert not result.ok
    assert result.reason == "not updated within 90 days: deploy.md (120 days old)"


def test_the_git_commit_date_wins_over_the_file_mtime(tmp_path: Path) -> None:
    page = tmp_path / "deploy.md"
    page.write_text(RUNBOOK_TEXT)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "deploy.md"], cwd=tmp_path, check=True)
    stamp = f"@{int(time.time()) - 200 * DAY} +0000"
    env = {**GIT_ENV, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "commit", "-q", "-m", "old"], cwd=tmp_path, env=env, check=True)
    page.touch()
    result = docs.check_runbooks(tmp_path, 90, root=tmp_path)
    assert "deploy.md (200 days old)" in result.reason


def test_a_fresh_runbook_without_placeholders_passes(tmp_path: Path) -> None:
    (tmp_path / "deploy.md").write_text(RUNBOOK_TEXT)
    assert docs.check_runbooks(tmp_path, 90).ok


def test_an_empty_runbooks_folder_fails(tmp_path: Path) -> None:
    assert docs.check_runbooks(tmp_path / "runbooks", root=tmp_path).reason == (
        "no runbooks found at runbooks"
    )


def test_a_document_missing_a_required_heading_fails_naming_both(tmp_path: Path) -> None:
    (tmp_path / "orders.md").write_text("# Orders\n\n## Overview\n\nWhat orders are.\n")
    result = docs.check_documents(tmp_path, ["Overview", "Acceptance Criteria"], "spec", tmp_path)
    assert not result.ok
    assert result.reason == "missing heading: orders.md lacks 'Acceptance Criteria'"


def test_headings_match_without_case_and_pass(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## DASHBOARDS\n\nx\n\n## Alerts we page on\n\n- y\n"
    )
    assert docs.check_documents(tmp_path, ["Dashboards", "Alerts"]).ok


def test_a_missing_guide_fails_naming_where_it_was_expected(tmp_path: Path) -> None:
    result = docs.check_documents(tmp_path / "docs/monitoring", [], "monitoring guide", tmp_path)
    assert result.reason == "no monitoring guide found at docs/monitoring"


def test_the_shipped_runbooks_rollback_procedure_is_documented(shipped_runbook: Path) -> None:
    result = docs.check_rollback(shipped_runbook, root=shipped_runbook)
    assert result.ok, result.reason
    assert "'Rollback Procedure'" in result.evidence[0].summary


def test_a_rollback_section_without_numbered_steps_fails(tmp_path: Path) -> None:
    (tmp_path / "rollback.md").write_text(
        "# Rollback\n\n**Trigger Conditions**:\n\n- Error rate >5%\n\nRevert the deploy.\n"
    )
    result = docs.check_rollback(tmp_path, root=tmp_path)
    assert result.reason == (
        "rollback section rollback.md 'Rollback' lacks numbered steps "
        "(an ordered list of at least 2 steps)"
    )


def test_a_rollback_section_without_triggers_fails(tmp_path: Path) -> None:
    (tmp_path / "ops.md").write_text("# Ops\n\n## Rollback\n\n1. Revert\n2. Verify\n\n## Other\n")
    result = docs.check_rollback(tmp_path, root=tmp_path)
    assert "lacks trigger conditions" in result.reason


def test_no_rollback_heading_at_all_fails(tmp_path: Path) -> None:
    (tmp_path / "ops.md").write_text("# Ops\n\n1. Deploy\n2. Verify\n")
    assert docs.check_rollback(tmp_path, root=tmp_path).reason == "no rollback section in ."


def test_an_empty_runbook_file_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "deploy.md").write_text(RUNBOOK_TEXT)
    (tmp_path / "scale.md").write_text("# Scaling\n\n## Steps\n")
    result = docs.check_runbooks(tmp_path, 90, root=tmp_path)
    assert not result.ok
    assert result.reason == "empty runbook (headings only): scale.md"


def test_an_empty_document_fails_even_without_required_headings(tmp_path: Path) -> None:
    (tmp_path / "orders.md").write_text("\n")
    result = docs.check_documents(tmp_path, [], "spec", tmp_path)
    assert result.reason == "empty spec (headings only): orders.md"


def test_a_required_heading_with_nothing_under_it_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "orders.md").write_text(
        "# Orders\n\n## Overview\n\nWhat orders are.\n\n## Acceptance Criteria\n\n## Notes\n\nx\n"
    )
    result = docs.check_documents(tmp_path, ["Overview", "Acceptance Criteria"], "spec", tmp_path)
    assert result.reason == "empty section: orders.md 'Acceptance Criteria'"


def test_a_required_section_whose_text_is_in_subsections_passes(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("# Guide\n\n## Alerts\n\n### Paging\n\nwho is paged\n")
    assert docs.check_documents(tmp_path, ["Alerts"]).ok
