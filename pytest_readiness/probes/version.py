"""The deployed version: the app's version endpoint reports the commit we expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes import git as commits
from pytest_readiness.probes.endpoint import EndpointError, failed, json_body, note, send

VERSION_FIELDS = ("commit", "sha", "git_sha", "revision", "version")
_SHORT_SHA = 7


def head_commit(workspace: Path) -> str:
    """`git rev-parse HEAD` in the workspace; raises `GitError` (a ValueError), one line."""
    return commits.head(workspace)


def reports_version(client: httpx.Client, path: str, expected: str) -> ProbeResult:
    """The JSON (or plain-text) answer of `path` names `expected` (a full or short commit)."""
    try:
        reported = _reported_version(client, path)
    except EndpointError as exc:
        return failed(exc)
    row = note(f"{path} reports {reported}", expected=expected, reported=reported)
    if not reported.strip():
        return ProbeResult.failed(f"{path} reports an empty version", [row])
    if not same_version(reported, expected):
        return ProbeResult.failed(f"{path} reports version {reported}, expected {expected}", [row])
    return ProbeResult.passed([row])


def same_version(reported: str, expected: str) -> bool:
    """Equal, or one commit hash abbreviates the other (at least 7 characters); never empty."""
    a, b = reported.strip().lower(), expected.strip().lower()
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= _SHORT_SHA and longer.startswith(shorter)


def _reported_version(client: httpx.Client, path: str) -> str:
    response = send(client, "GET", path)
    if "json" not in response.headers.get("content-type", ""):
        return response.text.strip()
    payload: Any = json_body(response)
    if isinstance(payload, str):
        return payload
    for name in VERSION_FIELDS:
        if isinstance(payload, dict) and payload.get(name):
            return str(payload[name])
    raise EndpointError(f"{path} has no {' / '.join(VERSION_FIELDS)} field")
