"""The plugin end to end: collection, phase order, verdict, exit status, fail-fast, errors."""

from __future__ import annotations

import pytest

from tests.conftest import ReadinessProject

FIVE_PHASES = """
@pytest.mark.docs("All specs: Complete")
def test_docs(): pass

@pytest.mark.feature("Dashboard: All 8 tiles functional")
def test_dashboard(): pass

@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.infra("Health endpoints: All returning 200")
def test_health(): pass

@pytest.mark.db("RLS tests: All passing")
def test_rls(): pass

@pytest.mark.gate("Lint: 0 errors, 0 warnings")
def test_lint(): pass
"""


def test_items_run_in_phase_order_and_stay_stable_within_a_phase(
    project: ReadinessProject,
) -> None:
    project.checks(FIVE_PHASES)
    result = project.run("-v")
    assert result.ret == 0
    names = [line.split("::")[1].split()[0] for line in result.outlines if " PASSED" in line]
    assert names == [
        "test_build",
        "test_lint",
        "test_rls",
        "test_health",
        "test_dashboard",
        "test_docs",
    ]
    report = project.report()
    assert [i["phase"] for i in report["items"]] == [1, 1, 2, 3, 4, 5]
    assert report["verdict"] == "GO"


def test_configured_phases_change_the_order(project: ReadinessProject) -> None:
    project.config(
        """
        [tool.readiness]
        phases = ["docs", "gate", "db", "infra", "feature"]
        """
    )
    project.checks(FIVE_PHASES)
    result = project.run("--collect-only", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert ids[0].endswith("test_docs")
    assert ids[1].endswith("test_build")
    assert ids[-1].endswith("test_dashboard")


def test_collect_only_lists_items_in_run_order(project: ReadinessProject) -> None:
    project.checks(FIVE_PHASES)
    result = project.run("--collect-only", "-q")
    ids = [line.split("::")[1] for line in result.outlines if "::" in line]
    assert ids == [
        "test_build",
        "test_lint",
        "test_rls",
        "test_health",
        "test_dashboard",
        "test_docs",
    ]


def test_plain_pytest_never_collects_the_checklist(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.checks(FIVE_PHASES)
    pytester.makepyfile(test_own="def test_own(): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "test_build" not in result.stdout.str()
    assert not (pytester.path / "reports").exists()


def test_readiness_mode_collects_only_the_checklist_folder(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.checks(FIVE_PHASES)
    pytester.makepyfile(test_own="def test_own(): assert False")
    result = project.run()
    result.assert_outcomes(passed=6)
    assert result.ret == 0


def test_a_custom_checklist_folder_is_used(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.config('[tool.readiness]\nchecklist = "readiness_checks"\n')
    folder = pytester.mkdir("readiness_checks")
    (folder / "test_x.py").write_text(
        'import pytest\n@pytest.mark.gate("Build: PASSING")\ndef test_x(): pass\n'
    )
    result = project.run()
    result.assert_outcomes(passed=1)
    assert project.report()["items"][0]["title"] == "Build: PASSING"


def test_a_blocking_failure_is_no_go_with_exit_1(project: ReadinessProject) -> None:
    project.checks(
        """
        from pytest_readiness import CheckFailed

        @pytest.mark.gate("Build: PASSING")
        def test_build():
            raise CheckFailed("npm run build exited 2")

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    result = project.run()
    assert result.ret == 1
    report = project.report()
    assert report["verdict"] == "NO-GO"
    assert report["blockers"] == ["checks/test_checks.py::test_build"]
    build = project.items()["Build: PASSING"]
    assert build["outcome"] == "failed"
    assert build["reason"] == "npm run build exited 2"
    assert project.items()["All specs: Complete"]["outcome"] == "passed"


def test_a_failing_non_blocking_item_is_a_warning_and_keeps_go(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.mark.docs("Monitoring guides: Complete", blocking=False)
        def test_guides():
            assert False, "guide is missing its Alerts heading"

        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass
        """
    )
    result = project.run()
    assert result.ret == 0
    report = project.report()
    assert report["verdict"] == "GO"
    assert report["warnings"] == ["checks/test_checks.py::test_guides"]
    assert "warning Monitoring guides: Complete" in result.stdout.str()
    assert project.items()["Monitoring guides: Complete"]["blocking"] is False


def test_a_skipped_blocking_item_is_not_go(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.db("Migration dry-run: Completed on staging")
        def test_dry_run():
            pytest.skip("allow_dry_run is not set for this environment")
        """
    )
    result = project.run()
    assert result.ret == 1
    item = project.items()["Migration dry-run: Completed on staging"]
    assert item["outcome"] == "skipped"
    assert item["reason"] == "allow_dry_run is not set for this environment"
    assert project.report()["verdict"] == "NO-GO"


def test_nothing_collected_exits_5(project: ReadinessProject, pytester: pytest.Pytester) -> None:
    pytester.mkdir("checks")
    result = project.run()
    assert result.ret == 5
    assert project.report()["verdict"] == "NO-GO"


def test_a_check_that_raises_is_one_failed_item_and_the_run_continues(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build():
            {}["missing"]

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        def test_lint(): pass
        """
    )
    result = project.run()
    assert result.ret == 1
    build = project.items()["Build: PASSING"]
    assert build["outcome"] == "failed"
    assert build["reason"] == "KeyError: 'missing'"
    assert "\n" not in build["reason"]
    assert project.items()["Lint: 0 errors, 0 warnings"]["outcome"] == "passed"
    assert "Traceback" not in result.stdout.str()


def test_a_failing_fixture_is_an_error_item_with_a_one_line_reason(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.fixture
        def token():
            raise RuntimeError("vault sealed")

        @pytest.mark.infra("Secrets: All in GitHub Secrets/Vault (none in code)")
        def test_secrets(token): pass

        @pytest.mark.infra("Health endpoints: All returning 200")
        def test_health(): pass
        """
    )
    result = project.run()
    assert result.ret == 1
    secrets = project.items()["Secrets: All in GitHub Secrets/Vault (none in code)"]
    assert secrets["outcome"] == "error"
    assert secrets["reason"] == "RuntimeError: vault sealed"
    assert project.items()["Health endpoints: All returning 200"]["outcome"] == "passed"


def test_fail_fast_records_later_phases_as_not_run_naming_the_phase(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): assert False, "build broke"

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        def test_lint(): pass

        @pytest.mark.db("RLS tests: All passing")
        def test_rls(): pass

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    result = project.run("--readiness-fail-fast")
    assert result.ret == 1
    items = project.items()
    assert items["Lint: 0 errors, 0 warnings"]["outcome"] == "passed"
    for title in ("RLS tests: All passing", "All specs: Complete"):
        assert items[title]["outcome"] == "not-run"
        assert "'gate'" in items[title]["reason"]
    report = project.report()
    assert report["counts"]["not-run"] == 2
    assert report["complete"] is True


def test_without_fail_fast_later_phases_still_run(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): assert False

        @pytest.mark.db("RLS tests: All passing")
        def test_rls(): pass
        """
    )
    project.run()
    assert project.items()["RLS tests: All passing"]["outcome"] == "passed"


def test_a_non_blocking_failure_does_not_trigger_fail_fast(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING", blocking=False)
        def test_build(): assert False

        @pytest.mark.db("RLS tests: All passing")
        def test_rls(): pass
        """
    )
    assert project.run("--readiness-fail-fast").ret == 0
    assert project.items()["RLS tests: All passing"]["outcome"] == "passed"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def test_unmarked(): pass", "test_unmarked has no category marker"),
        (
            '@pytest.mark.gate("Build: PASSING")\n@pytest.mark.db("RLS tests: All passing")\n'
            "def test_twice(): pass",
            "test_twice has 2 category markers (db, gate)",
        ),
        ("@pytest.mark.gate\ndef test_untitled(): pass", "test_untitled: @pytest.mark.gate needs"),
        (
            '@pytest.mark.gate("Build: PASSING", blockng=False)\ndef test_typo(): pass',
            "test_typo: unknown option 'blockng'",
        ),
    ],
    ids=["no-marker", "two-markers", "no-title", "unknown-option"],
)
def test_a_badly_marked_check_is_a_collection_error_naming_the_test(
    project: ReadinessProject, source: str, message: str
) -> None:
    project.checks(source)
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*checklist collection error*", f"*{message}*"])


@pytest.mark.parametrize("timeout", ["0", "-1", "float('nan')", "float('inf')"])
def test_a_marker_timeout_that_would_switch_the_limit_off_is_a_collection_error(
    project: ReadinessProject, timeout: str
) -> None:
    project.checks(
        f'@pytest.mark.gate("Build: PASSING", timeout={timeout})\ndef test_build(): pass'
    )
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*test_build: timeout= must be a positive, finite number of seconds, got *"]
    )


def test_reports_are_written_to_the_configured_folder_and_moved_by_the_option(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.config('[tool.readiness]\nreports = "out"\n')
    project.checks(FIVE_PHASES)
    project.run()
    assert sorted(p.name for p in (pytester.path / "out").iterdir() if p.is_file()) == [
        "readiness-local.html",
        "readiness-local.json",
        "readiness-local.md",
    ]
    project.run("--readiness-report", "elsewhere")
    assert (pytester.path / "elsewhere" / "readiness-local.json").is_file()
    assert not list((pytester.path / "elsewhere").glob(".*"))


def test_the_json_report_follows_the_schema(project: ReadinessProject) -> None:
    project.checks(FIVE_PHASES)
    project.run()
    report = project.report()
    assert report["schema"] == 1
    assert report["env"] == "local"
    assert report["stage"] == "pre"
    assert report["complete"] is True
    assert report["started_at"].endswith("Z") and report["finished_at"].endswith("Z")
    assert report["counts"]["passed"] == 6
    assert set(report["counts"]) >= {
        "passed",
        "failed",
        "error",
        "skipped",
        "not-run",
        "waived",
        "manual",
    }
    assert [p["name"] for p in report["phases"]] == ["gate", "db", "infra", "feature", "docs"]
    assert report["phases"][0] == {
        "name": "gate",
        "title": "Code Quality Gates",
        "order": 1,
        "status": "passed",
        "items": 2,
        "counts": {"passed": 2},
    }
    item = report["items"][0]
    assert set(item) >= {
        "id", "title", "category", "phase", "blocking", "outcome", "reason",
        "duration_s", "started_at", "finished_at", "evidence",
    }  # fmt: skip
    assert item["id"] == "checks/test_checks.py::test_build"


def test_the_markdown_summary_has_verdict_blockers_and_counts(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): assert False, "exited 2"

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    project.run()
    markdown = project.text(suffix="md")
    assert markdown.splitlines()[0] == "# NO-GO: readiness of `local` (pre)"
    assert "| Build: PASSING | failed | exited 2 |" in markdown
    assert "| passed | 1 |" in markdown


def test_the_terminal_summary_names_the_verdict_blockers_and_reports(
    project: ReadinessProject,
) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): assert False, "exited 2"
        """
    )
    result = project.run()
    result.stdout.fnmatch_lines(
        [
            "*readiness: NO-GO (local)*",
            "NO-GO: 1 blocking item failed in Code Quality Gates.",
            "  BLOCKER Build: PASSING: failed - exited 2",
            "reports: *readiness-local.html*readiness-local.json*readiness-local.md",
        ]
    )


def test_an_interrupted_run_is_incomplete_and_no_go(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass

        @pytest.mark.db("RLS tests: All passing")
        def test_rls(): raise KeyboardInterrupt

        @pytest.mark.docs("All specs: Complete")
        def test_docs(): pass
        """
    )
    result = project.run_subprocess()
    assert result.ret == 2
    report = project.report()
    assert report["complete"] is False
    assert report["verdict"] == "NO-GO"
    items = project.items()
    assert items["Build: PASSING"]["outcome"] == "passed"
    assert items["All specs: Complete"]["outcome"] == "not-run"
    assert items["All specs: Complete"]["reason"] == "not run: the run was interrupted"
