"""pytest-xdist wiring for readiness runs: the phase-barrier scheduler hook and its glue.

How the controller learns each item's phase: the controller does not collect, and the
scheduler only sees nodeid strings. Each worker writes its ``{nodeid: phase}`` map (and
the readiness plan, which the controller's report needs too) as JSON into a run-private
directory whose path the controller hands over in ``pytest_configure_node``
(``node.workerinput``). The alternative, a ``@phase`` nodeid suffix (xdist's
``loadgroup`` trick), would change every item id in the reports, so a run with ``-n``
would no longer report the same items as a run without it. The file costs one small
write per worker and is complete before the worker announces its collection, so the
controller reads it without a race.

Integration in ``plugin.py`` (two lines):

* ``_start_readiness``: ``register_xdist_phases(config)``.
* ``pytest_collection_modifyitems``, right after ``plan_items(readiness, items)``:
  ``write_phase_map(config, items, plan_phase(readiness))``; a no-op outside a worker.

The registered `XdistPhaseHooks` then does the rest: the scheduler, the controller's
plan, fail-fast across workers (later phases recorded ``not-run``) and skipping an item
a worker already held when fail-fast cancelled it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.run.fixtures import READINESS_SESSION
from pytest_readiness.run.phase_barrier import PhaseBarrierScheduling, PhaseMapError
from pytest_readiness.run.session import CheckSpec, ReadinessSession
from pytest_readiness.runbook.phases import Phase, Phases

#: ``workerinput`` key carrying the directory where workers write their phase maps.
PHASE_DIR_KEY = "readiness_phase_dir"
#: Name the hook object is registered under with the plugin manager.
PLUGIN_NAME = "readiness-xdist-phases"
CANCELLED_FILE = "cancelled.json"


class XdistPhaseHooks:
    """The xdist hooks of a readiness run; registered only when pytest-xdist is present."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
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
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Controller: adopt the plan the first worker collected (the controller collects none)."""
        readiness = self.config.stash.get(READINESS_SESSION, None)
        if readiness is None or readiness.plan:
            return
        shared = _read_shared(self.phase_dir, node.gateway.id)
        readiness.set_plan(CheckSpec.from_dict(raw) for raw in shared.get("plan", ()))
        if shared.get("phase_plan"):
            readiness.phases = Phases(tuple(Phase.from_dict(raw) for raw in shared["phase_plan"]))
        readiness.select(ids)  # what the worker kept after -m, -k, --deselect...
        for nodeid, reason in (shared.get("problems") or {}).items():
            readiness.collection_problem(nodeid, reason)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Controller, fail-fast: a blocking failure cancels the later phases' items."""
        readiness = self.config.stash.get(READINESS_SESSION, None)
        if self.scheduler is None or readiness is None or not readiness.fail_fast:
            return
        spec = readiness.spec(report.nodeid)
        if not report.failed or spec is None or not spec.blocking:
            return
        cancel_later_phases(self.config, readiness, report.nodeid)

    @pytest.hookimpl
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport) -> None:
        """Controller: give a crashed item's report the one-line reason the report shows."""
        readiness = self.config.stash.get(READINESS_SESSION, None)
        spec = readiness.spec(crashitem) if readiness is not None else None
        worker = getattr(getattr(report, "node", None), "gateway", None)
        name = f"worker {worker.id}" if worker is not None else "its worker"
        report.readiness = {  # type: ignore[attr-defined]
            "reason": f"{name} crashed while running this item",
            "phase": spec.phase if spec else 0,
            "blocking": spec.blocking if spec else True,
        }

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Worker: never start an item the controller cancelled after a blocking failure."""
        reason = cancelled_by_fail_fast(item)
        if reason is not None:
            pytest.skip(reason)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, exitstatus: int) -> None:
        """Controller, interrupted: interrupt the running workers as well.

        Otherwise pytest-xdist asks each worker to exit and waits for the item it is running:
        execnet interrupts a busy worker only after 5 s and kills it after 10 s. Runs before
        xdist's own teardown of the workers; our reports are already written.
        """
        if exitstatus != pytest.ExitCode.INTERRUPTED or self._phase_dir is None:
            return
        if self.scheduler is not None:  # its nodes are the live workers (crashed ones removed)
            interrupt_workers(self._phase_dir, [node.gateway.id for node in self.scheduler.nodes])

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
        plugins.register(XdistPhaseHooks(config), PLUGIN_NAME)


def plan_phase(readiness: ReadinessSession) -> Callable[[pytest.Item], int]:
    """The phase of each planned item, for `write_phase_map`."""

    def phase_of(item: pytest.Item) -> int:
        spec = readiness.spec(item.nodeid)
        if spec is None:
            raise PhaseMapError(f"{item.nodeid} is not in the readiness plan")
        return spec.phase

    return phase_of


def write_phase_map(
    config: pytest.Config,
    items: Iterable[pytest.Item],
    phase_of_item: Callable[[pytest.Item], int],
) -> None:
    """Worker side: record every collected item's phase for the controller's scheduler.

    Call from ``pytest_collection_modifyitems`` once items are final; a no-op outside
    an xdist worker of a readiness run. The readiness plan, if any, is shared too.
    """
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or PHASE_DIR_KEY not in workerinput:
        return
    shared: dict[str, Any] = {
        "phases": {item.nodeid: phase_of_item(item) for item in items},
        "pid": os.getpid(),  # so an interrupted controller can interrupt this worker
    }
    readiness = config.stash.get(READINESS_SESSION, None)
    if readiness is not None:
        shared["plan"] = [spec.to_dict() for spec in readiness.plan]
        shared["phase_plan"] = [phase.to_dict() for phase in readiness.phases.phases]
        shared["problems"] = readiness.collection_problems
    path = Path(workerinput[PHASE_DIR_KEY]) / f"{workerinput['workerid']}.json"
    _write_json_atomically(path, shared)


def read_phase_map(phase_dir: Path, worker_id: str) -> dict[str, int]:
    """Controller side: the phase map written by worker ``worker_id``."""
    phases: dict[str, int] = _read_shared(phase_dir, worker_id)["phases"]
    return phases


def interrupt_workers(phase_dir: Path, worker_ids: Iterable[str]) -> list[int]:
    """Controller side: send SIGINT to the given live workers; returns the pids signalled.

    A live worker is a child of the controller that nobody has waited for yet, so its pid
    (from its phase map) cannot have been reused by another process. A crashed worker has
    been reaped: it must not be in `worker_ids`.
    """
    interrupted = []
    for worker_id in worker_ids:
        try:
            pid = _read_shared(phase_dir, worker_id).get("pid")
        except PhaseMapError:
            continue
        if not isinstance(pid, int):
            continue
        try:
            os.kill(pid, signal.SIGINT)
        except (ProcessLookupError, PermissionError):
            continue
        interrupted.append(pid)
    return interrupted


def cancel_later_phases(
    config: pytest.Config, readiness: ReadinessSession, failed_nodeid: str
) -> list[str]:
    """Controller side: cancel every not-started item of a phase after the failed one's.

    The cancelled items are recorded ``not-run`` on ``readiness`` with the same reason a
    run without ``-n`` gives; items a worker already holds are listed in a file that the
    workers consult before starting an item. Returns the cancelled nodeids.
    """
    hooks = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(hooks, XdistPhaseHooks) or hooks.scheduler is None:
        return []
    cancelled = hooks.scheduler.drop_later_phases(failed_nodeid)
    if not cancelled:
        return []
    path = hooks.phase_dir / CANCELLED_FILE
    reasons = _read_cancelled(path)
    for nodeid in cancelled:
        reason = readiness.not_run_reason(hooks.scheduler.phase_of(nodeid))
        readiness.not_run.setdefault(nodeid, reason or "not run: fail-fast")
        reasons.setdefault(nodeid, readiness.not_run[nodeid])
    _write_json_atomically(path, reasons)
    return cancelled


def cancelled_by_fail_fast(item: pytest.Item) -> str | None:
    """Worker side: the not-run reason when the controller cancelled ``item``, else None."""
    workerinput = getattr(item.config, "workerinput", None)
    if not workerinput or PHASE_DIR_KEY not in workerinput:
        return None
    return _read_cancelled(Path(workerinput[PHASE_DIR_KEY]) / CANCELLED_FILE).get(item.nodeid)


def _read_shared(phase_dir: Path, worker_id: str) -> dict[str, Any]:
    path = phase_dir / f"{worker_id}.json"
    try:
        shared: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PhaseMapError(
            f"worker {worker_id} wrote no phase map at {path}: "
            "call write_phase_map() from pytest_collection_modifyitems"
        ) from None
    return shared


def _read_cancelled(path: Path) -> dict[str, str]:
    try:
        cancelled: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return cancelled


def _write_json_atomically(path: Path, data: Mapping[str, Any]) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
    os.replace(temporary, path)
