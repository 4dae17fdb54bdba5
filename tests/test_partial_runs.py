"""The verdict is about the full checklist: a run that executes less is partial, never GO."""

from __future__ import annotations

import pytest

from tests.conftest import ReadinessProject

GOOD_AND_BAD = """
@pytest.mark.gate("Build: PASSING")
def test_good(): pass

@pytest.mark.gate("Lint: 0 errors")
def test_bad(): assert False, "lint found 3 errors"

@pytest.mark.db("RLS tests: All passing")
def test_rls(): pass

@pytest.mark.infra("Health endpoints: All returning 200")
def test_health(): pass
"""


def _outcomes(project: ReadinessProject) -> dict[str, str]:
    return {item["id"].split("::")[-1]: item["outcome"] for item in project.report()["items"]}


def test_a_node_id_narrowing_is_partial_and_lists_the_unselected_failing_check(
    project: ReadinessProject,
) -> None:
    project.checks(GOOD_AND_BAD, name="test_a")
    result = project.run("checks/test_a.py::test_good")
    report = project.report()
    assert result.ret == 1
    assert report["verdict"] == "NO-GO"
    assert _outcomes(project) == {
        "test_good": "passed",
        "test_bad": "not-selected",
        "test_rls": "not-selected",
        "test_health": "not-selected",
    }
    assert report["selection"] == {
        "args": ["checks/test_a.py::test_good"],
        "selected": 1,
        "total": 4,
    }
    assert report["sentence"].startswith("PARTIAL: 1 of 4 items selected")
    assert "not a release decision" in report["sentence"]
    assert "interrupted" not in report["sentence"]
    result.stdout.fnmatch_lines(["*PARTIAL: 1 of 4 items selected*"])


@pytest.mark.parametrize(
    ("args", "named", "selected"),
    [
        (("-m", "not infra"), ["-m", "not infra"], 4),
        (("-m", "db"), ["-m", "db"], 1),
        (("-k", "good or rls"), ["-k", "good or rls"], 2),
        (
            ("--deselect", "checks/test_a.py::test_bad"),
            ["--deselect", "checks/test_a.py::test_bad"],
            4,
        ),
        (("--ignore", "checks/test_b.py"), ["--ignore", "checks/test_b.py"], 4),
    ],
)
def test_deselecting_options_make_a_partial_run_with_real_outcomes_for_selected_items(
    project: ReadinessProject, args: tuple[str, ...], named: list[str], selected: int
) -> None:
    project.checks(GOOD_AND_BAD, name="test_a")
    project.checks(
        '@pytest.mark.docs("All specs: Complete")\ndef test_specs(): pass\n', name="test_b"
    )
    result = project.run(*args)
    report = project.report()
    assert result.ret == 1
    assert report["verdict"] == "NO-GO"
    assert report["complete"] is True
    assert report["selection"]["args"] == named
    assert report["selection"]["selected"] == selected
    assert report["selection"]["total"] == 5
    outcomes = _outcomes(project)
    assert "not-run" not in outcomes.values()
    assert list(outcomes.values()).count("not-selected") == 5 - selected
    if outcomes["test_bad"] != "not-selected":
        assert outcomes["test_bad"] == "failed"  # a developer still reads which items failed
    assert report["sentence"].startswith(f"PARTIAL: {selected} of 5 items selected")


def test_every_selected_item_passing_is_still_not_go(project: ReadinessProject) -> None:
    project.checks(GOOD_AND_BAD, name="test_a")
    result = project.run("-m", "db")
    assert result.ret == 1
    assert project.report()["verdict"] == "NO-GO"
    assert project.report()["counts"]["not-selected"] == 3


def test_last_failed_after_a_fix_is_partial(project: ReadinessProject) -> None:
    project.checks(GOOD_AND_BAD, name="test_a")
    first = project.pytester.runpytest("--readiness", "-p", "no:hypothesispytest")
    assert first.ret == 1
    fixed = GOOD_AND_BAD.replace('assert False, "lint found 3 errors"', "pass")
    project.checks(fixed, name="test_a")
    result = project.pytester.runpytest("--readiness", "-p", "no:hypothesispytest", "--lf")
    report = project.report()
    assert result.ret == 1
    assert report["verdict"] == "NO-GO"
    assert _outcomes(project)["test_bad"] == "passed"
    assert _outcomes(project)["test_good"] == "not-selected"
    assert report["selection"]["args"] == ["--lf"]


