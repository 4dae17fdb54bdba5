"""How many xdist workers `-n auto` starts in a readiness run: only as many as pay for themselves.

A worker costs its start-up (imports, config, runbook, collection) in CPU on a shared
machine, and buys parallel time only inside a phase. Items that wait (networks, databases)
overlap on any number of workers; items that compute overlap only up to the free cores.
The last complete report of the same environment says which is which: each item's wall
time and CPU seconds. No last run, no knowledge: no workers.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

#: Workers are started only when they are predicted to save at least this share of the run:
#: the prediction is rough, and a wrong guess must not cost more than running alone.
REQUIRED_SAVING = 0.2
RAN = frozenset({"passed", "failed", "error"})
#: An item whose CPU seconds are at least this share of its wall time computes: measured
#: while other items or other users shared the cores, its wall time says little.
COMPUTING_SHARE = 0.15
#: CPU seconds below which an item is a quiet one: its report carries no `cpu_s`.
NOTED_CPU_S = 0.05
#: A worker repeats this process's start-up so far (imports, options) and then reads the
#: config and runbook and collects, which costs about as much again.
START_UP_PER_IMPORTS = 2.0
#: How long `-n auto` watches the machine's cores to see how many are free.
BUSY_SAMPLE_S = 0.1


@dataclass(frozen=True)
class ItemCost:
    """What one item of the last run took: its phase, wall seconds and CPU seconds."""

    phase: int
    wall_s: float
    cpu_s: float

    @property
    def computes(self) -> bool:
        """Mostly CPU: its wall time beyond that was waiting for a core, not for a server."""
        return self.cpu_s >= COMPUTING_SHARE * self.wall_s

    @property
    def alone_s(self) -> float:
        """What it takes on a core of its own: its CPU if it computes, else its wall time."""
        return self.cpu_s if self.computes else self.wall_s

    @property
    def wait_s(self) -> float:
        return 0.0 if self.computes else self.wall_s


@dataclass(frozen=True)
class WorkerChoice:
    """What `-n auto` chose, and why, for the run's header."""

    workers: int
    why: str

    def __str__(self) -> str:
        noun = "worker" if self.workers == 1 else "workers"
        return f"{self.workers} {noun} ({self.why})"


def for_next_run(last_report: Path) -> WorkerChoice:
    """The workers for a run whose last complete report is at `last_report`."""
    try:
        costs = costs_of(json.loads(last_report.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        costs = []
    if not costs:
        return WorkerChoice(0, "no complete last run to learn from")
    start_up_s = START_UP_PER_IMPORTS * time.process_time()
    cores = free_cores(os.cpu_count() or 1, busy_cores())
    chosen = choose_workers(costs, start_up_s=start_up_s, cores=cores)
    predicted = predicted_wall(costs, chosen, start_up_s=start_up_s, cores=cores)
    alone = predicted_wall(costs, 0, start_up_s=start_up_s, cores=cores)
    return WorkerChoice(
        chosen,
        f"last run: {len(costs)} items, {alone:.1f} s in one process, predicted "
        f"{predicted:.1f} s; {cores} free cores, {start_up_s:.1f} s start-up per worker",
    )


def cpu_seconds() -> float:
    """CPU seconds of this process and of the children it waited for (commands it ran)."""
    spent = os.times()
    return spent.user + spent.system + spent.children_user + spent.children_system


def note_cpu(report: pytest.TestReport, *, since: float) -> float:
    """Give an item's teardown report the CPU seconds it used, if it used any to speak of.

    Returns the new mark: from one item's end to the next one's, all of it counts (setup,
    call, teardown and the commands they ran).
    """
    now = cpu_seconds()
    spent = now - since
    if spent >= NOTED_CPU_S:
        info = getattr(report, "readiness", None) or {}
        info["cpu_s"] = round(spent, 3)
        report.readiness = info  # type: ignore[attr-defined]
    return now


def costs_of(report: Mapping[str, Any]) -> list[ItemCost]:
    """The items of a complete report that ran; an interrupted run teaches nothing."""
    if report.get("complete") is not True:
        return []
    return [
        ItemCost(int(item["phase"]), float(item["duration_s"]), float(item.get("cpu_s", 0.0)))
        for item in report.get("items", ())
        if item.get("outcome") in RAN
    ]


def predicted_wall(
    costs: Sequence[ItemCost], workers: int, *, start_up_s: float, cores: int
) -> float:
    """Seconds the items take with `workers` workers (0: in this process), start-up included."""
    if workers == 0:
        return sum(cost.alone_s for cost in costs)
    computing = min(workers, cores)
    start_up = start_up_s * workers / cores  # every worker starts at once, sharing the cores
    return start_up + sum(
        max(
            max(cost.alone_s for cost in phase),
            sum(c.wait_s for c in phase) / workers
            + sum(c.cpu_s for c in phase if c.computes) / computing,
        )
        for phase in _phases(costs)
    )


def choose_workers(costs: Sequence[ItemCost], *, start_up_s: float, cores: int) -> int:
    """The worker count with the shortest predicted run, if it saves enough; else 0."""
    largest = max((len(phase) for phase in _phases(costs)), default=0)
    alone = predicted_wall(costs, 0, start_up_s=start_up_s, cores=cores)
    best = min(
        range(largest + 1),
        key=lambda n: predicted_wall(costs, n, start_up_s=start_up_s, cores=cores),
    )
    parallel = predicted_wall(costs, best, start_up_s=start_up_s, cores=cores)
    return best if parallel <= alone * (1 - REQUIRED_SAVING) else 0


def free_cores(cpu_count: int, busy: float) -> int:
    """Cores not busy with other work, at least one: a loaded machine computes no faster."""
    return max(1, min(cpu_count, round(cpu_count - busy)))


def busy_cores(sample_s: float = BUSY_SAMPLE_S) -> float:
    """How many cores other processes keep busy now, measured over `sample_s` (this process
    sleeps meanwhile, so it is not counted).

    Not the load average: its minute still holds a run that has just ended, and after a
    readiness run with workers, `-n auto` would find no core free for the next one.
    """
    return psutil.cpu_percent(interval=sample_s) / 100 * (os.cpu_count() or 1)


def _phases(costs: Iterable[ItemCost]) -> list[list[ItemCost]]:
    by_phase: dict[int, list[ItemCost]] = defaultdict(list)
    for cost in costs:
        by_phase[cost.phase].append(cost)
    return [by_phase[phase] for phase in sorted(by_phase)]
