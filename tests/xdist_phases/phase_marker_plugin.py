"""Stand-in for the core plugin in acceptance tests: phases come from ``@pytest.mark.phase(n)``.

It wires the xdist glue exactly as ``plugin.py`` is meant to: hooks registered in
``pytest_configure``, phase map written on the workers, fail-fast cancelling later phases
from the controller, and cancelled items skipped on the workers.
"""

from __future__ import annotations

import json
import os

import pytest

from pytest_readiness.xdist_phases import (
    cancel_later_phases,
    cancelled_by_fail_fast,
    register_xdist_phases,
    write_phase_map,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--readiness", action="store_true")
    parser.addoption("--readiness-fail-fast", action="store_true")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "phase(n): the phase an item runs in")
    register_xdist_phases(config)
    if config.getoption("readiness_fail_fast") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(FailFastRecorder(config))


def phase_of(item: pytest.Item) -> int:
    marker = item.get_closest_marker("phase")
    return int(marker.args[0]) if marker else 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    write_phase_map(config, items, phase_of)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if cancelled_by_fail_fast(item):
        pytest.skip("not-run: cancelled by fail-fast")


class FailFastRecorder:
    """Controller side: on a failure, cancel later phases and log what was cancelled."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not report.failed:
            return
        cancelled = cancel_later_phases(self.config, report.nodeid)
        with open(os.environ["PHASE_NOT_RUN_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(cancelled) + "\n")
