"""The HTML report in a real headless Chromium: verdict first, blockers first, escaped evidence."""

from __future__ import annotations

import re

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CHROMIUM, ReadinessProject, chromium_dump_dom

CANARY = (
    "<script>document.body.setAttribute('data-pwned','script')</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">"
)

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest.fixture
def failing_run(project: ReadinessProject, httpserver: HTTPServer) -> ReadinessProject:
    httpserver.expect_request("/api/dashboard").respond_with_data(CANARY)
    project.config(
        f"""
        [tool.readiness.envs.local]
        base_url = "{httpserver.url_for("/").rstrip("/")}"
        """
    )
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build(): pass

        @pytest.mark.feature("Dashboard: All 8 tiles functional")
        def test_dashboard(http, evidence):
            body = http.get("/api/dashboard").text
            evidence.add("note", "dashboard said " + body, body)
            assert False, "dashboard answered " + body

        @pytest.mark.docs("All specs: Complete", blocking=False)
        def test_specs(): assert False, "spec has TODO"
        """
    )
    assert project.run().ret == 1
    return project


def test_evidence_from_a_target_is_escaped_in_the_html(failing_run: ReadinessProject) -> None:
    html = failing_run.text()
    assert "&lt;script&gt;document.body.setAttribute" in html
    assert "<script>document.body.setAttribute" not in html
    assert "<img src=x onerror" not in html


@needs_chromium
def test_chromium_shows_the_verdict_first_and_runs_no_injected_script(
    failing_run: ReadinessProject, pytester: pytest.Pytester
) -> None:
    page = pytester.path / "reports" / "readiness-local.html"
    dom = chromium_dump_dom(page.as_uri(), pytester.path / "chromium-profile")
    body = dom[dom.index("<body") :]
    assert not re.match(r"<body[^>]*data-pwned", body), "an injected script ran"
    first_heading = re.search(r"<h1[^>]*>(.*?)</h1>", body)
    assert first_heading is not None
    assert first_heading.group(1) == "NO-GO: local readiness"
    banner = body.index('id="readiness-verdict"')
    blockers = body.index('id="readiness-blockers"')
    warnings = body.index('id="readiness-warnings"')
    checklist = body.index('id="readiness-checklist"')
    results_table = body.index('id="results-table"')
    assert banner < blockers < warnings < checklist < results_table
    assert '<span class="verdict-text">NO-GO</span>' in body
    blocker_list = body[blockers:warnings]
    assert "Dashboard: All 8 tiles functional" in blocker_list
    assert "Build: PASSING" not in blocker_list


@needs_chromium
def test_a_go_report_says_go_in_chromium(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    assert project.run().ret == 0
    page = pytester.path / "reports" / "readiness-local.html"
    dom = chromium_dump_dom(page.as_uri(), pytester.path / "chromium-profile")
    assert re.search(r"<h1[^>]*>GO: local readiness</h1>", dom)
    assert 'class="readiness-verdict verdict-go"' in dom
    assert "all 1 blocking checks passed" in dom


def test_every_item_shows_category_phase_outcome_reason_and_evidence(
    failing_run: ReadinessProject,
) -> None:
    html = failing_run.text()
    row = html[html.index('id="item-checks-test-checks-py--test-dashboard"') :]
    row = row[: row.index("</details></td></tr>")]
    assert "<td>feature</td>" in row
    assert "4. Feature Completeness" in row
    assert "outcome-failed" in row
    assert "dashboard answered &lt;script&gt;" in row
    assert "<td>GET</td><td>http://" in row
