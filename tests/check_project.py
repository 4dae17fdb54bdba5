"""One shipped check run through `pytest --readiness` on a target a test builds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import QUIET_PLUGINS

CHECKS = Path(__file__).resolve().parents[1] / "checks"


def toml_value(value: Any) -> str:
    """A TOML literal for a string, bool, number, or a list or table of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def run_check(
    pytester: pytest.Pytester,
    module: str,
    check: str,
    settings: Mapping[str, Any],
    env: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run `checks/<module>::<check>` with workspace `ws`, `env` keys and `settings` as vars.

    Returns the check's item from the JSON report.
    """
    folder = pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    shutil.copy(CHECKS / module, folder / module)
    (pytester.path / "ws").mkdir(exist_ok=True)
    lines = [
        "[tool.readiness.envs.local]",
        'workspace = "ws"',
        *(f"{key} = {toml_value(value)}" for key, value in (env or {}).items()),
        "[tool.readiness.envs.local.vars]",
        *(f"{key} = {toml_value(value)}" for key, value in settings.items()),
    ]
    pytester.makepyprojecttoml("\n".join(lines) + "\n")
    pytester.runpytest("--readiness", *QUIET_PLUGINS, "-k", check)
    report = json.loads((pytester.path / "reports" / "readiness-local.json").read_text())
    [item] = [i for i in report["items"] if i["id"].endswith(f"::{check}")]
    return dict(item)


def run_gate(pytester: pytest.Pytester, check: str, **settings: Any) -> dict[str, Any]:
    """Run one check of `checks/test_gates.py` with `settings` as vars."""
    return run_check(pytester, "test_gates.py", check, settings)
