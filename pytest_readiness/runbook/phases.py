"""The run's phases: the runbook's mapped headings in runbook order, or the categories.

With a runbook, each heading that holds checklist lines of the run (directly or through
unmapped sub-headings) is one phase, titled as the runbook titles it and numbered 1..N
without gaps; a line's phase is its nearest mapped heading, whatever its checks'
categories. Configured `phases` (a list of categories) reorders the headings by the
category each maps to, runbook order within one category. Without a runbook the phases
are the categories in `phases` order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_readiness.model import CATEGORY_TITLES
from pytest_readiness.runbook.lines import HEADING_SEPARATOR, Binding, RunbookLine


@dataclass(frozen=True)
class Phase:
    """One phase: what the report names and titles it, and where its lines come from."""

    name: str
    title: str
    # The category (or `post`) the heading maps to; the category itself without a runbook.
    category: str | None = None
    # The runbook headings down to the mapped one; empty for a category phase.
    path: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "category": self.category,
                "path": list(self.path)}  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Phase:
        category = raw.get("category")
        return cls(
            name=str(raw["name"]),
            title=str(raw["title"]),
            category=None if category is None else str(category),
            path=tuple(str(heading) for heading in raw.get("path", ())),
        )


@dataclass(frozen=True)
class Phases:
    """The run's phases in run order; phase number = position + 1."""

    phases: tuple[Phase, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(phase.name for phase in self.phases)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(phase.title for phase in self.phases)

    def name(self, order: int) -> str:
        """The name of phase number `order` (1-based)."""
        return self.phases[order - 1].name

    def order_of_line(self, line: RunbookLine) -> int:
        """The number of the phase a runbook line belongs to (its nearest mapped heading)."""
        path = line.phase_path
        return next(n for n, phase in enumerate(self.phases, start=1) if phase.path == path)


def of_categories(categories: Sequence[str]) -> Phases:
    """Without a runbook: one phase per category, titled like the shipped runbook's."""
    return Phases(
        tuple(Phase(name, CATEGORY_TITLES.get(name, name), name, ()) for name in categories)
    )


def of_binding(binding: Binding, order: Sequence[str] | None = None) -> Phases:
    """The headings the bound runbook lines sit under, in runbook order or `order`'s.

    `order` lists categories (config `phases`, when set): headings sort by the category
    they map to, keeping runbook order within a category.
    """
    lines = sorted(
        {*(bound.line for bound in binding.lines), *binding.line_of.values()},
        key=lambda line: line.line_number,
    )
    found = _heading_phases(lines)
    if order:
        rank = {category: index for index, category in enumerate(order)}
        found.sort(key=lambda phase: rank.get(phase.category or "", len(rank)))
    return Phases(tuple(found))


def _heading_phases(lines: Iterable[RunbookLine]) -> list[Phase]:
    """One phase per distinct phase heading path, first seen first."""
    paths: dict[tuple[str, ...], str | None] = {}
    for line in lines:
        paths.setdefault(line.phase_path, line.section)
    last = [path[-1] if path else "" for path in paths]
    phases = []
    for path, category in paths.items():
        title = path[-1] if path else "Runbook"
        if last.count(title) > 1:  # two "Other" headings: say which one
            title = HEADING_SEPARATOR.join(path)
        phases.append(Phase(title, title, category, path))
    return phases
