"""Unit tests of the phase-barrier scheduler, driven with fake workers (no processes).

A fake worker records what it was sent and whether it was shut down. Like a real xdist
worker, it starts an item only once it holds a successor or has been shut down.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from types import SimpleNamespace

import pytest

from pytest_readiness.run.phase_barrier import PhaseBarrierScheduling, PhaseMapError


class FakeWorker:
    """Records the indices sent to it; models which one xdist would have started."""

    def __init__(self, name: str, handed_out: list[int] | None = None) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.handed_out = [] if handed_out is None else handed_out
        self.sent: list[int] = []
        self.completed: list[int] = []
        self.shut_down = False

    def __repr__(self) -> str:
        return f"<FakeWorker {self.gateway.id}>"

    @property
    def shutting_down(self) -> bool:
        return self.shut_down

    def send_runtest_some(self, indices: Sequence[int]) -> None:
        assert not self.shut_down, "work sent after shutdown is lost"
        self.sent.extend(indices)
        self.handed_out.extend(indices)

    def shutdown(self) -> None:
        self.shut_down = True

    @property
    def queue(self) -> list[int]:
        return [i for i in self.sent if i not in self.completed]

    @property
    def running(self) -> int | None:
        """The item this worker is executing: it has a successor, or shutdown came."""
        queue = self.queue
        if len(queue) >= 2 or (queue and self.shut_down):
            return queue[0]
        return None

    @property
    def held(self) -> list[int]:
        """Items sent but not started."""
        running = self.running
        return [i for i in self.queue if i != running]


def nodeids(phases: Sequence[int]) -> list[str]:
    return [f"checks/test_p{phase}.py::test_{i}" for i, phase in enumerate(phases)]


def make_scheduler(
    pytester: pytest.Pytester,
    phases: Sequence[int],
    workers: int = 2,
    handed_out: list[int] | None = None,
) -> tuple[PhaseBarrierScheduling, list[FakeWorker], list[str]]:
    config = pytester.parseconfig(f"--tx={workers}*popen")
    collection = nodeids(phases)
    phase_map = dict(zip(collection, phases, strict=True))
    scheduler = PhaseBarrierScheduling(config, phase_map=lambda node: phase_map)
    nodes = [FakeWorker(f"gw{n}", handed_out) for n in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, collection)
    assert scheduler.collection_is_completed
    scheduler.schedule()
    return scheduler, nodes, collection


def complete(scheduler: PhaseBarrierScheduling, node: FakeWorker) -> int:
    index = node.running
    assert index is not None, f"{node} is not running anything"
    node.completed.append(index)
    scheduler.mark_test_complete(node, index)
    return index


def phase_of(phases: Sequence[int], indices: Sequence[int]) -> set[int]:
    return {phases[i] for i in indices}


def test_the_barrier_holds_phase_two_back_except_for_held_look_aheads(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 1, 1, 1, 2, 2, 2, 2]
    scheduler, (w1, w2), _ = make_scheduler(pytester, phases)

    assert (w1.sent, w2.sent) == ([0, 2], [1, 3])
    complete(scheduler, w1)
    complete(scheduler, w2)
    complete(scheduler, w1)

    assert phase_of(phases, [w.running for w in (w1, w2) if w.running is not None]) == {1}
    for worker in (w1, w2):
        later = [i for i in worker.sent if phases[i] == 2]
        assert later == worker.sent[-1:] == worker.held
    assert w1.running is None
    assert not w1.shut_down and not w2.shut_down


def test_the_look_ahead_comes_from_the_very_next_phase(pytester: pytest.Pytester) -> None:
    phases = [1, 1, 2, 2, 3, 3, 3, 3]
    scheduler, (w1, w2), _ = make_scheduler(pytester, phases)

    assert w1.sent == [0, 2] and w2.sent == [1, 3]
    assert phase_of(phases, w1.held + w2.held) == {2}

    complete(scheduler, w1)
    complete(scheduler, w2)

    assert (w1.running, w2.running) == (2, 3)
    assert phase_of(phases, w1.held + w2.held) == {3}


def test_the_barrier_releases_when_the_last_item_of_the_phase_completes(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 1, 1, 1, 2, 2, 2, 2]
    scheduler, (w1, w2), _ = make_scheduler(pytester, phases)
    complete(scheduler, w1)
    complete(scheduler, w2)
    complete(scheduler, w1)
    assert w1.running is None

    complete(scheduler, w2)

    assert (w1.running, w2.running) == (4, 5)
    assert w1.sent == [0, 2, 4, 6] and w2.sent == [1, 3, 5, 7]


def test_a_phase_smaller_than_the_pool_keeps_every_worker_for_later_phases(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 2, 2, 2, 3, 3, 3]
    scheduler, workers, _ = make_scheduler(pytester, phases, workers=3)
    w1, w2, w3 = workers

    assert (w1.sent, w2.sent, w3.sent) == ([0, 1], [], [])
    assert not any(w.shut_down for w in workers)
    complete(scheduler, w1)

    assert [w.running for w in workers] == [1, 2, 3]
    assert phase_of(phases, [i for w in workers for i in w.held]) == {3}


def test_a_crash_settles_its_item_and_the_barrier_still_releases(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 1, 1, 1, 2, 2]
    scheduler, (w1, w2), collection = make_scheduler(pytester, phases)
    complete(scheduler, w2)
    complete(scheduler, w2)
    complete(scheduler, w1)
    assert (w1.running, w1.held, w2.held) == (2, [5], [4])

    crashed = scheduler.remove_node(w1)
    assert crashed == collection[2]
    assert not scheduler.tests_finished

    replacement = FakeWorker("gw2")
    scheduler.add_node(replacement)
    scheduler.add_node_collection(replacement, collection)
    scheduler.schedule()

    assert (w2.running, replacement.running) == (4, 5)
    complete(scheduler, w2)
    complete(scheduler, replacement)
    assert scheduler.tests_finished


def test_a_worker_lost_while_only_holding_a_look_ahead_crashed_in_nothing(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 1, 1, 2, 2]
    scheduler, (w1, w2), _ = make_scheduler(pytester, phases)
    complete(scheduler, w1)
    complete(scheduler, w1)
    assert w1.queue == [4] and w1.running is None

    assert scheduler.remove_node(w1) is None
    complete(scheduler, w2)
    complete(scheduler, w2)
    assert w2.sent[-1] == 4 and w2.running == 4


def test_a_clean_finish_reports_no_crashed_item(pytester: pytest.Pytester) -> None:
    scheduler, (w1, w2), _ = make_scheduler(pytester, [1, 2])
    complete(scheduler, w1)
    complete(scheduler, w1)

    assert scheduler.tests_finished
    assert scheduler.remove_node(w1) is None
    assert scheduler.remove_node(w2) is None


def test_fail_fast_cancels_every_later_item_not_yet_started(pytester: pytest.Pytester) -> None:
    phases = [1, 1, 1, 2, 2, 2, 3, 3]
    scheduler, (w1, w2), collection = make_scheduler(pytester, phases)
    complete(scheduler, w2)
    assert w2.held == [3]

    cancelled = scheduler.drop_later_phases(collection[0])

    assert cancelled == collection[3:]
    complete(scheduler, w1)
    complete(scheduler, w1)
    assert w2.running == 3 and w2.shut_down
    complete(scheduler, w2)
    assert scheduler.tests_finished
    assert sorted(w1.sent + w2.sent) == [0, 1, 2, 3]


def test_fail_fast_in_the_last_phase_cancels_nothing(pytester: pytest.Pytester) -> None:
    phases = [1, 2, 2, 2]
    scheduler, (w1, w2), collection = make_scheduler(pytester, phases)
    complete(scheduler, w1)

    assert scheduler.drop_later_phases(collection[1]) == []
    assert sorted(w1.sent + w2.sent) == [0, 1, 2, 3]


def test_schedule_called_again_sends_nothing_twice(pytester: pytest.Pytester) -> None:
    scheduler, workers, _ = make_scheduler(pytester, [1, 1, 1, 1, 1, 2, 2])
    before = [list(w.sent) for w in workers]

    scheduler.schedule()
    scheduler.schedule()

    assert [w.sent for w in workers] == before


def test_workers_with_different_collections_abort_the_run(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("--tx=2*popen")
    scheduler = PhaseBarrierScheduling(config, phase_map=lambda node: {"a": 1, "b": 1})
    w1, w2 = FakeWorker("gw0"), FakeWorker("gw1")
    for node, collection in ((w1, ["a", "b"]), (w2, ["b", "a"])):
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)

    scheduler.schedule()

    assert w1.sent == w2.sent == []
    assert scheduler.tests_finished


def test_an_item_without_a_phase_is_named_in_the_error(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("--tx=1*popen")
    scheduler = PhaseBarrierScheduling(config, phase_map=lambda node: {"a": 1})
    worker = FakeWorker("gw0")
    scheduler.add_node(worker)
    scheduler.add_node_collection(worker, ["a", "checks/test_x.py::test_lost"])

    with pytest.raises(PhaseMapError, match="test_lost"):
        scheduler.schedule()


LAYOUTS = [[1] * 7, [1, 2, 2, 2, 3, 3, 3], [1, 1, 2, 3, 3, 3, 3], [1, 2, 3, 4, 5, 6, 7]]


@pytest.mark.parametrize("phases", LAYOUTS, ids=lambda p: "-".join(map(str, p)))
@pytest.mark.parametrize("order", ["first-worker-first", "last-worker-first"])
def test_three_workers_run_seven_items_to_the_end_in_phase_order(
    pytester: pytest.Pytester, phases: list[int], order: str
) -> None:
    scheduler, workers, _ = make_scheduler(pytester, phases, workers=3)
    if order == "last-worker-first":
        workers.reverse()
    done: list[int] = []
    for _ in itertools.count():
        running = [w for w in workers if w.running is not None]
        for worker in running:
            started_phase = phases[worker.running]  # type: ignore[index]
            assert all(phases[i] >= started_phase for i in set(range(7)) - set(done))
        if not running:
            break
        done.append(complete(scheduler, running[0]))
        if scheduler.tests_finished:
            for worker in workers:
                worker.shutdown()

    assert sorted(done) == list(range(7))
    assert [phases[i] for i in done] == sorted(phases[i] for i in done)
    assert scheduler.tests_finished


def test_a_crashed_item_put_back_pending_runs_before_the_next_phase(
    pytester: pytest.Pytester,
) -> None:
    phases = [1, 1, 2, 2]
    scheduler, (w1, w2), collection = make_scheduler(pytester, phases)
    assert scheduler.remove_node(w1) == collection[0]

    scheduler.mark_test_pending(collection[0])
    replacement = FakeWorker("gw2")
    scheduler.add_node(replacement)
    scheduler.add_node_collection(replacement, collection)
    scheduler.schedule()

    assert (replacement.running, replacement.held) == (0, [2])
    assert (w2.running, w2.held) == (1, [3])
    complete(scheduler, w2)
    assert w2.running is None
    complete(scheduler, replacement)
    assert (w2.running, replacement.running) == (3, 2)


def test_items_of_a_phase_are_handed_out_in_collection_order(pytester: pytest.Pytester) -> None:
    phases = [2, 1, 2, 1, 2, 1, 2, 1, 1, 2]
    handed_out: list[int] = []
    scheduler, workers, _ = make_scheduler(pytester, phases, workers=3, handed_out=handed_out)
    while not scheduler.tests_finished:
        complete(scheduler, next(w for w in workers if w.running is not None))

    assert sorted(handed_out) == list(range(10))
    for phase in (1, 2):
        of_phase = [i for i in handed_out if phases[i] == phase]
        assert of_phase == sorted(of_phase)
