"""The static summary of the HTML report, rendered from a Report built by hand."""

from __future__ import annotations

import pytest

from pytest_readiness.model import Evidence, Item, Outcome, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report.page import PytestHtmlTable, render_summary

PHASES = ("gate", "db", "infra", "feature", "docs")


def item(name: str, category: str, phase: int, outcome: Outcome, **kwargs: object) -> Item:
    return Item(
        id=f"checks/test_checks.py::test_{name}",
        title=kwargs.pop("title", f"{name.title()}: OK"),  # type: ignore[arg-type]
        category=category,
        phase=phase,
        outcome=outcome,
        **kwargs,  # type: ignore[arg-type]
    )


def report(*items: Item, **extra: object) -> Report:
    return Report(
        env="staging",
        items=items,
        phases=PHASES,
        started_at="2026-11-25T10:00:00.000Z",
        finished_at="2026-11-25T10:01:00.000Z",
        commit="abc123",
        duration_s=60.0,
        extra=extra,
    )


NO_GO = report(
    item("build", "gate", 1, Outcome.PASSED),
    item("migrations", "db", 2, Outcome.FAILED, reason="2 migrations pending: 0042_orders"),
    item("specs", "docs", 5, Outcome.FAILED, blocking=False, reason="spec has TODO"),
)


def section_order(html: str) -> list[str]:
    names = ["verdict", "blockers", "warnings", "approvals", "history", "checklist"]
    found = {name: html.find(f'id="readiness-{name}"') for name in names}
    return [name for name in sorted(found, key=found.__getitem__) if found[name] >= 0]


def test_the_page_reads_verdict_then_blockers_then_warnings_then_the_phases() -> None:
    html = render_summary(NO_GO, Redactor())
    assert section_order(html) == ["verdict", "blockers", "warnings", "checklist"]
    banner = html[: html.index('id="readiness-blockers"')]
    assert 'class="readiness-verdict verdict-no-go"' in banner
    assert '<span class="verdict-text">NO-GO</span>' in banner
    assert "NO-GO: 1 blocking item failed in Database Readiness." in banner
    for fact in ("staging", "abc123", "2026-11-25T10:00:00.000Z", "60.0 s"):
        assert f"<dd>{fact}</dd>" in banner


def test_a_blocker_shows_its_reason_and_links_to_the_row_with_its_evidence() -> None:
    html = render_summary(NO_GO, Redactor())
    blockers = html[html.index('id="readiness-blockers"') : html.index('id="readiness-warnings"')]
    assert "<strong>Migrations: OK</strong>" in blockers
    assert "2 migrations pending: 0042_orders" in blockers
    assert 'href="#item-checks-test-checks-py--test-migrations"' in blockers
    assert '<tr id="item-checks-test-checks-py--test-migrations"' in html
    assert "Build" not in blockers


def test_sign_offs_and_waivers_come_from_item_extra() -> None:
    signed = item(
        "backup",
        "infra",
        3,
        Outcome.SIGNED_OFF,
        extra={"signoff": {"by": "Dana (SRE)", "at": "2026-11-24", "note": "restore drill ok"}},
    )
    waived = item("lint", "gate", 1, Outcome.WAIVED, extra={"waiver": "expires 2026-12-01"})
    html = render_summary(report(signed, waived), Redactor())
    approvals = html[
        html.index('id="readiness-approvals"') : html.index('id="readiness-checklist"')
    ]
    assert "<td>Backup: OK</td><td>Sign-off</td>" in approvals
    assert "by: Dana (SRE); at: 2026-11-24; note: restore drill ok" in approvals
    assert "<td>Lint: OK</td><td>Waiver</td><td>expires 2026-12-01</td>" in approvals


def test_no_sign_off_section_when_no_item_has_one() -> None:
    assert 'id="readiness-approvals"' not in render_summary(NO_GO, Redactor())


def test_a_failed_phase_is_open_and_a_passed_phase_is_collapsed_with_its_counts() -> None:
    html = render_summary(NO_GO, Redactor())
    assert '<details class="phase phase-passed" id="phase-1">' in html
    assert '<details class="phase phase-failed" id="phase-2" open>' in html
    gates = html[html.index('id="phase-1"') : html.index('id="phase-2"')]
    assert "1. Code Quality Gates" in gates
    assert "1 item: 1 passed" in gates
    assert 'id="phase-3"' not in html, "a phase with no items is not listed"


def test_a_failed_phase_too_big_to_lay_out_at_once_starts_collapsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pytest_readiness.report.page.OPEN_PHASE_LIMIT", 0)
    html = render_summary(NO_GO, Redactor())
    assert '<details class="phase phase-failed" id="phase-2">' in html


def test_every_item_row_has_category_phase_runbook_line_and_outcome() -> None:
    html = render_summary(NO_GO, Redactor())
    row = html[html.index('<tr id="item-checks-test-checks-py--test-specs"') :]
    row = row[: row.index("</tr>")]
    assert 'data-outcome="failed" data-category="docs"' in row
    assert "Specs: OK" in row and "(non-blocking)" in row
    assert "<td>docs</td><td>5. Documentation Completeness</td>" in row
    assert '<span class="outcome outcome-failed">failed</span>' in row


def test_the_filter_form_is_hidden_until_its_script_shows_it() -> None:
    html = render_summary(NO_GO, Redactor())
    assert '<form id="readiness-filters" class="readiness-filters" hidden' in html
    assert '<option value="failed">failed</option>' in html
    assert '<option value="skipped">' not in html, "only outcomes that occur are offered"


def test_a_secret_in_a_reason_or_evidence_is_masked_on_the_page() -> None:
    leaky = item(
        "deploy",
        "infra",
        3,
        Outcome.FAILED,
        reason="login with hunter2-token refused",
        evidence=(Evidence("command", "deploy", "token=hunter2-token", {"returncode": 1}),),
    )
    html = render_summary(report(leaky), Redactor(["hunter2-token"]))
    assert "hunter2-token" not in html
    assert "login with *** refused" in html


def test_a_run_too_big_for_pytest_html_says_so_and_hides_its_empty_table() -> None:
    html = render_summary(NO_GO, Redactor(), pytest_html=PytestHtmlTable(0, limit=1000))
    assert "left out above 1000 items" in html
    assert "#results-table { display: none; }" in html
    assert "#results-table" not in render_summary(NO_GO, Redactor())


def test_pytest_html_table_with_rows_stays_and_only_its_counters_are_hidden() -> None:
    html = render_summary(NO_GO, Redactor(), pytest_html=PytestHtmlTable(1))
    assert "shows the 1 item with a traceback" in html
    assert ".summary__data > .filter { display: none; }" in html
    assert "#results-table" not in html
