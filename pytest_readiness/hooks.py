"""Hooks pytest-readiness offers to a project's conftest.py."""

from __future__ import annotations

import pytest


def pytest_readiness_prepare(config: pytest.Config, env_name: str) -> None:
    """Get the target ready before the environment is resolved.

    Called once per `--readiness` run, on the controlling process only, after the config is
    validated and before `${VAR}` interpolation: a conftest can start a local target here
    and export the variables its environment reads. Register cleanup with
    `config.add_cleanup`.
    """
