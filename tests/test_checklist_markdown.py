"""The Markdown checklist is the runbook's own checklist, ticked by outcome, verdict on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.model import Outcome
from pytest_readiness.report.checklist import render_checklist
from pytest_readiness.runbook import lines as runbook

SHIPPED = Path(__file__).parent / "data" / "production-deployment-runbook.md"
SOURCE = SHIPPED.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def lines() -> tuple[runbook.RunbookLine, ...]:
    return runbook.load(SHIPPED).checklist("pre")


OUTCOMES = {
    "Build: PASSING": Outcome.PASSED,
    "Lint: 0 errors, 0 warnings": Outcome.FAILED,
    "Accessibility: <5 serious violations": Outcome.WAIVED,
    "CEO approval required": Outcome.SIGNED_OFF,
    "RLS tests: All passing": "error",
    "All specs: Complete": Outcome.MANUAL,
}


def test_the_rendered_checklist_matches_the_runbook_line_by_line(lines):
    rendered = render_checklist(lines, OUTCOMES, verdict="NO-GO").splitlines()
    tasks = [text for text in rendered if text.startswith("- [")]
    assert len(tasks) == len(lines) == 31
    for text, line in zip(tasks, lines, strict=True):
        written = SOURCE[line.line_number - 1]
        if line.step:
            assert written.endswith(text[len("- [x] ") :])
        else:
            assert text.replace("- [x]", "- [ ]") == written


def test_the_headings_are_the_runbooks_in_the_same_order(lines):
    rendered = render_checklist(lines, OUTCOMES, verdict="GO").splitlines()
    headings = [text for text in rendered if text.startswith("#")]
    positions = [SOURCE.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert headings[:3] == [
        "# Production Deployment Runbook",
        "## Pre-Deployment Checklist",
        "### Code Quality Gates",
    ]
    assert headings[-2:] == ["## Deployment Steps", "### Phase 1: Final Validation (30 min)"]


def test_passed_signed_off_and_waived_lines_are_ticked_and_the_rest_are_not(lines):
    rendered = render_checklist(lines, OUTCOMES, verdict="NO-GO")
    assert "- [x] Build: PASSING (`npm run build` exit code 0)" in rendered
    assert "- [x] Accessibility: <5 serious violations (`npm run test:a11y`)" in rendered
    assert "- [x] CEO approval required" in rendered
    assert "- [ ] Lint: 0 errors, 0 warnings (`npm run lint`)" in rendered
    assert "- [ ] RLS tests: All passing" in rendered
    assert "- [ ] All specs: Complete" in rendered
    assert "- [ ] Data integrity: Verified" in rendered
    assert rendered.count("- [x]") == 3


def test_the_verdict_comes_first_then_the_summary(lines):
    rendered = render_checklist(
        lines, OUTCOMES, verdict="NO-GO", summary="NO-GO: 1 blocking item failed in Gates."
    ).splitlines()
    assert rendered[:3] == ["**Verdict: NO-GO**", "", "NO-GO: 1 blocking item failed in Gates."]


def test_notes_follow_their_line(lines):
    rendered = render_checklist(
        lines,
        OUTCOMES,
        verdict="NO-GO",
        notes={"CEO approval required": "signed off by Justin (CEO) on 2026-11-25 18:30 UTC"},
    )
    assert (
        "- [x] CEO approval required — signed off by Justin (CEO) on 2026-11-25 18:30 UTC"
        in rendered
    )
