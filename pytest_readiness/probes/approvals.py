"""Approvals: the human-in-the-loop flow end to end, on a test approval that is always deleted.

Writes to the target, so callers run it only where the environment allows writes. The API:
`POST {path}` `{"title", "test": true}` -> 201/200 `{"id", "status": "pending"}`;
`GET {path}/{id}` -> `{"status"}`; `POST {path}/{id}/approve` `{"reviewer", "human": true}`;
`DELETE {path}/{id}`.
"""

from __future__ import annotations

from typing import Any

import httpx

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes.endpoint import (
    EndpointError,
    failed,
    field,
    get_json,
    json_body,
    note,
    send,
)

TEST_TITLE = "readiness check: test approval (safe to delete)"


def hitl_flow(client: httpx.Client, path: str, *, reviewer: str = "readiness-check") -> ProbeResult:
    """Create a test approval, see it pending, approve it as a human, see it approved, delete it."""
    return _test_approval(client, path, reviewer=reviewer)


def create_test_approval(client: httpx.Client, path: str) -> ProbeResult:
    """Create a test approval, see it pending, delete it (the flow's first half)."""
    return _test_approval(client, path, reviewer=None)


def _test_approval(client: httpx.Client, path: str, *, reviewer: str | None) -> ProbeResult:
    """A test approval's life, deleted again whatever happens; no reviewer: never approved."""
    steps: list[Evidence] = []
    approval_id: Any = None
    try:
        created = json_body(
            send(client, "POST", path, json={"title": TEST_TITLE, "test": True}, expect=(200, 201))
        )
        approval_id = field(created, ["id"], f"POST {path} answer")
        steps.append(note(f"created test approval {approval_id}", approval_id=approval_id))
        _expect_status(client, f"{path}/{approval_id}", "pending", steps)
        if reviewer is not None:
            send(
                client,
                "POST",
                f"{path}/{approval_id}/approve",
                json={"reviewer": reviewer, "human": True},
                expect=(200, 201, 204),
            )
            steps.append(note(f"approved {approval_id} as {reviewer}"))
            _expect_status(client, f"{path}/{approval_id}", "approved", steps)
    except EndpointError as exc:
        return failed(exc, [*steps, *_delete(client, path, approval_id)])
    return ProbeResult.passed([*steps, *_delete(client, path, approval_id)])


def _expect_status(client: httpx.Client, url: str, wanted: str, steps: list[Evidence]) -> None:
    status = field(get_json(client, url), ["status"], f"GET {url}")
    steps.append(note(f"{url} is {status}", status=status))
    if status != wanted:
        raise EndpointError(f"approval {url} is {status!r}, expected {wanted!r}")


def _delete(client: httpx.Client, path: str, approval_id: Any) -> list[Evidence]:
    if approval_id is None:
        return []
    try:
        send(client, "DELETE", f"{path}/{approval_id}", expect=(200, 202, 204, 404))
    except EndpointError as exc:
        return [Evidence("warning", f"cleanup failed: {exc}")]
    return [note(f"deleted test approval {approval_id}")]
