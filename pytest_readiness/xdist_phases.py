"""pytest-xdist wiring for readiness runs: the phase-barrier scheduler hook and its glue.

How the controller learns each item's phase: the controller does not collect, and the
scheduler only sees nodeid strings. Each worker writes its ``{nodeid: phase}`` map as
JSON into a run-private directory whose path the controller hands over in
``pytest_configure_node`` (``node.workerinput``). The alternative, a ``@phase`` nodeid
suffix (xdist's ``loadgroup`` trick), would change every item id in the reports, so a run
with ``-n`` would no longer report the same items as a run without it. The file costs one
small write per worker and is complete before the worker announces its collection, so
the controller reads it without a race when scheduling starts.

Integration, all from ``plugin.py``:

* ``pytest_configure``: ``register_xdist_phases(config)``.
* ``pytest_collection_modifyitems`` (after ordering): ``write_phase_map(config, items,
  phase_of_item)``; it does nothing outside an xdist worker.
* ``pytest_runtest_logreport`` on the controller, on a blocking failure with fail-fast:
  ``cancel_later_phases(config, report.nodeid)`` returns the nodeids to record ``not-run``.
* on the worker, before running an item: ``cancelled_by_fail_fast(item)``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.scheduler.phase_barrier import PhaseBarrierScheduling, PhaseMapError

#: ``workerinput`` key carrying the directory where workers write their phase maps.
PHASE_DIR_KEY = "readiness_phase_dir"
#: Name the hook object is registered under with the plugin manager.
PLUGIN_NAME = "readiness-xdist-phases"
CANCELLED_FILE = "cancelled.json"


class XdistPhaseHooks:
    """The xdist hooks of a readiness run; registered only when pytest-xdist is present."""

    def __init__(self) -> None:
        self.scheduler: PhaseBarrierScheduling | None = None
        self._phase_dir: Path | None = None

    @property
    def phase_dir(self) -> Path:
        """The run-private directory shared by the controller and its workers."""
        if self._phase_dir is None:
            self._phase_dir = Path(tempfile.mkdtemp(prefix="readiness-phases-"))
        return self._phase_dir

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        """Tell each worker where to write its phase map."""
        if readiness_mode(node.config):
            node.workerinput[PHASE_DIR_KEY] = str(self.phase_dir)

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(
        self, config: pytest.Config, log: Any
    ) -> PhaseBarrierScheduling | None:
        """Use the phase barrier in readiness mode; otherwise leave ``--dist`` to xdist."""
        if not readiness_mode(config):
            return None
        phase_dir = self.phase_dir
        self.scheduler = PhaseBarrierScheduling(
            config, log, phase_map=lambda node: read_phase_map(phase_dir, node.gateway.id)
        )
        return self.scheduler

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        """Remove the phase maps once the run is over."""
        if self._phase_dir is not None:
            shutil.rmtree(self._phase_dir, ignore_errors=True)


def readiness_mode(config: pytest.Config) -> bool:
    """True when the run is a readiness run (``--readiness``)."""
    return bool(config.getoption("readiness", False))


def register_xdist_phases(config: pytest.Config) -> None:
    """Register the phase-barrier hooks when pytest-xdist is installed; call in pytest_configure."""
    plugins = config.pluginmanager
    if plugins.hasplugin("xdist") and not plugins.hasplugin(PLUGIN_NAME):
        plugins.register(XdistPhaseHooks(), PLUGIN_NAME)


def write_phase_map(
    config: pytest.Config,
    items: Iterable[pytest.Item],
    phase_of_item: Callable[[pytest.Item], int],
) -> None:
    """Worker side: record every collected item's phase for the controller's scheduler.

    Call from ``pytest_collection_modifyitems`` once items are final; a no-op outside
    an xdist worker of a readiness run.
    """
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or PHASE_DIR_KEY not in workerinput:
        return
    phases = {item.nodeid: phase_of_item(item) for item in items}
    path = Path(workerinput[PHASE_DIR_KEY]) / f"{workerinput['workerid']}.json"
    _write_json_atomically(path, phases)


def read_phase_map(phase_dir: Path, worker_id: str) -> dict[str, int]:
    """Controller side: the phase map written by worker ``worker_id``."""
    path = phase_dir / f"{worker_id}.json"
    try:
        phases: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PhaseMapError(
            f"worker {worker_id} wrote no phase map at {path}: "
            "call write_phase_map() from pytest_collection_modifyitems"
        ) from None
    return phases


def scheduler_of(config: pytest.Config) -> PhaseBarrierScheduling | None:
    """The run's phase-barrier scheduler, if this process is a controller using it."""
    hooks = config.pluginmanager.get_plugin(PLUGIN_NAME)
    return hooks.scheduler if isinstance(hooks, XdistPhaseHooks) else None


def cancel_later_phases(config: pytest.Config, failed_nodeid: str) -> list[str]:
    """Controller side, fail-fast: cancel every item of a later phase that has not started.

    Call from ``pytest_runtest_logreport`` on the controller when a blocking item fails;
    returns the cancelled nodeids (collection order) to record as ``not-run``. Items a
    worker already holds are listed in a file the workers consult through
    `cancelled_by_fail_fast`. Returns ``[]`` when the phase barrier is not in use.
    """
    hooks = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(hooks, XdistPhaseHooks) or hooks.scheduler is None:
        return []
    cancelled = hooks.scheduler.drop_later_phases(failed_nodeid)
    if cancelled:
        path = hooks.phase_dir / CANCELLED_FILE
        known = set(_read_cancelled(path))
        _write_json_atomically(path, sorted(known.union(cancelled)))
    return cancelled


def cancelled_by_fail_fast(item: pytest.Item) -> bool:
    """Worker side: True when the controller cancelled ``item`` after a blocking failure.

    Call before running an item's body (e.g. in ``pytest_runtest_setup``) and record it
    ``not-run`` instead of running it.
    """
    workerinput = getattr(item.config, "workerinput", None)
    if not workerinput or PHASE_DIR_KEY not in workerinput:
        return False
    return item.nodeid in _read_cancelled(Path(workerinput[PHASE_DIR_KEY]) / CANCELLED_FILE)


def _read_cancelled(path: Path) -> list[str]:
    try:
        cancelled: list[str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return cancelled


def _write_json_atomically(path: Path, data: Mapping[str, int] | list[str]) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
    os.replace(temporary, path)
