"""The HTML report as a person sees it in headless Chromium (Playwright, Debian's chromium).

Screenshots of a GO and a NO-GO page are saved under the test's tmp path and attached to the
pytest-html report of this test run. axe-core comes from the `axe-playwright-python` wheel
(it ships `axe.min.js`, so nothing is fetched at test time).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CHROMIUM, ReadinessProject

# On a developer's machine a missing browser skips these tests; in CI (CI=true) it fails them,
# so a green CI always means the page was checked in a real browser.
if not os.environ.get("CI"):
    pytest.importorskip(
        "playwright.sync_api",
        reason="the browser extra is not installed: pip install -e '.[browser]'",
    )
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

import axe_playwright_python
from playwright import sync_api as playwright_api

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")

CANARY = (
    "<script>window.__pwned = 'script'; alert('script')</script>"
    "<img src=x onerror=\"window.__pwned = 'img'; alert('img')\">"
)

NO_GO_CHECKS = """
@pytest.mark.gate("Build: PASSING")
def test_build(evidence):
    evidence.add("command", "npm run build exited 0", "built in 3 s",
                 command="npm run build", returncode=0, duration_s=3.0)

@pytest.mark.db("Migrations: All applied")
def test_migrations(evidence):
    evidence.add("sql", "2 pending", query="SELECT name FROM migrations WHERE applied = false",
                 columns=["name"], rows=[["0042_orders"], ["0043_refunds"]])
    assert False, "2 migrations pending: 0042_orders, 0043_refunds"

@pytest.mark.feature("Dashboard: All 8 tiles functional")
def test_dashboard(http, evidence):
    body = http.get("/api/dashboard").text
    evidence.add("note", "dashboard said " + body, body)
    assert False, "dashboard answered " + body

@pytest.mark.docs("All specs: Complete", blocking=False)
def test_specs(): assert False, "spec has TODO"
"""

GO_CHECKS = """
@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.infra("Health endpoints: All returning 200")
def test_health(): pass
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@dataclass
class OpenedPage:
    """A report opened in Chromium, with the dialogs it tried to show."""

    page: Any
    dialogs: list[str]
    path: Path


