"""The two lines ``plugin.py`` needs for the phase barrier, as a plugin for the acceptance tests.

Load with ``-p readiness_xdist_glue``. Once ``plugin.py`` calls these itself this file is
redundant but harmless: registration is idempotent and the phase map is rewritten as is.
"""

from __future__ import annotations

import pytest

from pytest_readiness.fixtures import READINESS_SESSION
from pytest_readiness.xdist_phases import plan_phase, register_xdist_phases, write_phase_map


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("readiness"):
        register_xdist_phases(config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    readiness = config.stash.get(READINESS_SESSION, None)
    if readiness is not None:
        write_phase_map(config, items, plan_phase(readiness))
