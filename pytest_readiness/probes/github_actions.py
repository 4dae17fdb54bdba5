"""GitHub Actions through the REST API: the latest completed run of every active workflow is green.

Endpoints (docs.github.com/rest/actions): `GET /repos/{owner}/{repo}/actions/workflows`
(`{"total_count", "workflows": [{"id", "name", "path", "state", ...}]}`, paginated with
`Link` headers) and `GET /repos/{owner}/{repo}/actions/workflows/{id}/runs?branch=&status=completed`
(`{"total_count", "workflow_runs": [{"conclusion", "html_url", ...}]}`, newest first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._text import first
from pytest_readiness.probes.endpoint import (
    EndpointError,
    display_url,
    failed,
    json_body,
    listing,
    note,
    send,
)

API_VERSION = "2022-11-28"
_MAX_PAGES = 50


def headers(token: str | None) -> dict[str, str]:
    """The request headers GitHub documents for the REST API."""
    out = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def workflows_green(client: httpx.Client, repo: str, branch: str = "main") -> ProbeResult:
    """Every active workflow's latest completed run on `branch` concluded `success`.

    A workflow that never completed a run there is a warning; if none ever did, nothing
    was green, and that fails.
    """
    try:
        workflows = [w for w in _workflows(client, repo) if w.get("state") == "active"]
        if not workflows:
            return ProbeResult.failed(f"{repo} has no active GitHub Actions workflows")
        runs = [(w, _latest_run(client, repo, w, branch)) for w in workflows]
    except EndpointError as exc:
        return failed(exc)
    rows = [_row(w, run, branch) for w, run in runs]
    red = [
        f"{w.get('name')} ({run.get('conclusion')})"
        for w, run in runs
        if run is not None and run.get("conclusion") != "success"
    ]
    never = [str(w.get("name")) for w, run in runs if run is None]
    if len(never) == len(runs):
        reason = f"no completed run on {branch} of any of {len(runs)} active workflows"
        return ProbeResult.failed(f"{reason}: {first(never)}", rows)
    warnings = [f"{name}: no completed run on {branch}" for name in never]
    if red:
        noun = "workflow" if len(red) == 1 else "workflows"
        reason = f"{len(red)} {noun} not green on {branch}: {', '.join(red)}"
        return ProbeResult.failed(reason, rows)
    return ProbeResult.passed(rows, warnings)


def _workflows(client: httpx.Client, repo: str) -> Iterator[Mapping[str, Any]]:
    url: str | None = f"/repos/{repo}/actions/workflows"
    params: dict[str, Any] | None = {"per_page": 100}
    for _ in range(_MAX_PAGES):
        if url is None:
            return
        response = _get(client, url, params)
        yield from listing(json_body(response), ["workflows"], f"workflows of {repo}")
        url, params = response.links.get("next", {}).get("url"), None


def _latest_run(
    client: httpx.Client, repo: str, workflow: Mapping[str, Any], branch: str
) -> Mapping[str, Any] | None:
    url = f"/repos/{repo}/actions/workflows/{workflow.get('id')}/runs"
    params = {"branch": branch, "status": "completed", "per_page": 1}
    runs = listing(json_body(_get(client, url, params)), ["workflow_runs"], f"runs of {url}")
    return runs[0] if runs else None


def _get(client: httpx.Client, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
    response = send(client, "GET", url, params=params, expect=range(100, 600))
    if response.status_code == 200:
        return response
    raise EndpointError(_refusal(response, display_url(client, url)))


def _refusal(response: httpx.Response, url: str) -> str:
    status = response.status_code
    if status in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
        return f"GitHub API rate limit exhausted{_reset_at(response)} ({status} from {url})"
    if status == 429 or (status == 403 and "rate limit" in response.text.lower()):
        return f"GitHub API secondary rate limit hit ({status} from {url})"
    if status == 401:
        return f"GitHub API rejected the token (401 Bad credentials from {url})"
    if status == 403:
        return f"GitHub API refused access (403 from {url}): the token needs actions:read"
    if status == 404:
        return f"GitHub API found no such repository or workflow (404 from {url})"
    return f"GET {url} answered {status}"


def _reset_at(response: httpx.Response) -> str:
    raw = response.headers.get("x-ratelimit-reset", "")
    if not raw.isdigit():
        return ""
    return f" until {datetime.fromtimestamp(int(raw), UTC):%H:%M} UTC"


def _row(workflow: Mapping[str, Any], run: Mapping[str, Any] | None, branch: str) -> Evidence:
    name = str(workflow.get("name"))
    if run is None:
        return note(f"{name}: no completed run on {branch}", workflow=name, conclusion=None)
    conclusion = run.get("conclusion")
    url = str(run.get("html_url", ""))
    return note(f"{name}: {conclusion}", url, workflow=name, conclusion=conclusion, html_url=url)