@pytest.fixture
def open_report(browser: Any, pytester: pytest.Pytester) -> Iterator[Any]:
    pages: list[Any] = []

    def open_(javascript: bool = True) -> OpenedPage:
        context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": 1200, "height": 900}
        )
        page = context.new_page()
        pages.append(context)
        dialogs: list[str] = []

        def dismiss(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        path = pytester.path / "reports" / "readiness-local.html"
        page.goto(path.as_uri())
        return OpenedPage(page, dialogs, path)

    yield open_
    for context in pages:
        context.close()


@pytest.fixture
def no_go(project: ReadinessProject, httpserver: HTTPServer) -> ReadinessProject:
    httpserver.expect_request("/api/dashboard").respond_with_data(CANARY)
    project.config(
        f"""
        [tool.readiness.envs.local]
        base_url = "{httpserver.url_for("/").rstrip("/")}"
        """
    )
    project.checks(NO_GO_CHECKS)
    assert project.run().ret == 1
    return project


@pytest.fixture
def go(project: ReadinessProject) -> ReadinessProject:
    project.checks(GO_CHECKS)
    assert project.run().ret == 0
    return project


def attach_screenshot(page: Any, path: Path, extras: list[Any]) -> None:
    import pytest_html

    png = page.screenshot(path=str(path), full_page=True)
    extras.append(pytest_html.extras.png(base64.b64encode(png).decode(), name=path.name))


def test_a_no_go_page_shows_the_verdict_in_red_as_text_and_lists_blockers_first(
    no_go: ReadinessProject, open_report: Any, tmp_path: Path, extras: list[Any]
) -> None:
    opened = open_report()
    page = opened.page
    banner = page.locator("#readiness-verdict")
    assert banner.locator(".verdict-text").inner_text() == "NO-GO"
    assert "2 blocking items failed in Database Readiness, Feature Completeness" in (
        banner.inner_text()
    )
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(252, 232, 230)"
    assert banner.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(179, 38, 30)"
    box = banner.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900, "the verdict is above the fold"
    sections = page.evaluate(
        "() => [...document.querySelectorAll('section[id^=readiness-]')].map(s => s.id)"
    )
    assert sections[:3] == ["readiness-verdict", "readiness-blockers", "readiness-warnings"]
    blockers = page.locator("#readiness-blockers li").all_inner_texts()
    assert [b.split(" failed")[0] for b in blockers] == [
        "Migrations: All applied",
        "Dashboard: All 8 tiles functional",
    ]
    assert page.locator("#readiness-blockers").is_visible()
    attach_screenshot(page, tmp_path / "no-go.png", extras)
    assert (tmp_path / "no-go.png").stat().st_size > 10_000


def test_a_go_page_shows_go_in_green(
    go: ReadinessProject, open_report: Any, tmp_path: Path, extras: list[Any]
) -> None:
    page = open_report().page
    assert page.title() == "GO: local readiness"
    banner = page.locator("#readiness-verdict")
    assert banner.locator(".verdict-text").inner_text() == "GO"
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(230, 244, 234)"
    assert page.locator("#readiness-blockers").count() == 0
    attach_screenshot(page, tmp_path / "go.png", extras)
    assert (tmp_path / "go.png").stat().st_size > 10_000


def test_a_collapsed_phase_expands_when_its_heading_is_clicked(
    no_go: ReadinessProject, open_report: Any
) -> None:
    page = open_report().page
    gates = page.locator("details#phase-1")
    assert "1. Code Quality Gates" in gates.locator("xpath=./summary").inner_text()
    assert "1 passed" in gates.locator("xpath=./summary").inner_text()
    row = gates.locator("tr[data-outcome]")
    assert not row.is_visible(), "a passing phase starts collapsed"
    gates.locator("xpath=./summary").click()
    assert row.is_visible()
    assert "Build: PASSING" in row.inner_text()
    command = row.locator(".evidence-command")
    assert not command.is_visible(), "a passing item's evidence starts folded"
    row.get_by_text("1 evidence entry").click()
    assert "npm run build exit code 0, 3.0 s" in command.inner_text()
    assert command.locator("pre").inner_text() == "built in 3 s"


def test_the_evidence_of_a_failed_item_is_reachable_from_its_blocker(
    no_go: ReadinessProject, open_report: Any
) -> None:
    page = open_report().page
    page.locator("#readiness-blockers li", has_text="Migrations").get_by_text("evidence").click()
    assert page.evaluate("() => location.hash").startswith("#item-")
    target = page.locator(":target")
    assert target.is_visible()
    sql = target.locator(".evidence-sql")
    assert sql.is_visible()
    assert "SELECT name FROM migrations" in sql.inner_text()
    assert sql.locator(".evidence-rows td").all_inner_texts() == ["0042_orders", "0043_refunds"]


def test_a_blocker_in_a_phase_too_big_to_start_open_is_still_reachable(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch, open_report: Any
) -> None:
    monkeypatch.setattr("pytest_readiness.report.page.OPEN_PHASE_LIMIT", 0)
    project.checks(NO_GO_CHECKS.split("@pytest.mark.feature")[0])
    project.run()
    page = open_report().page
    phase = page.locator("details#phase-2")
    assert phase.get_attribute("open") is None
    page.locator("#readiness-blockers li").get_by_text("evidence").click()
    assert phase.get_attribute("open") is not None
    assert page.locator(":target .evidence-sql").is_visible()


def test_a_script_returned_by_the_target_stays_text_and_never_runs(
    no_go: ReadinessProject, open_report: Any
) -> None:
    opened = open_report()
    page = opened.page
    page.wait_for_load_state("load")
    assert opened.dialogs == []
    assert page.evaluate("() => window.__pwned === undefined")
    blocker = page.locator("#readiness-blockers li", has_text="Dashboard").inner_text()
    assert "<script>window.__pwned = 'script'" in blocker


TEST_ID_CANARY = "<img src=x onerror=\"document.title='pwned'; window.__pwned='test id'\">"


def test_a_test_id_in_pytest_htmls_table_shows_as_text_and_never_runs(
    project: ReadinessProject, open_report: Any
) -> None:
    """pytest-html puts the node id into its row cell as HTML and the row in with innerHTML."""
    project.checks(
        f"""
        @pytest.mark.gate("Build: PASSING")
        @pytest.mark.parametrize("target", [pytest.param(1, id={TEST_ID_CANARY!r})])
        def test_build(target): assert False, "exited 2"
        """
    )
    assert project.run().ret == 1
    opened = open_report()
    page = opened.page
    cell = page.locator("#results-table .col-testId").first
    cell.wait_for()  # pytest-html's script has rendered its rows
    # A broken image of the same name has failed to load: an onerror would have run by now.
    page.evaluate(
        "() => new Promise(done => { const i = new Image(); i.onerror = done; i.src = 'x'; })"
    )
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.title() == "NO-GO: local readiness"
    assert page.evaluate("() => document.querySelectorAll('[onerror]').length") == 0
    assert TEST_ID_CANARY in cell.inner_text()


def test_a_link_extra_shows_its_name_as_text_and_cannot_run_script(
    project: ReadinessProject, open_report: Any
) -> None:
    """pytest-html formats link extras (url, json, text) into its links cell unescaped."""
    project.checks(
        f"""
        import pytest_html

        @pytest.mark.gate("Build: PASSING")
        def test_build(extras):
            extras.append(pytest_html.extras.url("javascript:window.__pwned='href'",
                                                 name={TEST_ID_CANARY!r}))
            extras.append(pytest_html.extras.url("https://ci.example/run?a=1&b=2", name="CI run"))
            assert False, "exited 2"
        """
    )
    assert project.run().ret == 1
    page = open_report().page
    links = page.locator("#results-table .col-links a")
    links.first.wait_for()
    page.evaluate(
        "() => new Promise(done => { const i = new Image(); i.onerror = done; i.src = 'x'; })"
    )
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.title() == "NO-GO: local readiness"
    assert links.all_inner_texts() == [TEST_ID_CANARY, "CI run"]
    hrefs = [links.nth(n).get_attribute("href") for n in range(2)]
    assert not hrefs[0].lower().startswith("javascript:")
    assert hrefs[1] == "https://ci.example/run?a=1&b=2"


def test_a_metadata_value_shows_as_text_in_the_environment_table(
    go: ReadinessProject, open_report: Any
) -> None:
    go.run("--metadata", "Build URL", CANARY)
    opened = open_report()
    opened.page.wait_for_load_state("load")
    assert opened.dialogs == []
    assert opened.page.evaluate("() => window.__pwned === undefined")
    row = opened.page.locator("#environment tr", has_text="Build URL")
    assert row.locator("td").nth(1).inner_text() == CANARY


def test_the_summary_is_complete_without_javascript(
    no_go: ReadinessProject, open_report: Any
) -> None:
    page = open_report(javascript=False).page
    assert page.locator("#readiness-verdict .verdict-text").inner_text() == "NO-GO"
    assert page.locator("#readiness-blockers li").count() == 2
    assert page.locator("#readiness-warnings li").count() == 1
    assert page.locator("details#phase-2[open] tr[data-outcome]").first.is_visible()
    assert not page.locator("#readiness-filters").is_visible(), "filters need script"


def test_filtering_the_item_table_by_outcome_hides_the_rest(
    no_go: ReadinessProject, open_report: Any
) -> None:
    page = open_report().page
    page.select_option("#readiness-filter-outcome", "failed")
    visible = page.locator("#readiness-items tr[data-outcome]:visible")
    assert sorted(visible.locator("xpath=./td[1]").all_inner_texts()) == [
        "All specs: Complete (non-blocking)\nchecks/test_checks.py::test_specs",
        "Dashboard: All 8 tiles functional\nchecks/test_checks.py::test_dashboard",
        "Migrations: All applied\nchecks/test_checks.py::test_migrations",
    ]
    assert page.locator("#readiness-filter-status").inner_text() == "3 of 4 items shown"


def test_printing_gives_the_summary_on_at_most_two_pages_without_the_item_table(
    no_go: ReadinessProject, open_report: Any, tmp_path: Path
) -> None:
    page = open_report().page
    page.emulate_media(media="print")
    assert page.locator("#readiness-verdict .verdict-text").is_visible()
    assert page.locator("#readiness-blockers").is_visible()
    assert page.locator("details#phase-2 > summary").is_visible()
    assert not page.locator("#readiness-items table.readiness-items").first.is_visible()
    assert not page.locator("#results-table").is_visible()
    pdf = page.pdf(path=str(tmp_path / "no-go.pdf"), format="A4")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert 1 <= pages <= 2


def test_the_page_has_no_serious_accessibility_violations(
    no_go: ReadinessProject, open_report: Any
) -> None:
    no_go.run()  # a second run, so the page also has the since-last-run diff and its trend
    page = open_report().page
    assert page.locator("#readiness-history svg").count() == 1
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:6]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
