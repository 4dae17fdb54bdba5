"""Findings travel from a probe to the report: errors fail, warnings show, waivers name keys."""

from __future__ import annotations

from typing import Any

from tests.conftest import ReadinessProject

CHECKS = """
from pytest_readiness.model import Finding, ProbeResult

def lint(name, level, obj):
    return Finding(name, level, "security", obj, f"{name} on {obj}", title=name.replace("_", " "))

FINDINGS = {
    "clean": [lint("extension_in_public", "info", "pg_trgm")],
    "warned": [lint("function_search_path_mutable", "warn", "public.touch()")],
    "failed": [
        lint("rls_disabled_in_public", "error", "public.orders"),
        lint("rls_disabled_in_public", "error", "public.lines"),
        lint("function_search_path_mutable", "warn", "public.touch()"),
    ],
}

@pytest.mark.db("RLS tests: All passing")
@pytest.mark.parametrize("case", FINDINGS)
def test_rls(case, readiness_env, evidence):
    block = readiness_env.vars.get("db_lint_block", [])
    evidence.expect(ProbeResult.judged([], FINDINGS[case], block=block))
"""


def run(project: ReadinessProject, vars_toml: str = "") -> dict[str, Any]:
    project.config(
        f"""
        [tool.readiness.envs.local.vars]
        {vars_toml}
        """
    )
    project.checks(CHECKS)
    project.run()
    return project.report()


def by_case(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"].split("[")[1].rstrip("]"): item for item in report["items"]}


def test_error_findings_fail_the_item_naming_the_objects(project: ReadinessProject) -> None:
    report = run(project)
    failed = by_case(report)["failed"]
    assert failed["outcome"] == "failed"
    assert failed["reason"] == "rls disabled in public: public.orders, public.lines"
    keys = [f["key"] for f in failed["findings"]]
    assert keys == [
        "rls_disabled_in_public:public.orders",
        "rls_disabled_in_public:public.lines",
        "function_search_path_mutable:public.touch()",
    ]
    assert [f["blocking"] for f in failed["findings"]] == [True, True, False]
    assert set(failed["findings"][0]) >= {"key", "level", "category", "object", "detail"}


def test_warn_findings_are_warnings_on_a_passing_item_and_in_the_sentence(
    project: ReadinessProject,
) -> None:
    report = run(project)
    items = by_case(report)
    warned = items["warned"]
    assert warned["outcome"] == "passed"
    notes = [e["summary"] for e in warned["evidence"] if e["kind"] == "warning"]
    assert notes == ["function search path mutable: public.touch()"]
    assert warned["id"] in report["warnings"]
    assert items["clean"]["outcome"] == "passed"
    assert items["clean"]["id"] not in report["warnings"]
    assert items["clean"]["findings"][0]["level"] == "info"


def test_an_environment_can_make_warn_findings_block(project: ReadinessProject) -> None:
    report = run(project, 'db_lint_block = ["warn"]')
    warned = by_case(report)["warned"]
    assert warned["outcome"] == "failed"
    assert warned["reason"] == "function search path mutable: public.touch()"


def test_one_lint_can_be_made_to_block_by_name(project: ReadinessProject) -> None:
    report = run(project, 'db_lint_block = ["function_search_path_mutable"]')
    assert by_case(report)["warned"]["outcome"] == "failed"
    assert by_case(report)["failed"]["reason"] == (
        "rls disabled in public: public.orders, public.lines; "
        "function search path mutable: public.touch()"
    )
