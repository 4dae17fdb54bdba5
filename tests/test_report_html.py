"""The HTML report in a real headless Chromium: verdict first, blockers first, escaped evidence."""

from __future__ import annotations

import html
import json
import re
from html import unescape
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.report import markup
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
    assert "all 1 blocking items passed" in dom


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


def test_pytest_html_rows_gain_category_phase_runbook_line_and_outcome(
    failing_run: ReadinessProject,
) -> None:
    html = failing_run.text()
    head = html[html.index('<thead id="results-table-head">') :]
    head = head[: head.index("</thead>")]
    headers = [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th.*?</th>", head)]
    assert headers[:6] == [
        "Result",
        "Test",
        "Category",
        "Phase",
        "Runbook line",
        "Outcome",
    ]
    rows = {test["testId"]: test["resultsTableRow"] for test in pytest_html_tests(html)}
    assert rows["checks/test_checks.py::test_dashboard"][2:6] == [
        '<td class="col-category">feature</td>',
        '<td class="col-phase">4. Feature Completeness</td>',
        '<td class="col-runbook">Dashboard: All 8 tiles functional</td>',
        '<td class="col-readiness-outcome">failed</td>',
    ]


def pytest_html_tests(html: str) -> list[dict[str, Any]]:
    blob = re.search(r'data-jsonblob="([^"]*)"', html)
    assert blob is not None
    data = json.loads(unescape(blob.group(1)))
    return [test for tests in data["tests"].values() for test in tests]


def test_above_the_row_limit_pytest_html_draws_no_rows_and_our_table_has_them_all(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_readiness.report.html.PYTEST_HTML_ROW_LIMIT", 1)
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n'
        '@pytest.mark.docs("Docs: Complete")\ndef test_docs(): pass\n'
    )
    assert project.run().ret == 0
    html = project.text()
    assert pytest_html_tests(html) == []
    assert html.count('<tr id="item-') == 2
    assert "left out above 1 items" in html


def test_pytest_html_keeps_every_row_it_shows_while_skipping_passed_setups_and_teardowns(
    project: ReadinessProject,
) -> None:
    """Dropping passed setup/teardown rows early (B1) must not lose an error or teardown log."""
    project.checks(
        """
        @pytest.fixture
        def noisy():
            yield
            print("teardown said goodbye")

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        @pytest.mark.gate("Build: PASSING")
        def test_build(noisy): pass

        @pytest.mark.gate("Lint: 0 warnings")
        def test_lint(broken): pass
        """
    )
    assert project.run().ret == 1
    tests = pytest_html_tests(project.text())
    ids = sorted(test["testId"] for test in tests)
    assert ids == [
        "checks/test_checks.py::test_build",
        "checks/test_checks.py::test_lint::setup",
    ]
    build = next(test for test in tests if test["testId"].endswith("test_build"))
    assert "teardown said goodbye" in build["log"]
    assert build["result"] == "Passed"


def test_pytest_html_draws_only_the_rows_that_add_to_our_table(
    project: ReadinessProject,
) -> None:
    """Every item is in our static table; pytest-html's table repeated each one. It keeps
    the rows that show more than ours: a traceback, captured output or an attachment."""
    project.checks(
        """
        import pytest_html

        @pytest.mark.gate("Build: PASSING")
        def test_quiet(): pass

        @pytest.mark.gate("Lint: 0 warnings")
        def test_printed(): print("lint said hello")

        @pytest.mark.gate("Format: clean")
        def test_attached(extras): extras.append(pytest_html.extras.text("diff", name="diff"))

        @pytest.mark.docs("Docs: Complete", blocking=False)
        def test_failed(): assert False, "spec has TODO"
        """
    )
    assert project.run().ret == 0
    html = project.text()
    shown = sorted(test["testId"].split("::")[-1] for test in pytest_html_tests(html))
    assert shown == ["test_attached", "test_failed", "test_printed"]
    assert html.count('<tr id="item-') == 4  # our table still has every item
    assert "3 items with a traceback, captured output or an attachment" in html
    assert ".summary__data > .run-count" in html  # its counters would count only its rows


def test_a_run_of_quiet_passes_shows_no_pytest_html_table(project: ReadinessProject) -> None:
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n'
        '@pytest.mark.docs("Docs: Complete")\ndef test_docs(): pass\n'
    )
    assert project.run().ret == 0
    html = project.text()
    assert pytest_html_tests(html) == []
    assert html.count('<tr id="item-') == 2
    assert "#results-table { display: none; }" in html


def test_pytest_html_rows_are_chosen_the_same_under_xdist(project: ReadinessProject) -> None:
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_quiet(): pass

        @pytest.mark.gate("Lint: 0 warnings")
        def test_printed(): print("lint said hello")
        """
    )
    assert project.run("-n", "2").ret == 0
    shown = [test["testId"] for test in pytest_html_tests(project.text())]
    assert shown == ["checks/test_checks.py::test_printed"]


@pytest.mark.parametrize(
    "text", ["", "plain title 42", "a&b", "<b>", "x>y", 'say "hi"', "it's", "ü & ö", "&amp;"]
)
def test_the_report_escapes_text_as_html_escape_does(text: str) -> None:
    """The report's escape skips texts with nothing to escape; every other text is escaped
    exactly as `html.escape` escapes it, quotes included."""
    assert markup.escape(text) == html.escape(text)


@pytest.mark.parametrize(
    ("args", "page"),
    [(("--html=elsewhere.html",), "elsewhere.html"), (("-n", "2"), "reports/readiness-local.html")],
    ids=["users-html", "xdist"],
)
def test_a_link_extra_is_escaped_once_on_every_pytest_html_page(
    project: ReadinessProject, args: tuple[str, ...], page: str
) -> None:
    """pytest-html writing to the user's `--html` is the same page with the same script: its
    link extras are escaped there too, a `javascript:` link is dropped, and under xdist they
    are escaped once (by the controller, which writes the page), not once more per worker."""
    project.checks(
        """
        import pytest_html

        @pytest.mark.gate("Build: PASSING")
        def test_build(extras):
            extras.append(pytest_html.extras.url("javascript:window.__pwned='href'",
                                                 name="<img src=x onerror=alert(1)>"))
        """
    )
    assert project.run(*args).ret == 0
    blob = unescape(
        (project.pytester.path / page).read_text()
    )  # the page's data attribute, as read
    assert "javascript:window.__pwned" not in blob
    assert "<img src=x onerror=alert(1)>" not in blob
    assert "&lt;img src=x onerror=alert(1)&gt;" in blob
    assert "&amp;lt;img" not in blob
