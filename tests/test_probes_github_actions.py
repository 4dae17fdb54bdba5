"""GitHub Actions: active workflows' latest completed runs on the branch, through the REST API."""

from __future__ import annotations

from typing import Any

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.github_actions import headers, workflows_green

REPO = "acme/shop"
WORKFLOWS = f"/repos/{REPO}/actions/workflows"


def workflow(wid: int, name: str, state: str = "active") -> dict[str, Any]:
    return {"id": wid, "name": name, "path": f".github/workflows/{name}.yml", "state": state}


def runs_of(server: HTTPServer, wid: int, conclusion: str | None) -> None:
    runs = []
    if conclusion:
        url = f"https://github.com/{REPO}/actions/runs/{wid}0"
        runs = [{"id": wid * 10, "conclusion": conclusion, "html_url": url}]
    server.expect_request(
        f"{WORKFLOWS}/{wid}/runs",
        query_string={"branch": "main", "status": "completed", "per_page": "1"},
    ).respond_with_json({"total_count": len(runs), "workflow_runs": runs})


def api(server: HTTPServer) -> httpx.Client:
    return httpx.Client(base_url=server.url_for("/"), headers=headers("t0ken"))


def test_all_green_passes_with_each_workflow_its_conclusion_and_run_url(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"total_count": 2, "workflows": [workflow(1, "CI"), workflow(2, "E2E")]}
    )
    runs_of(httpserver, 1, "success")
    runs_of(httpserver, 2, "success")
    result = workflows_green(api(httpserver), REPO)
    assert result.ok
    assert [row.summary for row in result.evidence] == ["CI: success", "E2E: success"]
    assert result.evidence[0].data["html_url"] == f"https://github.com/{REPO}/actions/runs/10"


def test_the_token_is_sent_as_documented(httpserver: HTTPServer):
    httpserver.expect_request(
        WORKFLOWS,
        headers={"Authorization": "Bearer t0ken", "Accept": "application/vnd.github+json"},
    ).respond_with_json({"total_count": 1, "workflows": [workflow(1, "CI")]})
    runs_of(httpserver, 1, "success")
    assert workflows_green(api(httpserver), REPO).ok


def test_a_failed_latest_run_fails_naming_the_workflow(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"total_count": 2, "workflows": [workflow(1, "CI"), workflow(2, "E2E")]}
    )
    runs_of(httpserver, 1, "success")
    runs_of(httpserver, 2, "failure")
    result = workflows_green(api(httpserver), REPO)
    assert result.reason == "1 workflow not green on main: E2E (failure)"


def test_pages_are_followed_through_link_headers(httpserver: HTTPServer):
    second = httpserver.url_for(WORKFLOWS) + "?page=2&per_page=1"
    httpserver.expect_request(WORKFLOWS, query_string={"per_page": "100"}).respond_with_json(
        {"total_count": 2, "workflows": [workflow(1, "CI")]},
        headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'},
    )
    page_two = {"page": "2", "per_page": "1"}
    httpserver.expect_request(WORKFLOWS, query_string=page_two).respond_with_json(
        {"total_count": 2, "workflows": [workflow(2, "Deploy")]}
    )
    runs_of(httpserver, 1, "success")
    runs_of(httpserver, 2, "cancelled")
    result = workflows_green(api(httpserver), REPO)
    assert result.reason == "1 workflow not green on main: Deploy (cancelled)"


def test_disabled_workflows_are_ignored(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"workflows": [workflow(1, "CI"), workflow(2, "Old", "disabled_manually")]}
    )
    runs_of(httpserver, 1, "success")
    runs_of(httpserver, 2, "failure")
    result = workflows_green(api(httpserver), REPO)
    assert result.ok
    assert [row.summary for row in result.evidence] == ["CI: success"]


def test_a_workflow_never_run_on_the_branch_is_a_warning(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"total_count": 2, "workflows": [workflow(1, "Release"), workflow(2, "CI")]}
    )
    runs_of(httpserver, 1, None)
    runs_of(httpserver, 2, "success")
    result = workflows_green(api(httpserver), REPO)
    assert result.ok
    assert result.warnings == ("Release: no completed run on main",)


def test_no_active_workflow_at_all_fails(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json({"total_count": 0, "workflows": []})
    reason = workflows_green(api(httpserver), REPO).reason
    assert reason == f"{REPO} has no active GitHub Actions workflows"


def test_bad_credentials_are_one_clear_line(httpserver: HTTPServer):
    bad = {"message": "Bad credentials"}
    httpserver.expect_request(WORKFLOWS).respond_with_json(bad, status=401)
    result = workflows_green(api(httpserver), REPO)
    assert result.reason.startswith("GitHub API rejected the token (401 Bad credentials from ")
    assert "t0ken" not in result.reason


def test_an_exhausted_rate_limit_says_so_and_when_it_resets(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"message": "API rate limit exceeded"},
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225600"},
    )
    result = workflows_green(api(httpserver), REPO)
    assert result.reason.startswith("GitHub API rate limit exhausted until 00:00 UTC (403 from ")


def test_a_secondary_rate_limit_429_says_so(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json({"message": "slow down"}, status=429)
    assert "secondary rate limit" in workflows_green(api(httpserver), REPO).reason


def test_forbidden_without_rate_limit_names_the_permission(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"message": "Resource not accessible"},
        status=403,
        headers={"x-ratelimit-remaining": "4999"},
    )
    assert "needs actions:read" in workflows_green(api(httpserver), REPO).reason


def test_an_unknown_repository_is_named(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json({"message": "Not Found"}, status=404)
    assert "no such repository" in workflows_green(api(httpserver), REPO).reason


def test_an_unreachable_api_is_one_line():
    with httpx.Client(base_url="http://127.0.0.1:9") as client:
        result = workflows_green(client, REPO)
    assert result.reason == f"GET http://127.0.0.1:9{WORKFLOWS} failed: connection refused"


def test_no_workflow_with_a_completed_run_on_the_branch_fails(httpserver: HTTPServer):
    httpserver.expect_request(WORKFLOWS).respond_with_json(
        {"total_count": 2, "workflows": [workflow(1, "CI"), workflow(2, "E2E")]}
    )
    runs_of(httpserver, 1, None)
    runs_of(httpserver, 2, None)
    result = workflows_green(api(httpserver), REPO)
    assert not result.ok
    assert result.reason == "no completed run on main of any of 2 active workflows: CI, E2E"
