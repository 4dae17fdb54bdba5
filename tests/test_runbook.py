"""The runbook's checklist is read line by line and checks bind to it by title."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_readiness.runbook import lines as runbook
from pytest_readiness.runbook.lines import (
    Check,
    DoubleBinding,
    SectionsError,
    UnboundCheck,
    UnknownTitle,
)

DATA = Path(__file__).parent / "data"
SHIPPED = DATA / "production-deployment-runbook.md"
PUBLIC_CHECKLISTS = [
    DATA / "microservice-production-readiness-checklist.md",
    DATA / "prc-release-foundations.md",
]
TASK_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+\S")


def task_line_numbers(path: Path) -> list[int]:
    """Line numbers of task-list lines, found the plain way, to compare with the parser."""
    text = path.read_text(encoding="utf-8").splitlines()
    return [number for number, line in enumerate(text, start=1) if TASK_LINE.match(line)]


@pytest.fixture(scope="module")
def shipped() -> runbook.Runbook:
    return runbook.load(SHIPPED)


def test_every_task_line_of_the_shipped_runbook_is_found_in_order(shipped):
    found = [line.line_number for line in shipped.lines if not line.step]
    assert found == task_line_numbers(SHIPPED)
    assert len(found) == 39


@pytest.mark.parametrize("path", PUBLIC_CHECKLISTS, ids=lambda p: p.stem)
def test_every_task_line_of_a_public_checklist_is_found(path):
    parsed = runbook.parse(path.read_text(encoding="utf-8"), sections={})
    required = [line for line in parsed.lines if not line.optional]
    assert [line.line_number for line in required] == task_line_numbers(path)
    raw = path.read_text(encoding="utf-8").splitlines()
    for line in required:
        assert line.markdown.split()[0] in raw[line.line_number - 1]


def test_a_nested_task_line_keeps_its_heading_path():
    parsed = runbook.parse(
        (DATA / "microservice-production-readiness-checklist.md").read_text(encoding="utf-8"),
        sections={"Security and Compliance": "infra"},
    )
    nested = parsed.find("Authentication/Authorization in place if needed / JWT / Cognito / Auth0")
    assert nested is not None
    assert nested.heading_path[-1] == "Security and Compliance"
    assert nested.category == "infra"


def test_lines_carry_their_heading_path_category_and_line_number(shipped):
    build = shipped.require("Build: PASSING")
    assert build.heading_path == (
        "Production Deployment Runbook",
        "Pre-Deployment Checklist",
        "Code Quality Gates",
    )
    assert (build.line_number, build.category, build.stage) == (11, "gate", "pre")
    assert build.text == "Build: PASSING (npm run build exit code 0)"
    assert build.markdown == "Build: PASSING (`npm run build` exit code 0)"
    assert shipped.require("RLS tests: All passing").category == "db"
    assert shipped.require("Health endpoints: All returning 200").category == "infra"
    assert shipped.require("CX: Chatwoot integrated").category == "feature"
    assert shipped.require("Troubleshooting guides: Ready").category == "docs"


def test_each_default_section_holds_the_runbook_lines_under_it(shipped):
    counts = {}
    for line in shipped.checklist("pre"):
        counts[line.section] = counts.get(line.section, 0) + 1
    assert counts == {"gate": 8, "db": 5, "infra": 5, "feature": 7, "docs": 6}


def test_a_numbered_step_that_says_required_is_a_manual_line(shipped):
    approval = shipped.require("CEO approval required")
    assert approval.step
    assert approval.line_number == 64
    assert approval.heading_path[-2:] == ("Deployment Steps", "Phase 1: Final Validation (30 min)")
    steps = [line.text for line in shipped.checklist() if line.step]
    assert steps == ["CEO approval required"]


def test_post_deployment_lines_map_to_the_post_stage(shipped):
    post = shipped.checklist("post")
    assert [line.text for line in post][:2] == [
        "Monitor error rates every hour",
        "Check performance metrics every 2 hours",
    ]
    assert len(post) == 9
    assert all(line.category is None for line in post)


def test_sections_config_can_ignore_a_section_and_remap_another():
    sections = runbook.sections_from_config(
        {"First Week": "ignore", "Feature Completeness": "infra"}
    )
    parsed = runbook.load(SHIPPED, sections)
    assert parsed.find("Weekly retrospective") is None
    assert parsed.unmapped == ()
    assert parsed.find("Monitor error rates every hour") is not None
    assert parsed.require("CX: Chatwoot integrated").category == "infra"


def test_a_section_mapped_to_an_unknown_value_is_refused_naming_the_heading():
    with pytest.raises(SectionsError, match=r"'First Week'.*'later'"):
        runbook.sections_from_config({"First Week": "later"})


def test_lines_under_unmapped_headings_are_listed_as_unmapped():
    parsed = runbook.parse("# Ops\n\n## Misc\n\n- [ ] Pager works\n", sections={"Ops": "ignore"})
    assert parsed.checklist() == ()
    other = runbook.parse("# Ops\n\n## Misc\n\n- [ ] Pager works\n", sections={})
    assert [line.text for line in other.unmapped] == ["Pager works"]


def test_checked_boxes_are_read_and_plain_bullets_are_not_lines():
    text = "## Code Quality Gates\n\n- [x] Build: PASSING\n- [X] Lint: clean\n- [ ] Tests\n- Note\n"
    parsed = runbook.parse(text)
    assert [(line.text, line.checked) for line in parsed.lines] == [
        ("Build: PASSING", True),
        ("Lint: clean", True),
        ("Tests", False),
    ]


def test_a_task_line_wrapped_over_two_lines_is_one_line_of_text():
    parsed = runbook.parse("## Code Quality Gates\n\n- [ ] Build:\n  PASSING everywhere\n")
    assert [line.text for line in parsed.lines] == ["Build: PASSING everywhere"]


@pytest.mark.parametrize(
    ("written", "title"),
    [
        ("Build: PASSING (`npm run build` exit code 0)", "Build: PASSING"),
        ("Build: PASSING (`npm run build` exit code 0)", "build:   passing."),
        ("Lint: 0 errors, 0 warnings (`npm run lint`)", "Lint: 0 errors, 0 warnings"),
        ("**Linters** (with reports)", "Linters (with reports)"),
        ("Run `make check` twice", "run make check twice"),
        (
            "Secrets: All in GitHub Secrets/Vault (none in code)",
            "secrets: all in github secrets/vault (none in code)!",
        ),
    ],
)
def test_titles_match_ignoring_markup_case_whitespace_and_trailing_commands(written, title):
    assert runbook.normalise(written) == runbook.normalise(title)


def test_a_parenthesised_part_without_code_is_part_of_the_title():
    assert runbook.normalise("Secrets: All in Vault (none in code)") != runbook.normalise(
        "Secrets: All in Vault"
    )


def test_an_unknown_title_names_the_closest_runbook_line(shipped):
    with pytest.raises(
        UnknownTitle, match=r"closest runbook line: 'CEO approval required' \(line 64\)"
    ):
        shipped.require("CEO aproval requird")


def bind_shipped(shipped, *checks):
    return runbook.bind(shipped, checks, stage="pre")


def test_bound_lines_come_in_runbook_order_automated_or_manual(shipped):
    binding = bind_shipped(
        shipped,
        Check("RLS tests: All passing", "checks/test_db.py::test_rls", "db"),
        Check("Build: PASSING", "checks/test_gates.py::test_build", "gate"),
    )
    assert not binding.errors
    assert [b.line.line_number for b in binding.lines] == [
        line.line_number for line in shipped.checklist("pre")
    ]
    first = binding.lines[0]
    assert first.automated and first.checks[0].nodeid == "checks/test_gates.py::test_build"
    assert "automated by checks/test_gates.py::test_build" in first.describe()
    assert binding.lines[1].describe().endswith("manual: not automated, needs sign-off")
    assert len(binding.manual) == 29
    assert binding.line_of["checks/test_db.py::test_rls"].line_number == 23


def test_a_check_matching_no_line_is_an_error_naming_it_and_the_closest_line(shipped):
    binding = bind_shipped(
        shipped, Check("Buld: PASING", "checks/test_gates.py::test_build", "gate")
    )
    [error] = binding.errors
    assert isinstance(error, UnboundCheck)
    assert "checks/test_gates.py::test_build" in str(error)
    assert "'Buld: PASING'" in str(error)
    assert "closest runbook line: 'Build: PASSING (npm run build exit code 0)' (line 11)" in str(
        error
    )
    assert binding.errors_for("checks/test_gates.py::test_build") == (error,)
    assert binding.lines[0].automated is False


def test_parametrizations_of_one_test_may_share_a_line(shipped):
    binding = bind_shipped(
        shipped,
        Check("Health endpoints: All returning 200", "checks/t.py::test_health[/health]", "infra"),
        Check("Health endpoints: All returning 200", "checks/t.py::test_health[/api]", "infra"),
    )
    assert not binding.errors
    [health] = [b for b in binding.lines if b.line.line_number == 32]
    assert len(health.checks) == 2


def test_two_different_test_functions_on_one_line_is_an_error(shipped):
    binding = bind_shipped(
        shipped,
        Check("Health endpoints: All returning 200", "checks/a.py::test_health", "infra"),
        Check("health endpoints: all returning 200", "checks/b.py::test_status", "infra"),
    )
    [error] = binding.errors
    assert isinstance(error, DoubleBinding)
    assert "checks/a.py::test_health" in str(error) and "checks/b.py::test_status" in str(error)
    assert binding.errors_for("checks/b.py::test_status") == (error,)


def test_a_check_may_have_another_category_than_the_heading_of_its_line(shipped):
    binding = bind_shipped(
        shipped, Check("RLS tests: All passing", "checks/t.py::test_rls", "gate")
    )
    assert not binding.errors
    line = binding.line_of["checks/t.py::test_rls"]
    assert (line.category, line.phase_path[-1]) == ("db", "Database Readiness")


def test_a_check_may_bind_to_a_post_deployment_line_outside_the_pre_stage(shipped):
    binding = bind_shipped(shipped, Check("Document any issues", "checks/post.py::test_issues"))
    assert not binding.errors
    assert binding.line_of["checks/post.py::test_issues"].stage == "post"
    assert all(b.line.stage == "pre" for b in binding.lines)


def test_a_numbered_step_saying_not_required_is_not_a_line():
    parsed = runbook.parse(
        "## Deployment Steps\n\n1. Sign-off not required for hotfixes\n2. QA sign-off Required\n"
    )
    assert [line.text for line in parsed.checklist()] == ["QA sign-off Required"]


def test_an_optional_numbered_step_is_listed_only_when_a_check_automates_it():
    parsed = runbook.parse(
        "## Deployment Steps\n\n1. Verify embedding works\n2. Deploy to production\n"
        "3. CEO approval required\n",
        sections={"Deployment Steps": "docs"},
    )
    assert [line.text for line in parsed.checklist()] == ["CEO approval required"]
    checks = [runbook.Check("Verify embedding works", "checks/test_x.py::test_embed", "infra")]
    bound = runbook.bind(parsed, checks)
    assert bound.errors == ()
    assert [(b.line.text, b.automated) for b in bound.lines] == [
        ("Verify embedding works", True),
        ("CEO approval required", False),
    ]


TEAM = DATA / "team-release-runbook.md"
TEAM_SECTIONS = {"Pre-flight": "gate", "Front-end": "infra", "Launch": "feature"}


@pytest.fixture(scope="module")
def team() -> runbook.Runbook:
    return runbook.load(TEAM, TEAM_SECTIONS)


def test_a_line_is_its_rendered_plain_text_and_keeps_the_teams_markdown(team):
    texts = [line.text for line in team.checklist()]
    assert texts[:4] == [
        "Build passes on main",
        "Read the release guide before starting",
        "Read the LATO guide.",
        "Confirm the staging smoke test is green",
    ]
    assert team.lines[1].markdown == (
        "Read the [release guide](https://example.com/guide) before starting"
    )
    assert team.lines[2].markdown == "Read the LATO guide<!-- unless not doing a LATO -->."


def test_a_title_binds_a_marked_up_line_by_its_plain_text_or_its_markdown(team):
    for title in (
        "Read the release guide before starting",
        "Read the [release guide](https://example.com/guide) before starting",
        "Read the LATO guide",
        "build passes on main",
        "**Build** passes on `main`",
    ):
        assert team.find(title) is not None, title


def test_headings_are_plain_text_too():
    parsed = runbook.parse(
        "## The **Launch** [plan](https://x.test)\n\n- [ ] Go\n", {"The Launch plan": "gate"}
    )
    [line] = parsed.checklist()
    assert (line.heading_path, line.category) == (("The Launch plan",), "gate")


def test_a_line_belongs_to_its_nearest_mapped_heading(team):
    phases = {line.text: line.phase_path[-1] for line in team.checklist()}
    assert phases["Build passes on main"] == "Pre-flight"
    assert phases["Database migrations reviewed"] == "Pre-flight"  # Back-end: not mapped
    assert phases["Bundle size within budget"] == "Front-end"  # mapped itself
    assert phases["CDN cache headers checked"] == "Front-end"  # nested task
    assert phases["Flip the feature flag"] == "Launch"
    assert team.find("Database migrations reviewed").category == "gate"


def test_identical_lines_under_two_headings_are_named_by_heading_path(team):
    pool = team.checklist()
    both = runbook.resolve("Other (treat as last resort)", pool)
    assert [line.line_number for line in both] == [16, 21]
    assert [runbook.name_of(line, pool) for line in both] == [
        "Back-end > Other (treat as last resort)",
        "Front-end > Other (treat as last resort)",
    ]
    [front] = runbook.resolve("Front-end > Other (treat as last resort)", pool)
    assert front.line_number == 21
    assert runbook.resolve("Pre-flight > Front-end > other (treat as last resort).", pool) == (
        front,
    )
    assert runbook.name_of(team.find("Flip the feature flag"), pool) == "Flip the feature flag"


def test_an_ambiguous_title_is_refused_listing_each_line_by_heading_path(team):
    with pytest.raises(runbook.AmbiguousTitle) as refused:
        team.require("Other (treat as last resort)")
    message = str(refused.value)
    assert "'Back-end > Other (treat as last resort)'" in message
    assert "'Front-end > Other (treat as last resort)'" in message
    assert team.require("Back-end > Other (treat as last resort)").line_number == 16


def test_a_check_binds_one_of_two_identical_lines_by_heading_path(team):
    binding = runbook.bind(
        team, [Check("Front-end > Other (treat as last resort)", "checks/t.py::test_other")]
    )
    assert not binding.errors
    assert binding.line_of["checks/t.py::test_other"].line_number == 21
    manual = [line.line_number for line in binding.manual if line.text.startswith("Other")]
    assert manual == [16]


def test_a_team_may_map_headings_to_its_own_categories():
    with pytest.raises(SectionsError, match="perf"):
        runbook.sections_from_config({"Load": "perf"})
    sections = runbook.sections_from_config({"Load": "perf"}, categories=["perf"])
    parsed = runbook.parse("## Load\n\n- [ ] p95 under 300 ms\n", sections)
    assert parsed.checklist()[0].category == "perf"
