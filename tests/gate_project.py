"""One shipped gate check run through `pytest --readiness` on a workspace a test builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import QUIET_PLUGINS

CHECKS = Path(__file__).resolve().parents[1] / "checks"


def toml_value(value: Any) -> str:
    """A TOML literal for a string, bool or number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


def run_gate(pytester: pytest.Pytester, check: str, **settings: Any) -> dict[str, Any]:
    """Run `checks/test_gates.py::<check>` with `settings` as vars; its JSON report item."""
    folder = pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    shutil.copy(CHECKS / "test_gates.py", folder / "test_gates.py")
    (pytester.path / "ws").mkdir(exist_ok=True)
    lines = [
        "[tool.readiness.envs.local]",
        'workspace = "ws"',
        "[tool.readiness.envs.local.vars]",
        *(f"{key} = {toml_value(value)}" for key, value in settings.items()),
    ]
    pytester.makepyprojecttoml("\n".join(lines) + "\n")
    pytester.runpytest("--readiness", *QUIET_PLUGINS, "-k", check)
    report = json.loads((pytester.path / "reports" / "readiness-local.json").read_text())
    [item] = [i for i in report["items"] if i["id"].endswith(f"::{check}")]
    return dict(item)
