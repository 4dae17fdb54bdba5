"""The `local` environment exactly as pyproject.toml ships it, for tests that build a project.

Tests that run checks against a reference target of their own write these values into their
own `[tool.readiness.envs.local]`, so they test the shipped settings, not a copy of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_readiness.config import load

REPO = Path(__file__).resolve().parents[2]
LOCAL: dict[str, Any] = dict(load(REPO).envs["local"])

VARS: dict[str, Any] = dict(LOCAL["vars"])
THRESHOLDS: dict[str, Any] = dict(LOCAL["thresholds"])
PUBLIC: list[str] = list(LOCAL["public"])
# Top-level keys the part-1 checks read (workspace, database and timeout come per test);
# `allow_writes` lets the RLS item run the app's pgTAP tests.
TOP_LEVEL: dict[str, Any] = {
    "allow_dry_run": LOCAL["allow_dry_run"],
    "allow_writes": LOCAL["allow_writes"],
}
