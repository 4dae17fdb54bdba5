"""Run history in `reports/history/<env>/` and the "since last run" diff, across real runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.model import Item, Outcome, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report.history import entry_of, load_runs, save_run, since_last_run
from pytest_readiness.report.page import render_summary
from tests.conftest import ReadinessProject

# Which items fail is read from a file, so one checklist can change between runs.
CHECKS = """
import json
from pathlib import Path

def broken(name):
    return name in Path(__file__).with_name("broken.txt").read_text().split()

@pytest.mark.gate("Build: PASSING")
def test_build(): assert not broken("build"), "build broke"

@pytest.mark.db("Migrations: All applied")
def test_migrations(): assert not broken("migrations"), "0042_orders pending"

@pytest.mark.infra("Health endpoints: All returning 200")
def test_health(): assert not broken("health"), "/health answered 503"
"""


@pytest.fixture
def checklist(project: ReadinessProject, pytester: pytest.Pytester) -> ReadinessProject:
    project.checks(CHECKS)
    return project


def run_with(project: ReadinessProject, pytester: pytest.Pytester, *broken: str) -> None:
    (pytester.path / "checks" / "broken.txt").write_text(" ".join(broken))
    project.run()


def titles(entries: list[dict[str, object]]) -> list[object]:
    return [entry["title"] for entry in entries]


def test_the_first_run_says_it_is_the_first_and_leaves_one_history_file(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    run_with(checklist, pytester, "health")
    diff = checklist.report()["since_last_run"]
    assert diff["previous"] is None
    assert len(list((pytester.path / "reports" / "history" / "local").glob("run-*.json"))) == 1
    assert "first recorded run for this environment" in checklist.text()


def test_the_diff_names_newly_failing_newly_passing_and_still_failing_items(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    run_with(checklist, pytester, "health")
    run_with(checklist, pytester, "health", "migrations")
    run_with(checklist, pytester, "health", "build")
    diff = checklist.report()["since_last_run"]
    assert diff["previous"]["verdict"] == "NO-GO"
    assert titles(diff["newly_failing"]) == ["Build: PASSING"]
    assert diff["newly_failing"][0]["reason"] == "build broke"
    assert titles(diff["newly_passing"]) == ["Migrations: All applied"]
    [still] = diff["still_failing"]
    assert still["title"] == "Health endpoints: All returning 200"
    assert still["failing_runs"] == 3
    first_run = sorted((pytester.path / "reports" / "history" / "local").glob("run-*.json"))[0]
    summary_line = first_run.read_text().splitlines()[0]
    assert still["failing_since"] == json.loads(summary_line)["started_at"]
    assert [p["passed"] for p in diff["trend"]] == [2, 1, 1]
    markdown = checklist.text(suffix="md")
    assert "## Since last run" in markdown
    assert "| Build: PASSING | newly failing | failed |" in markdown
    assert "| Health endpoints: All returning 200 | still failing (3 runs) | failed |" in markdown


def test_the_html_shows_the_diff_and_an_inline_svg_trend_and_the_terminal_counts_it(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    run_with(checklist, pytester)
    (pytester.path / "checks" / "broken.txt").write_text("migrations")
    result = checklist.run()
    html = checklist.text()
    section = html[html.index('id="readiness-history"') : html.index('id="readiness-checklist"')]
    assert "Newly failing (1)" in section
    assert "<strong>Migrations: All applied</strong> failed &mdash; 0042_orders pending" in section
    assert '<svg role="img" aria-label="Passed items over the last 2 runs: 3 then 2 of 3 now"' in (
        section
    )
    assert section.count("<circle") == 2
    result.stdout.fnmatch_lines(
        ["since last run: 1 newly failing, 0 newly passing, 0 still failing"]
    )


def test_only_the_newest_history_keep_runs_are_kept(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    checklist.config("[tool.readiness]\nhistory_keep = 2\n")
    for broken in ("build", "migrations", "health"):
        run_with(checklist, pytester, broken)
    kept = sorted((pytester.path / "reports" / "history" / "local").glob("run-*.json"))
    assert len(kept) == 2
    diff = checklist.report()["since_last_run"]
    assert [p["passed"] for p in diff["trend"]] == [2, 2]
    assert titles(diff["newly_passing"]) == ["Migrations: All applied"]


def test_each_environment_keeps_its_own_history(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    checklist.config("[tool.readiness.envs.staging]\n")
    run_with(checklist, pytester)
    (pytester.path / "checks" / "broken.txt").write_text("build")
    checklist.run("--env=staging")
    assert checklist.report("staging")["since_last_run"]["previous"] is None
    history: Path = pytester.path / "reports" / "history"
    assert sorted(p.name for p in history.iterdir()) == ["local", "staging"]


def test_a_run_where_nothing_ran_leaves_no_history(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    checklist.run("--collect-only")
    assert not (pytester.path / "reports" / "history" / "local").exists()


def test_an_unreadable_history_file_is_skipped(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    folder = pytester.path / "reports" / "history" / "local"
    folder.mkdir(parents=True)
    (folder / "run-0000.json").write_text("{not json")
    run_with(checklist, pytester)
    assert checklist.report()["since_last_run"]["previous"] is None


def test_still_failing_says_for_how_many_runs_and_how_long() -> None:
    broken = Item(
        id="checks/test_checks.py::test_health",
        title="Health endpoints: All returning 200",
        category="infra",
        phase=3,
        outcome=Outcome.FAILED,
        reason="/health answered 503",
    )
    now = Report(
        env="staging",
        items=(broken,),
        phases=("gate", "db", "infra"),
        started_at="2026-11-25T12:00:00.000Z",
        finished_at="2026-11-25T12:01:00.000Z",
    )
    runs = [
        {"started_at": "2026-11-23T08:00:00.000Z", "items": {broken.id: "passed"}},
        {"started_at": "2026-11-24T10:00:00.000Z", "items": {broken.id: "failed"}},
        {"started_at": "2026-11-25T09:00:00.000Z", "items": {broken.id: "error"}},
    ]
    diff = since_last_run(now, runs)
    [still] = diff["still_failing"]
    assert still["failing_runs"] == 3
    assert still["failing_since"] == "2026-11-24T10:00:00.000Z"
    assert still["failing_for_s"] == 26 * 3600
    page = render_summary(replace(now, extra={"since_last_run": diff}), Redactor())
    assert "(failing for 3 runs, 1 d 2 h, since 2026-11-24T10:00:00.000Z)" in page


def failed_run(started_at: str) -> Report:
    """A run of one item, `a`, that failed."""
    return Report(
        env="staging",
        items=(Item(id="a", title="A", category="gate", phase=1, outcome=Outcome.FAILED),),
        phases=("gate",),
        started_at=started_at,
        finished_at=started_at,
    )


def test_a_run_saved_and_loaded_again_is_the_entry_it_was(tmp_path: Path) -> None:
    entry = entry_of(failed_run("2026-11-25T12:00:00.000Z"))
    save_run(tmp_path, entry, keep=30)
    [run] = load_runs(tmp_path)
    assert dict(run) == entry


def test_the_trend_reads_only_summaries_and_schema_1_files_still_count(tmp_path: Path) -> None:
    """An older run's items are read only when the diff walks back to it: one whose items
    line is damaged still counts in the trend. A schema-1 file (one line) is read whole."""
    old = {
        "schema": 1,
        "started_at": "2026-11-23T08:00:00.000Z",
        "verdict": "GO",
        "counts": {"passed": 1},
        "items": {"a": "passed"},
    }
    (tmp_path / "run-1.json").write_text(json.dumps(old) + "\n")
    damaged = {**old, "schema": 2, "started_at": "2026-11-24T08:00:00.000Z", "verdict": "NO-GO"}
    del damaged["items"]
    (tmp_path / "run-2.json").write_text(json.dumps(damaged) + "\n{not json\n")
    last = {**old, "schema": 2, "started_at": "2026-11-25T08:00:00.000Z", "items": {"a": "failed"}}
    save_run(tmp_path, last, keep=30)
    runs = load_runs(tmp_path)
    assert [run["verdict"] for run in runs] == ["GO", "NO-GO", "GO"]
    assert runs[0]["items"] == {"a": "passed"}
    assert runs[1]["items"] == {}
    diff = since_last_run(failed_run("2026-11-26T08:00:00.000Z"), runs)
    assert [point["started_at"][:10] for point in diff["trend"]] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
    ]
    # Still failing since the last run; the damaged run before it breaks the streak.
    [still] = diff["still_failing"]
    assert (still["failing_runs"], still["failing_since"]) == (2, "2026-11-25T08:00:00.000Z")


DAMAGED = {
    "counts-not-a-table": '{"schema": 2, "started_at": "2026-11-24T08:00:00.000Z", '
    '"verdict": "GO", "counts": "bad"}\n{}\n',
    "count-not-a-number": '{"schema": 2, "started_at": "2026-11-24T08:00:00.000Z", '
    '"verdict": "GO", "counts": {"passed": "many"}}\n{}\n',
    "truncated": '{"schema": 2, "started_at": "2026-11-24T08:0',
    "items-not-a-table": '{"schema": 1, "started_at": "2026-11-24T08:00:00.000Z", '
    '"verdict": "GO", "counts": {"passed": 1}, "items": {"a": ["passed"]}}\n',
}


@pytest.mark.parametrize("text", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_history_file_is_skipped_with_one_warning_line_and_the_report_is_written(
    checklist: ReadinessProject, pytester: pytest.Pytester, text: str
) -> None:
    folder = pytester.path / "reports" / "history" / "local"
    folder.mkdir(parents=True)
    (folder / "run-0000.json").write_text(text)
    (pytester.path / "checks" / "broken.txt").write_text("health")
    result = checklist.run("-q")  # as CI runs it: -q drops warnings, not this one
    assert result.ret == 1  # NO-GO, as the verdict says: not a crash
    report = checklist.report()
    assert report["verdict"] == "NO-GO"
    assert report["since_last_run"]["previous"] is None
    warnings = [line for line in result.outlines if "run-0000.json" in line]
    assert len(warnings) == 1, result.outlines
    assert warnings[0].startswith("history: skipped damaged file")
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_previous_run_whose_items_line_is_cut_off_is_named_in_one_warning_line(
    checklist: ReadinessProject, pytester: pytest.Pytester
) -> None:
    run_with(checklist, pytester, "health")
    [path] = (pytester.path / "reports" / "history" / "local").glob("run-*.json")
    text = path.read_text()
    path.write_text(text[: len(text) - 20])  # the items line, cut short
    result = run_with_result(checklist, pytester, "health")
    assert result.ret == 1
    diff = checklist.report()["since_last_run"]
    assert diff["previous"] is not None  # its summary still counts in the trend
    assert diff["still_failing"] == []  # but nothing is claimed about its items
    warnings = [line for line in result.outlines if path.name in line]
    assert warnings == [f"history: skipped damaged file: {path.name} (items line is not JSON)"]


def run_with_result(
    project: ReadinessProject, pytester: pytest.Pytester, *broken: str
) -> pytest.RunResult:
    (pytester.path / "checks" / "broken.txt").write_text(" ".join(broken))
    return project.run()


def test_a_damaged_history_file_does_not_hide_the_good_runs_around_it(tmp_path: Path) -> None:
    save_run(tmp_path, entry_of(failed_run("2026-11-25T12:00:00.000Z")), keep=30)
    (tmp_path / "run-0000.json").write_text(DAMAGED["count-not-a-number"])
    runs = load_runs(tmp_path)
    assert [run["started_at"] for run in runs] == ["2026-11-25T12:00:00.000Z"]
    diff = since_last_run(failed_run("2026-11-26T08:00:00.000Z"), runs)
    assert diff["skipped"] == ["run-0000.json (counts must be a table of whole numbers)"]
    assert [point["passed"] for point in diff["trend"]] == [0, 0]


def test_a_pending_first_day_line_is_not_failing_since_last_run() -> None:
    pending = Item(
        id="checks/test_post_deploy.py::test_error_rate_every_hour",
        title="Monitor error rates every hour",
        category="infra",
        phase=3,
        outcome=Outcome.PENDING,
        reason="pending: first 24 hours end 2026-11-26T08:00Z",
    )
    now = Report(
        env="production",
        items=(pending,),
        phases=("gate", "db", "infra"),
        started_at="2026-11-25T12:00:00.000Z",
        finished_at="2026-11-25T12:01:00.000Z",
        stage="post",
    )
    runs = [{"started_at": "2026-11-25T11:00:00.000Z", "items": {pending.id: "pending"}}]
    diff = since_last_run(now, runs)
    assert diff["still_failing"] == diff["newly_failing"] == diff["newly_passing"] == []
