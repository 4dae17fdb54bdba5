"""Repo wiring: `pytest --readiness` (env `local`) checks a reference target built on the spot.

Plain `pytest` runs the plugin's own tests and never builds it.
"""

from __future__ import annotations

import os

import pytest

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_readiness_prepare(config: pytest.Config, env_name: str) -> None:
    if env_name != "local":
        return
    from reference.target import local

    try:
        faults = local.faults_from(os.environ)
    except local.UnknownFault as exc:
        raise pytest.UsageError(str(exc)) from None
    post = config.getoption("readiness_stage", "pre") == "post"
    target = local.start(ADMIN_DSN, faults, send_traffic=post)
    config.add_cleanup(target.stop)
    os.environ.update(target.variables)
