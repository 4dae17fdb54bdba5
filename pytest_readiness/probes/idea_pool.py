"""Idea pool: exactly N suggestions, exactly M of them flagged as wildcards.

The API answers `{"ideas": [{"id", "title", "wildcard": bool}]}` (`suggestions` or a bare
list also accepted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed, get_json, listing, note


def idea_pool(
    client: httpx.Client, path: str, *, suggestions: int = 5, wildcards: int = 1
) -> ProbeResult:
    """Counts match exactly; the reason names the wildcard ids when their count is wrong."""
    try:
        ideas = listing(get_json(client, path), ["ideas", "suggestions"], path)
    except EndpointError as exc:
        return failed(exc)
    wild = [_idea_id(i) for i in ideas if isinstance(i, Mapping) and i.get("wildcard") is True]
    row = note(
        f"{counted(len(ideas), 'suggestion')}, {counted(len(wild), 'wildcard')}",
        "\n".join(_idea_id(i) for i in ideas),
        suggestions=len(ideas),
        wildcards=wild,
    )
    problems: list[str] = []
    if len(ideas) != suggestions:
        problems.append(
            f"{path} returned {counted(len(ideas), 'suggestion')}, expected {suggestions}"
        )
    if len(wild) != wildcards:
        named = f" ({', '.join(wild)})" if wild else ""
        problems.append(f"{counted(len(wild), 'wildcard')}{named}, expected {wildcards}")
    if problems:
        return ProbeResult.failed("; ".join(problems), [row])
    return ProbeResult.passed([row])


def _idea_id(idea: Any) -> str:
    if isinstance(idea, Mapping):
        return str(idea.get("id") or idea.get("title") or "?")
    return "?"
