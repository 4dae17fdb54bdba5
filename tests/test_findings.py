"""Findings travel from a probe to the report: errors fail, warnings show, waivers name keys."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reference.target import database
from tests.conftest import ADMIN_DSN, ReadinessProject

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


# --- finding-level waivers, end to end on real PostgreSQL ----------------------------------

RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
BLOG = """
create table public.content_blog_posts (id int primary key, title text);
alter table public.content_blog_posts enable row level security;
create policy read_all on public.content_blog_posts for select using (true);
create table public.drafts (id int primary key, title text);
alter table public.drafts enable row level security;
create policy read_drafts on public.drafts for select to anon using (true);
"""
RLS_CHECK = """
from pytest_readiness.probes import rls

@pytest.mark.db("RLS tests: All passing")
def test_rls(db, evidence):
    evidence.expect(rls.check_rls(db, ["public"]))
"""
BLOG_KEY = "rls_policy_always_true:public.content_blog_posts"
DRAFTS_KEY = "rls_policy_always_true:public.drafts"


@pytest.fixture
def blog_db() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(BLOG.encode())
        yield url
    finally:
        database.drop(ADMIN_DSN, url)


def waiver(finding: str, expires: str = "2999-01-01") -> str:
    return (
        f'[[waiver]]\nitem = "RLS tests: All passing"\nenv = "local"\nfinding = "{finding}"\n'
        f'justification = "the blog is public by design"\naccepted_by = "Ana (CTO)"\n'
        f"expires = {expires}\n"
    )


def with_waivers(
    project: ReadinessProject, pytester: pytest.Pytester, dsn: str, *waivers: str
) -> None:
    """A runbook project whose RLS check reads `dsn`, with these waiver entries."""
    (pytester.path / "docs").mkdir(exist_ok=True)
    shutil.copy(RUNBOOK, pytester.path / "docs" / "runbook.md")
    (pytester.path / "readiness").mkdir(exist_ok=True)
    (pytester.path / "readiness" / "waivers.toml").write_text("\n".join(waivers))
    project.config(
        f"""
        [tool.readiness]
        runbook = "docs/runbook.md"

        [tool.readiness.envs.local]
        database_url = "{dsn}"
        manual_blocking = false
        """
    )
    project.checks(RLS_CHECK)


def run_waived(
    project: ReadinessProject, pytester: pytest.Pytester, dsn: str, *waivers: str
) -> dict[str, Any]:
    with_waivers(project, pytester, dsn, *waivers)
    project.run()
    return project.items()["RLS tests: All passing"]


def test_a_finding_waiver_for_each_error_passes_the_item_and_lists_them(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    item = run_waived(project, pytester, blog_db, waiver(BLOG_KEY), waiver(DRAFTS_KEY))
    assert (item["outcome"], item["reason"]) == ("passed", "")
    assert {f["key"] for f in item["findings"] if f["waived"]} == {BLOG_KEY, DRAFTS_KEY}
    assert [w["status"] for w in item["finding_waivers"]] == ["applied", "applied"]
    notes = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    assert notes[-2].startswith(f"{BLOG_KEY} waived until 2999-01-01 by Ana (CTO)")
    assert project.report()["verdict"] == "GO"
    assert item["id"] in project.report()["warnings"]


def test_an_item_with_another_unwaived_error_finding_still_fails_naming_only_it(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    item = run_waived(project, pytester, blog_db, waiver(BLOG_KEY))
    assert item["outcome"] == "failed"
    assert "public.drafts" in item["reason"]
    assert project.report()["verdict"] == "NO-GO"


def test_an_expired_finding_waiver_does_nothing_but_is_reported(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    item = run_waived(
        project, pytester, blog_db, waiver(BLOG_KEY, "2020-01-01"), waiver(DRAFTS_KEY)
    )
    assert item["outcome"] == "failed"
    assert [w["status"] for w in item["finding_waivers"]] == ["expired", "applied"]
    assert item["finding_waivers"][0]["note"] == (
        f"finding waiver for {BLOG_KEY} expired on 2020-01-01"
    )


def test_a_waiver_naming_an_unknown_finding_is_shown_not_ignored(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    typo = "rls_policy_always_true:public.content_blog_post"
    item = run_waived(
        project, pytester, blog_db, waiver(typo), waiver(BLOG_KEY), waiver(DRAFTS_KEY)
    )
    assert item["outcome"] == "passed"
    assert item["finding_waivers"][0]["status"] == "unknown"
    notes = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    assert any(typo in note and "did not report" in note for note in notes)


def test_a_finding_waiver_that_is_not_a_key_is_a_usage_error(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    with_waivers(project, pytester, blog_db, waiver("public.content_blog_posts"))
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*entry 1*finding must be a finding key*"])


def test_a_retried_check_carries_only_its_last_attempts_findings(
    project: ReadinessProject,
) -> None:
    project.config("")
    project.checks(
        """
        from pytest_readiness import Retry
        from pytest_readiness.model import Finding, ProbeResult

        ATTEMPTS = []

        @pytest.mark.db("RLS tests: All passing", retry=Retry(attempts=2, backoff=0))
        def test_rls(evidence):
            ATTEMPTS.append(1)
            found = Finding("no_primary_key", "error", "integrity", "public.t", "no key", "no key")
            seen = Finding("extension_in_public", "info", "security", "pg_trgm", "in public")
            evidence.expect(ProbeResult.judged([], [seen, seen, found][: 4 - len(ATTEMPTS)]))
        """
    )
    project.run()
    [item] = project.report()["items"]
    assert item["outcome"] == "passed"
    assert [f["key"] for f in item["findings"]] == ["extension_in_public:pg_trgm"]


def test_fail_fast_does_not_stop_on_a_failure_whose_findings_are_all_waived(
    project: ReadinessProject, pytester: pytest.Pytester, blog_db: str
) -> None:
    with_waivers(project, pytester, blog_db, waiver(BLOG_KEY), waiver(DRAFTS_KEY))
    later = '\n@pytest.mark.infra("Health endpoints: All returning 200")\ndef test_health(): pass\n'
    project.checks(RLS_CHECK + later)
    result = project.run("--readiness-fail-fast")
    items = project.items()
    assert items["RLS tests: All passing"]["outcome"] == "passed"
    assert items["Health endpoints: All returning 200"]["outcome"] == "passed"
    assert result.ret == 0


def test_findings_cross_from_xdist_workers_intact(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    project.config("")
    project.checks(CHECKS)
    project.run_subprocess("-n", "2")
    items = by_case(project.report())
    assert items["failed"]["outcome"] == "failed"
    assert [f["blocking"] for f in items["failed"]["findings"]] == [True, True, False]
    assert items["warned"]["findings"][0]["key"] == "function_search_path_mutable:public.touch()"
