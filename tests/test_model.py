"""The verdict and its sentence, computed once on the plain-data Report."""

from __future__ import annotations

from pytest_readiness.model import Evidence, Item, Outcome, Report, Verdict
from pytest_readiness.report.history import since_last_run


def _report(*items: Item, **fields: object) -> Report:
    return Report(
        env="staging",
        items=items,
        phases=("gate", "db", "infra", "feature", "docs"),
        started_at="2026-12-01T10:00:00.000Z",
        finished_at="2026-12-01T10:01:00.000Z",
        **fields,  # type: ignore[arg-type]
    )


def _item(title: str, outcome: Outcome, **fields: object) -> Item:
    return Item(
        id=f"checks/test_x.py::{title}",
        title=title,
        category="gate",
        phase=1,
        outcome=outcome,
        **fields,
    )  # type: ignore[arg-type]


def test_a_line_awaiting_sign_off_is_not_called_failed() -> None:
    report = _report(
        _item("Build", Outcome.PASSED),
        _item("CEO approval required", Outcome.MANUAL, reason="awaiting sign-off"),
    )
    assert report.verdict is Verdict.NO_GO
    assert report.sentence == ("NO-GO: 1 blocking line awaits sign-off (CEO approval required).")
    assert report.counts["manual"] == 1


def test_failures_and_lines_awaiting_sign_off_are_told_apart() -> None:
    report = _report(
        _item("Lint", Outcome.FAILED, reason="3 errors"),
        _item("CEO approval required", Outcome.MANUAL),
        _item("Security review", Outcome.MANUAL),
    )
    assert report.sentence == (
        "NO-GO: 1 blocking item failed in Code Quality Gates; "
        "2 blocking lines await sign-off (CEO approval required, Security review)."
    )


def test_go_with_a_warning_says_so_and_names_it() -> None:
    warned = _item(
        "Accessibility",
        Outcome.PASSED,
        evidence=(Evidence("warning", "1 serious violation (image-alt)"),),
    )
    report = _report(_item("Build", Outcome.PASSED), warned)
    assert report.verdict is Verdict.GO
    assert report.sentence == (
        "GO with 1 warning: Accessibility: 1 serious violation (image-alt). "
        "All 2 blocking items passed."
    )
    assert report.warnings == (warned,)


def test_a_non_blocking_failure_is_a_warning_in_the_sentence() -> None:
    report = _report(
        _item("Build", Outcome.PASSED),
        _item("Docs fresh", Outcome.FAILED, blocking=False, reason="README is 120 days old"),
    )
    assert report.sentence == (
        "GO with 1 warning: Docs fresh: README is 120 days old. All 1 blocking items passed."
    )


def test_an_in_progress_report_is_no_go_whatever_its_items_say() -> None:
    report = _report(_item("Build", Outcome.PASSED), in_progress=True)
    assert report.verdict is Verdict.NO_GO
    assert "has not finished" in report.sentence


def test_a_partial_run_is_no_go_even_when_every_selected_item_passed() -> None:
    report = _report(
        _item("Build", Outcome.PASSED),
        _item("Lint", Outcome.NOT_SELECTED),
        selection_args=("-m", "db"),
    )
    assert report.verdict is Verdict.NO_GO
    assert report.blockers == ()
    assert report.sentence == ("PARTIAL: 1 of 2 items selected (-m db); not a release decision.")
    assert report.to_dict()["selection"] == {"args": ["-m", "db"], "selected": 1, "total": 2}


def test_since_last_run_never_calls_a_line_awaiting_sign_off_still_failing() -> None:
    previous = _report(_item("CEO approval required", Outcome.MANUAL))
    runs = [
        {
            "started_at": previous.started_at,
            "verdict": "NO-GO",
            "counts": previous.counts,
            "items": {i.id: str(i.outcome) for i in previous.items},
        }
    ]
    now = _report(_item("CEO approval required", Outcome.MANUAL), _item("Build", Outcome.PASSED))
    diff = since_last_run(now, runs)
    assert diff["still_failing"] == []
    assert diff["newly_failing"] == []
    assert [entry["title"] for entry in diff["new"]] == ["Build"]


def test_counts_call_a_manual_line_awaiting_sign_off_in_the_markdown() -> None:
    from pytest_readiness.redact import Redactor
    from pytest_readiness.report.markdown import render_markdown

    report = _report(_item("CEO approval required", Outcome.MANUAL))
    markdown = render_markdown(report, Redactor(()))
    assert "| awaiting sign-off | 1 |" in markdown
    assert "| manual |" not in markdown


def test_many_warnings_are_counted_and_the_first_two_named() -> None:
    noted = [
        _item(name, Outcome.PASSED, evidence=(Evidence("warning", f"{name} note"),))
        for name in ("A", "B", "C")
    ]
    report = _report(*noted)
    assert report.sentence == (
        "GO with 3 warnings: A: A note; B: B note; +1 more. All 3 blocking items passed."
    )
