"""End to end: a team's own runbook gives the report its phases, titles and line identities."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import cli, config
from pytest_readiness.run.session import ReadinessSession
from pytest_readiness.runbook import binding
from tests.conftest import ReadinessProject

DATA = Path(__file__).parent / "data"
TEAM = DATA / "team-release-runbook.md"
CONFIG = """
[tool.readiness]
runbook = "runbook.md"
{extra}

[tool.readiness.sections]
"Pre-flight" = "gate"
"Front-end" = "infra"
"Launch" = "feature"

[tool.readiness.envs.local]
manual_blocking = true
"""
# A db check under "Pre-flight" and a gate check under "Front-end": category and heading differ.
CHECKS = """
@pytest.mark.db("Database migrations reviewed")
def test_migrations(): pass

@pytest.mark.gate("Bundle size within budget")
def test_bundle(): pass

@pytest.mark.feature("Flip the feature flag")
def test_flag(): pass

@pytest.mark.gate("Read the release guide before starting")
def test_guide(): pass
"""
SIGN_OFF = ("--env", "local", "--by", "Ana", "--role", "QA")


@pytest.fixture
def team(project: ReadinessProject, pytester: pytest.Pytester) -> ReadinessProject:
    shutil.copy(TEAM, pytester.path / "runbook.md")
    project.config(CONFIG.format(extra=""))
    project.checks(CHECKS)
    return project


def by_line(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {item["runbook_line"]["line"]: item for item in report["items"]}


def commit_all(path: Path) -> None:
    for args in (
        ["init", "-q"],
        ["config", "user.email", "t@example.com"],
        ["config", "user.name", "T"],
        ["add", "."],
        ["commit", "-qm", "start"],
    ):
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)


def test_the_phases_are_the_runbook_headings_in_order_numbered_without_gaps(team):
    team.run()
    report = team.report()
    assert [(p["order"], p["name"]) for p in report["phases"]] == [
        (1, "Pre-flight"),
        (2, "Front-end"),
        (3, "Launch"),
    ]
    assert [p["title"] for p in report["phases"]] == ["Pre-flight", "Front-end", "Launch"]
    items = team.items()
    migrations = items["Database migrations reviewed"]
    assert (migrations["category"], migrations["phase"]) == ("db", 1)  # a db check, Pre-flight
    bundle = items["Bundle size within budget"]
    assert (bundle["category"], bundle["phase"]) == ("gate", 2)
    assert items["Flip the feature flag"]["phase"] == 3
    assert items["CDN cache headers checked"]["phase"] == 2  # nested under Front-end
    assert [item["phase"] for item in report["items"]] == sorted(
        item["phase"] for item in report["items"]
    )


def test_every_output_titles_phases_with_the_runbook_headings(team, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    team.run("--junitxml=junit.xml")
    page = team.text()
    assert "1. Pre-flight" in page and "2. Front-end" in page and "3. Launch" in page
    assert "Code Quality Gates" not in page and "Infrastructure Readiness" not in page
    junit = (team.pytester.path / "junit.xml").read_text()
    assert 'name="readiness_phase" value="2. Front-end"' in junit
    summary = (tmp_path / "summary.md").read_text()
    assert "| 1. Pre-flight |" in summary and "| 3. Launch |" in summary
    sentence = team.report()["sentence"]
    assert "Code Quality Gates" not in sentence


def test_a_failing_check_names_its_phase_heading_in_the_verdict(team, pytester):
    team.checks(CHECKS.replace("def test_bundle(): pass", "def test_bundle(): assert False"))
    team.run()
    assert "1 blocking item failed in Front-end" in team.report()["sentence"]


def test_fail_fast_names_the_phase_heading_that_failed(team):
    team.checks(CHECKS.replace("def test_migrations(): pass", "def test_migrations(): 1 / 0"))
    team.run("--readiness-fail-fast")
    flag = team.items()["Flip the feature flag"]
    assert flag["outcome"] == "not-run"
    assert "phase 'Pre-flight' had a blocking failure" in flag["reason"]


def test_configured_phases_reorder_the_headings_by_category(team):
    team.config(CONFIG.format(extra='phases = ["feature", "infra", "gate", "db", "docs"]'))
    team.run()
    assert [p["name"] for p in team.report()["phases"]] == ["Launch", "Front-end", "Pre-flight"]
    assert team.items()["Flip the feature flag"]["phase"] == 1


def test_titles_are_plain_text_and_the_html_links_the_runbooks_links(team):
    team.run()
    report = team.report()
    titles = [item["title"] for item in report["items"]]
    assert "Build passes on main" in titles
    assert "Read the LATO guide." in titles
    assert "Confirm the staging smoke test is green" in titles
    assert not any(mark in title for title in titles for mark in ("**", "<", "](", "`"))
    page = team.text()
    checklist = page[page.index('id="readiness-checklist"') :]
    checklist = checklist[: checklist.index("</section>")]
    assert '<a href="https://example.com/guide">release guide</a>' in checklist
    assert "<!--" not in checklist and "LATO -->" not in checklist
    assert "the staging smoke test is <em>green</em>" in checklist  # Markdown's, not raw HTML
    assert "<strong>Build</strong> passes on <code>main</code>" in checklist


def test_the_html_escapes_runbook_markup_it_does_not_render(team, pytester):
    runbook = pytester.path / "runbook.md"
    runbook.write_text(
        runbook.read_text()
        + "- [ ] Check <script>alert(1)</script> and [bad](javascript:alert(1)) links\n"
    )
    team.run()
    page = team.text()
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page
    assert "Check alert(1) and [bad](javascript:alert(1)) links" in team.items()


def test_the_markdown_checklist_keeps_the_teams_markdown(team, pytester):
    runbook = pytester.path / "runbook.md"
    runbook.write_text(runbook.read_text().replace("## Launch", "## *Launch*"))
    team.run()
    assert team.report()["phases"][2]["name"] == "Launch"
    markdown = team.text(suffix="md")
    assert "## *Launch*" in markdown
    assert "- [ ] **Build** passes on `main`" in markdown
    assert "- [x] Read the [release guide](https://example.com/guide) before starting" in markdown
    assert "- [ ] Read the LATO guide<!-- unless not doing a LATO -->." in markdown


def test_identical_lines_under_two_headings_are_two_items_each_with_its_own_sign_off(
    team, pytester
):
    commit_all(pytester.path)
    assert cli.main(["sign-off", "Back-end > Other (treat as last resort)", *SIGN_OFF]) == 0
    team.run()
    lines = by_line(team.report())
    back, front = lines[16], lines[21]
    assert back["title"] == front["title"] == "Other (treat as last resort)"
    assert back["id"] != front["id"]
    assert (back["outcome"], front["outcome"]) == ("signed-off", "manual")
    assert back["signoff"]["valid"]["item"] == "Back-end > Other (treat as last resort)"
    markdown = team.text(suffix="md")
    back_md = markdown[markdown.index("### Back-end") :]
    assert back_md.index("- [x] Other") < back_md.index("### Front-end")
    assert "- [ ] Other (treat as last resort)" in back_md[back_md.index("### Front-end") :]


def test_the_cli_refuses_an_ambiguous_title_listing_the_heading_paths(team, pytester, capsys):
    commit_all(pytester.path)
    assert cli.main(["sign-off", "Other (treat as last resort)", *SIGN_OFF]) == cli.EXIT_REFUSED
    error = capsys.readouterr().err
    assert "'Back-end > Other (treat as last resort)'" in error
    assert "'Front-end > Other (treat as last resort)'" in error
    assert not (pytester.path / "readiness" / "signoffs.toml").exists()


def test_an_ambiguous_sign_off_in_the_file_counts_for_neither_line_and_says_why(team, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "signoffs.toml").write_text(
        '[[signoff]]\nitem = "Other (treat as last resort)"\nenv = "local"\n'
        'commit = "abcdef0"\nby = "J"\nrole = "QA"\nwhen = 2026-11-25T18:00:00Z\n'
    )
    team.run()
    report = team.report()
    [orphan] = report["runbook"]["orphan_signoffs"]
    assert "'Front-end > Other (treat as last resort)'" in orphan["reason"]
    assert by_line(report)[16]["outcome"] == by_line(report)[21]["outcome"] == "manual"


def test_a_waiver_names_one_of_two_identical_lines_by_heading_path(team, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Front-end > Other (treat as last resort)"\nenv = "local"\n'
        'justification = "no front-end change"\naccepted_by = "Ana"\nexpires = 2099-01-01\n'
    )
    team.run()
    lines = by_line(team.report())
    assert (lines[16]["outcome"], lines[21]["outcome"]) == ("manual", "waived")


def test_an_ambiguous_waiver_is_a_usage_error_listing_the_heading_paths(team, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Other (treat as last resort)"\nenv = "local"\n'
        'justification = "x"\naccepted_by = "Ana"\nexpires = 2099-01-01\n'
    )
    result = team.run()
    assert result.ret == 4
    assert "'Back-end > Other (treat as last resort)'" in result.stderr.str()


def test_a_team_declares_its_own_categories_as_markers(team):
    team.config(
        CONFIG.format(extra='categories = ["perf"]').replace(
            '"Launch" = "feature"', '"Launch" = "perf"'
        )
    )
    team.checks(CHECKS.replace('@pytest.mark.feature("Flip', '@pytest.mark.perf("Flip'))
    result = team.run("--strict-markers")
    assert result.ret == 1, result.stdout.str()  # only the manual lines block
    flag = team.items()["Flip the feature flag"]
    assert (flag["category"], flag["phase"], flag["outcome"]) == ("perf", 3, "passed")
    assert team.report()["phases"][2]["name"] == "Launch"
    markers = team.pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.perf(title" in markers


def test_an_undeclared_category_in_sections_is_a_usage_error_naming_it(team):
    team.config(CONFIG.format(extra="").replace('"Launch" = "feature"', '"Launch" = "perf"'))
    result = team.run()
    assert result.ret == 4
    assert "'perf'" in result.stderr.str()


def test_without_a_runbook_the_phases_stay_the_categories(project):
    project.config("[tool.readiness]\n")
    project.checks('@pytest.mark.db("Migrations: dry run")\ndef test_db(): pass\n')
    project.run()
    phases = project.report()["phases"]
    assert [p["name"] for p in phases] == ["gate", "db", "infra", "feature", "docs"]
    assert phases[1]["title"] == "Database Readiness"
    assert project.items()["Migrations: dry run"]["phase"] == 2


@pytest.mark.parametrize(
    ("name", "sections", "phases"),
    [
        (
            "microservice-production-readiness-checklist.md",
            {
                "Table of Contents": "ignore",
                "General Rules": "gate",
                "Documentation": "docs",
                "Testing and Quality": "gate",
                "Observability": "infra",
                "Operations and Resiliency": "infra",
                "Database": "db",
                "Security and Compliance": "infra",
                "Costs": "feature",
                "References": "ignore",
                "Bonus": "ignore",
            },
            [
                "General Rules",
                "Documentation",
                "Testing and Quality",
                "Observability",
                "Operations and Resiliency",
                "Database",
                "Security and Compliance",
                "Costs",
            ],
        ),
        (
            "prc-release-foundations.md",
            {
                "1. How to operate this checklist": "ignore",
                "2. Immediate no-go conditions": "gate",
                "3. Release control record": "docs",
            },
            ["2. Immediate no-go conditions", "3. Release control record"],
        ),
    ],
)
def test_a_public_checklist_reports_in_its_own_headings(project, pytester, name, sections, phases):
    """Every heading with task lines is a phase, numbered 1..N, and titles are plain text."""
    shutil.copy(DATA / name, pytester.path / "runbook.md")
    (pytester.path / "checks").mkdir()
    table = "\n".join(f'"{heading}" = "{value}"' for heading, value in sections.items())
    project.config(
        f'[tool.readiness]\nrunbook = "runbook.md"\n[tool.readiness.sections]\n{table}\n'
    )
    result = project.run()
    assert result.ret == 1, result.stdout.str()  # no check collected: a complete NO-GO
    report = project.report()
    assert report["verdict"] == "NO-GO" and report["counts"]["manual"] == len(report["items"])
    assert [p["name"] for p in report["phases"]] == phases
    assert [p["order"] for p in report["phases"]] == list(range(1, len(phases) + 1))
    assert all(p["items"] for p in report["phases"])
    assert not any(mark in i["title"] for i in report["items"] for mark in ("**", "]("))


def test_phases_follow_the_runbook_not_the_category_order(team):
    team.config(
        CONFIG.format(extra="")
        .replace('"Pre-flight" = "gate"', '"Pre-flight" = "docs"')
        .replace('"Launch" = "feature"', '"Launch" = "gate"')
    )
    team.checks(CHECKS.replace("@pytest.mark.feature(", "@pytest.mark.gate("))
    team.run()
    phases = team.report()["phases"]
    assert [p["name"] for p in phases] == ["Pre-flight", "Front-end", "Launch"]


def test_a_phase_budget_may_name_a_runbook_heading(team):
    team.config(CONFIG.format(extra='phase_budgets = { "Front-end" = 600 }'))
    assert team.run().ret == 1  # accepted: the manual lines block, nothing else
    team.config(CONFIG.format(extra='phase_budgets = { "Frontend" = 600 }'))
    result = team.run()
    assert result.ret == 4
    assert "phase_budgets.Frontend is not a phase" in result.stderr.str()
    assert "Front-end" in result.stderr.str()


def test_workers_report_the_same_heading_phases(team, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    team.run_subprocess()
    sequential = team.report()
    team.run_subprocess("-n", "2")
    parallel = team.report()
    assert parallel["phases"] == sequential["phases"]
    assert [p["name"] for p in parallel["phases"]] == ["Pre-flight", "Front-end", "Launch"]
    phases = {item["id"]: item["phase"] for item in sequential["items"]}
    assert {item["id"]: item["phase"] for item in parallel["items"]} == phases


def test_a_heading_budget_bounds_only_that_headings_phase(team):
    team.config(CONFIG.format(extra='phase_budgets = { "Front-end" = 0.001 }'))
    team.checks(
        "import time\n"
        + CHECKS.replace("def test_bundle(): pass", "def test_bundle(): time.sleep(0.5)")
    )
    team.run()
    items = team.items()
    bundle = items["Bundle size within budget"]
    assert bundle["outcome"] in ("failed", "error")
    assert "phase budget of 0.001 s exceeded" in bundle["reason"]
    assert items["Database migrations reviewed"]["outcome"] == "passed"
    assert items["Flip the feature flag"]["outcome"] == "passed"


def test_fail_fast_does_not_stop_on_a_failure_waived_by_heading_path(team, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Back-end > Other (treat as last resort)"\nenv = "local"\n'
        'justification = "known"\naccepted_by = "Ana"\nexpires = 2099-01-01\n'
    )
    team.checks(CHECKS + '\n@pytest.mark.gate("Other (treat as last resort)")\n'
                "def test_other(): assert False\n")  # fmt: skip
    team.run("--readiness-fail-fast")
    lines = by_line(team.report())
    assert lines[16]["outcome"] == "waived"
    assert team.items()["Flip the feature flag"]["outcome"] == "passed"


def test_a_check_titled_with_the_lines_markdown_is_reported_by_its_plain_text(team):
    team.checks(
        CHECKS.replace(
            '"Read the release guide before starting"',
            '"Read the [release guide](https://example.com/guide) before starting"',
        )
    )
    team.run()
    guide = team.items()["Read the release guide before starting"]
    assert (guide["outcome"], guide["runbook_line"]["line"]) == ("passed", 9)


def test_a_run_that_ends_before_collection_still_reports_every_line_in_its_phase(team, pytester):
    """Interrupted before any check was planned: the manual lines still get heading phases."""
    settings = config.load(pytester.path)
    session = ReadinessSession(
        settings, "local", settings.resolve("local"), report_dir=pytester.path, fail_fast=False
    )
    session.runbook = binding.load_source(settings)
    report = session.build_report(complete=False)
    assert list(report.phases) == ["Pre-flight", "Front-end", "Launch"]
    assert {item.phase for item in report.items} == {1, 2, 3}
