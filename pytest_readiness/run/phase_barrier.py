"""Phase-barrier scheduling for pytest-xdist: parallel within a phase, ordered across phases.

The items of the current phase are spread over every worker; no item of phase k+1 may
start before every item of phase k has completed (or crashed). Two facts of the xdist
worker loop shape the whole design:

* A worker starts the last index it holds only once it receives another index or
  ``shutdown`` (pytest needs ``nextitem`` for teardown). So a worker whose only pending
  item is its last one of the current phase gets one *look-ahead* item of a later phase:
  the look-ahead is held, not started, until more work (after the barrier) or shutdown.
* A worker's queue is FIFO and ``shutdown`` is final. A worker that holds a look-ahead
  therefore receives nothing until the barrier reaches that look-ahead's phase, and a
  worker is only shut down when no unsent item is left anywhere (spare workers of a
  short phase stay alive for the later phases).

The scheduler never sees outcomes; fail-fast is driven from outside through
`PhaseBarrierScheduling.drop_later_phases`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import parse_tx_spec_config

#: How many items a worker holds at most: the one it runs and the one that lets it start.
WORKER_QUEUE_DEPTH = 2

#: Reads the ``{nodeid: phase}`` map that the given worker recorded for its collection.
PhaseMapReader = Callable[[Any], Mapping[str, int]]


class PhaseMapError(RuntimeError):
    """The controller could not learn the phase of a collected item."""


class PhaseBarrierScheduling:
    """An xdist scheduler (structural ``xdist.scheduler.Scheduling``) with a phase barrier.

    ``phase_map`` is called once, with the first worker, when scheduling starts; it must
    give a phase number for every collected nodeid. Items within a phase are handed out
    in collection order.
    """

    def __init__(
        self, config: pytest.Config, log: Any = None, *, phase_map: PhaseMapReader
    ) -> None:
        self.config = config
        self.log = log.phasebarrier if log is not None else _silent_log
        self.numnodes = len(parse_tx_spec_config(config))
        self._read_phase_map = phase_map
        self._node_collections: dict[Any, list[str]] = {}
        self._node_pending: dict[Any, list[int]] = {}
        self._shutdown_sent: set[Any] = set()
        self.collection: list[str] | None = None
        self._collections_differ = False
        self._index_of: dict[str, int] = {}
        self._phase_of: list[int] = []
        self._phases: list[int] = []
        self._unsent: dict[int, list[int]] = {}
        self._outstanding: dict[int, int] = {}
        self._dropped: set[int] = set()

    # -- the xdist Scheduling protocol -------------------------------------------------

    @property
    def nodes(self) -> list[Any]:
        """Every worker known to the scheduler."""
        return list(self._node_pending)

    @property
    def collection_is_completed(self) -> bool:
        """True once every initial worker has reported its collection."""
        return len(self._node_collections) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        """True when no item is left to run: the controller then shuts every worker down."""
        if not self.collection_is_completed:
            return False
        if self._collections_differ:
            return True
        if self.collection is None:
            return False
        return not any(self._outstanding.values())

    @property
    def has_pending(self) -> bool:
        """True while some item is unsent or sent but not completed."""
        return any(self._unsent.values()) or any(self._node_pending.values())

    def add_node(self, node: Any) -> None:
        """Take a new worker; it gets work once its collection has arrived."""
        assert node not in self._node_pending
        self._node_pending[node] = []

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        """Record a worker's collection; a late worker must match the scheduled one."""
        assert node in self._node_pending
        if self.collection is not None and list(collection) != self.collection:
            first = next(iter(self._node_collections))
            diff = report_collection_diff(
                self.collection, collection, first.gateway.id, node.gateway.id
            )
            self.log(diff)
            return
        self._node_collections[node] = list(collection)

    def schedule(self) -> None:
        """Start scheduling; called again for replacement workers, so it is idempotent."""
        assert self.collection_is_completed
        if self.collection is not None or self._collections_differ:
            self._dispatch()
            return
        if not self._same_collections():
            self._collections_differ = True
            self.log("**Different tests collected, aborting run**")
            return
        first_node, collection = next(iter(self._node_collections.items()))
        self._start(collection, self._read_phase_map(first_node))
        self._dispatch()

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        """An item finished on ``node``: release the barrier if it was the phase's last."""
        self._node_pending[node].remove(item_index)
        self._settle(item_index)
        self._dispatch()

    def mark_test_pending(self, item: str) -> None:
        """Run ``item`` again (e.g. a crashed item a plugin wants retried)."""
        index = self._index_of[item]
        if index in self._dropped:
            self._dropped.discard(index)
            self._outstanding[self._phase_of[index]] += 1
        self._requeue([index])
        self._dispatch()

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        """Take back items a worker gave up (answer to a steal): they are sent again."""
        pending = self._node_pending[node]
        for index in indices:
            pending.remove(index)
        self._requeue(indices)
        self._dispatch()

    def remove_node(self, node: Any) -> str | None:
        """Forget a worker; return the nodeid it crashed in, or None after a clean finish.

        The crashed item is settled (it never completes), so the barrier cannot hang on
        it; the worker's other items go back to the unsent queues. Nothing is sent here
        after a crash: the controller reports the crashed item first (so fail-fast can
        react), then the replacement worker's ``schedule()`` or the next event dispatches.
        """
        pending = self._node_pending.pop(node)
        was_shut_down = node in self._shutdown_sent
        self._shutdown_sent.discard(node)
        if not pending:
            return None
        assert self.collection is not None
        started = len(pending) >= WORKER_QUEUE_DEPTH or was_shut_down
        crashed = pending.pop(0) if started else None
        self._requeue(pending)
        if crashed is None:
            self._dispatch()
            return None
        self._settle(crashed)
        return self.collection[crashed]

    # -- fail-fast ---------------------------------------------------------------------

    def drop_later_phases(self, failed_nodeid: str) -> list[str]:
        """Cancel every not-yet-started item of a phase after ``failed_nodeid``'s phase.

        Returns their nodeids in collection order, to be recorded ``not-run``. Unsent
        items are simply forgotten. A look-ahead already held by a worker cannot be
        recalled (xdist has no such command); it is returned too and stays pending, and
        the worker must skip it when it is finally released.
        """
        if self.collection is None or failed_nodeid not in self._index_of:
            return []
        failed_phase = self._phase_of[self._index_of[failed_nodeid]]
        cancelled: list[int] = []
        for phase in self._phases:
            if phase <= failed_phase:
                continue
            for index in self._unsent[phase]:
                self._settle(index)
            cancelled.extend(self._unsent[phase])
            self._unsent[phase] = []
        for pending in self._node_pending.values():
            cancelled.extend(i for i in pending if self._phase_of[i] > failed_phase)
        return [self.collection[i] for i in sorted(cancelled)]

    # -- internals ---------------------------------------------------------------------

    def phase_of(self, nodeid: str) -> int:
        """The phase number of a collected nodeid."""
        return self._phase_of[self._index_of[nodeid]]

    def _start(self, collection: list[str], phase_map: Mapping[str, int]) -> None:
        missing = [nodeid for nodeid in collection if nodeid not in phase_map]
        if missing:
            raise PhaseMapError(
                f"no phase recorded for {len(missing)} collected item(s), first {missing[0]!r}"
            )
        self.collection = collection
        self._index_of = {nodeid: index for index, nodeid in enumerate(collection)}
        self._phase_of = [phase_map[nodeid] for nodeid in collection]
        self._phases = sorted(set(self._phase_of))
        self._unsent = {phase: [] for phase in self._phases}
        self._outstanding = dict.fromkeys(self._phases, 0)
        for index, phase in enumerate(self._phase_of):
            self._unsent[phase].append(index)
            self._outstanding[phase] += 1

    def _same_collections(self) -> bool:
        (first_node, first), *others = self._node_collections.items()
        same = True
        for node, collection in others:
            diff = report_collection_diff(first, collection, first_node.gateway.id, node.gateway.id)
            if diff is None:
                continue
            same = False
            self.log(diff)
            report = pytest.CollectReport(
                nodeid=node.gateway.id, outcome="failed", longrepr=diff, result=[]
            )
            self.config.hook.pytest_collectreport(report=report)
        return same

    def _current_phase(self) -> int | None:
        return next((phase for phase in self._phases if self._outstanding[phase]), None)

    def _settle(self, index: int) -> None:
        """Count an item as done for the barrier (completed, crashed or cancelled)."""
        if index in self._dropped:
            return
        self._dropped.add(index)
        self._outstanding[self._phase_of[index]] -= 1

    def _requeue(self, indices: Sequence[int]) -> None:
        for index in indices:
            bisect.insort(self._unsent[self._phase_of[index]], index)

    def _next_unsent(self, phase: int, *, later: bool) -> int | None:
        """Pop the first unsent item of ``phase`` (or of the first later phase that has one)."""
        for candidate in self._phases:
            if candidate < phase or (later and candidate == phase):
                continue
            if self._unsent[candidate]:
                return self._unsent[candidate].pop(0)
            if not later:
                return None
        return None

    def _usable_nodes(self) -> list[Any]:
        return [
            node
            for node in self._node_pending
            if node in self._node_collections
            and node not in self._shutdown_sent
            and not node.shutting_down
        ]

    def _dispatch(self) -> None:
        """Fill workers with current-phase items, then give look-aheads or shutdowns.

        Items go out one at a time in collection order, round-robin over the workers,
        so that every worker gets its first item before any gets a second.
        """
        phase = self._current_phase()
        if self.collection is None or phase is None:
            return
        nodes = self._usable_nodes()
        for depth in range(1, WORKER_QUEUE_DEPTH + 1):
            for node in nodes:
                pending = self._node_pending[node]
                if len(pending) >= depth or not self._accepts(pending, phase):
                    continue
                index = self._next_unsent(phase, later=False)
                if index is None:
                    break
                self._send(node, index)
        for node in nodes:
            pending = self._node_pending[node]
            if len(pending) != 1 or self._phase_of[pending[0]] != phase:
                continue
            look_ahead = self._next_unsent(phase, later=True)
            if look_ahead is None:
                self._shutdown_sent.add(node)
                node.shutdown()
            else:
                self._send(node, look_ahead)

    def _send(self, node: Any, index: int) -> None:
        self._node_pending[node].append(index)
        node.send_runtest_some([index])

    def _accepts(self, pending: list[int], phase: int) -> bool:
        """A worker takes current-phase work unless it holds a later look-ahead."""
        return not pending or self._phase_of[pending[-1]] == phase


def _silent_log(*args: object) -> None:
    """Stand-in for xdist's log producer when none is given."""