def test_a_deselected_failing_check_stays_its_own_line_with_a_runbook(
    project: ReadinessProject,
) -> None:
    project.pytester.path.joinpath("runbook.md").write_text(
        "# Runbook\n## Code Quality Gates\n- [ ] Build: PASSING\n- [ ] Lint: 0 errors\n"
        "- [ ] Manual review done\n"
    )
    project.config(
        """
        [tool.readiness]
        runbook = "runbook.md"
        [tool.readiness.sections]
        "Runbook" = "ignore"
        [tool.readiness.envs.local]
        manual_blocking = false
        """
    )
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_good(): pass\n'
        '@pytest.mark.gate("Lint: 0 errors")\ndef test_bad(): assert False\n',
        name="test_a",
    )
    result = project.run("--deselect", "checks/test_a.py::test_bad")
    items = project.items()
    assert result.ret == 1
    assert items["Lint: 0 errors"]["outcome"] == "not-selected"
    assert items["Lint: 0 errors"]["id"] == "checks/test_a.py::test_bad"
    assert project.report()["verdict"] == "NO-GO"


def test_running_only_the_post_stage_is_a_full_run_of_that_stage(
    project: ReadinessProject,
) -> None:
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n'
        '@pytest.mark.feature("Smoke tests pass", stage="post")\ndef test_smoke(): pass\n'
    )
    result = project.run("--stage=post")
    report = project.report()
    assert result.ret == 0, result.stdout.str()
    assert report["verdict"] == "GO"
    assert report["selection"] == {"args": [], "selected": 1, "total": 1}


@pytest.mark.parametrize(
    "module",
    [
        "pytest.importorskip('no_such_module_for_readiness')\n",
        "pytest.skip('not today', allow_module_level=True)\n",
    ],
    ids=["importorskip", "module-skip"],
)
def test_a_checklist_module_skipped_at_import_is_a_blocking_error_item(
    project: ReadinessProject, module: str
) -> None:
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    project.checks(module + '@pytest.mark.db("RLS")\ndef test_rls(): pass\n', name="test_skip")
    result = project.run()
    report = project.report()
    assert result.ret == 1
    assert report["verdict"] == "NO-GO"
    errors = [item for item in report["items"] if item["outcome"] == "error"]
    assert [item["id"] for item in errors] == ["checks/test_skip.py"]
    assert errors[0]["blocking"] is True
    assert "checks/test_skip.py" in errors[0]["reason"]
    assert "skipped at import" in errors[0]["reason"]
    assert report["blockers"] == ["checks/test_skip.py"]


def test_a_checklist_module_that_fails_to_import_is_a_no_go_report_not_an_interrupt(
    project: ReadinessProject,
) -> None:
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    project.checks("import no_such_module_for_readiness\n", name="test_broken")
    result = project.run()
    report = project.report()
    assert result.ret == 1
    assert report["verdict"] == "NO-GO"
    assert report["complete"] is True
    broken = {item["id"]: item for item in report["items"]}["checks/test_broken.py"]
    assert broken["outcome"] == "error"
    assert "no_such_module_for_readiness" in broken["reason"]
    assert _outcomes(project)["test_build"] == "passed"


def test_a_checklist_that_cannot_be_collected_at_all_is_a_usage_error(
    project: ReadinessProject,
) -> None:
    project.checks("import no_such_module_for_readiness\n", name="test_broken")
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*test_broken.py*no_such_module_for_readiness*"])
    assert not (project.pytester.path / "reports" / "readiness-local.json").exists()


def test_a_path_outside_the_checklist_is_a_usage_error(project: ReadinessProject) -> None:
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    project.pytester.makepyfile(test_other="def test_x(): pass\n")
    result = project.run("test_other.py")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*test_other.py*outside the checklist folder*"])


def test_env_without_readiness_is_a_warning(project: ReadinessProject) -> None:
    project.pytester.makepyfile(test_other="def test_x(): pass\n")
    result = project.pytester.runpytest("--env=staging", "-p", "no:hypothesispytest")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--env staging has no effect without --readiness*"])


@pytest.mark.parametrize(
    "args",
    [("-m", "db"), ("checks/test_a.py::test_good",), ("--deselect", "checks/test_a.py::test_bad")],
    ids=["marker", "node-id", "deselect"],
)
def test_a_partial_run_under_xdist_reports_the_same_selection(
    project: ReadinessProject, args: tuple[str, ...]
) -> None:
    project.checks(GOOD_AND_BAD, name="test_a")
    project.run(*args)
    alone = project.report()
    result = project.run_subprocess("-n", "2", *args)
    spread = project.report()
    assert result.ret == 1
    assert spread["verdict"] == "NO-GO"
    assert spread["selection"] == alone["selection"]
    assert _outcomes(project) == {
        item["id"].split("::")[-1]: item["outcome"] for item in alone["items"]
    }
    assert spread["sentence"] == alone["sentence"]


def test_a_module_skipped_at_import_under_xdist_is_an_error_item(
    project: ReadinessProject,
) -> None:
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    project.checks("pytest.skip('not today', allow_module_level=True)\n", name="test_skip")
    result = project.run_subprocess("-n", "2")
    report = project.report()
    assert result.ret == 1
    assert report["blockers"] == ["checks/test_skip.py"]
