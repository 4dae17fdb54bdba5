"""Turn collected tests into checklist items: validate markers, order by phase, set timeouts."""

from __future__ import annotations

import functools
from dataclasses import replace

import pytest

from pytest_readiness.run.selection import Selection
from pytest_readiness.run.session import CheckSpec, ReadinessSession, parse_marker
from pytest_readiness.runbook import binding, check_records, phases


def plan_items(readiness: ReadinessSession, items: list[pytest.Item]) -> None:
    """Validate every item's category marker, sort items by phase, record the plan.

    Only items of the run's stage (`--stage`, marker `stage=`, default pre) stay; the
    others are deselected.
    """
    specs: dict[str, CheckSpec] = {}
    problems: list[str] = []
    other_stage: list[pytest.Item] = []
    for item in items:
        try:
            spec = spec_of(readiness, item)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if spec.stage != readiness.stage:
            other_stage.append(item)
        else:
            specs[item.nodeid] = spec
    if other_stage and not problems:
        items[:] = [item for item in items if item.nodeid in specs]
        other_stage[0].config.hook.pytest_deselected(items=other_stage)
    if readiness.runbook is not None:
        checks = [binding.Check(s.title, s.nodeid, s.category) for s in specs.values()]
        bound = binding.bind_checks(readiness.runbook, checks, readiness.stage)
        problems += [str(error) for error in bound.errors]
        if not problems:
            specs = _in_heading_phases(readiness, bound, specs)
    if readiness.check_records is not None:
        # A waiver may name a check of the other stage: every collected title counts.
        titles = [spec.title for spec in specs.values()]
        titles += [spec_of(readiness, item).title for item in other_stage]
        problems += check_records.unknown_waivers(readiness.check_records, titles)
    if problems:
        raise pytest.UsageError("checklist collection error:\n  " + "\n  ".join(problems))
    items.sort(key=lambda item: specs[item.nodeid].phase)
    for item in items:
        _apply_timeout(item, specs[item.nodeid])
    readiness.set_plan(specs[item.nodeid] for item in items)


def _in_heading_phases(
    readiness: ReadinessSession, bound: binding.Binding, specs: dict[str, CheckSpec]
) -> dict[str, CheckSpec]:
    """Make the runbook's headings the run's phases; each check runs in its line's phase."""
    readiness.phases = phases.of_binding(bound, readiness.config.raw.get("phases"))
    return {
        nodeid: replace(spec, phase=readiness.phases.order_of_line(bound.line_of[nodeid]))
        for nodeid, spec in specs.items()
    }


def spec_of(readiness: ReadinessSession, item: pytest.Item) -> CheckSpec:
    categories = readiness.config.categories
    marks = [mark for mark in item.iter_markers() if mark.name in categories]
    names = sorted({mark.name for mark in marks})
    if not marks:
        raise ValueError(
            f"{item.nodeid} has no category marker; add one of "
            + ", ".join(f"@pytest.mark.{c}" for c in categories)
        )
    if len(marks) > 1:
        raise ValueError(
            f"{item.nodeid} has {len(marks)} category markers ({', '.join(names)}); "
            "an item belongs to exactly one"
        )
    mark = marks[0]
    phase = readiness.config.phase_of(mark.name)
    return parse_marker(item.nodeid, mark.args, mark.kwargs, mark.name, phase)


def _apply_timeout(item: pytest.Item, spec: CheckSpec) -> None:
    """A check's own `timeout=` as pytest-timeout's marker (unless it has one already).

    Every other item gets the environment's timeout as pytest-timeout's default, set by
    `budgets.register_budgets`: no marker to add here and for pytest-timeout to parse twice
    per item.
    """
    if spec.timeout and item.get_closest_marker("timeout") is None:
        item.add_marker(_timeout_marker(spec.timeout))


@functools.cache
def _timeout_marker(seconds: float) -> pytest.MarkDecorator:
    # One decorator per distinct value: building one per item was a tenth of B1's overhead.
    return pytest.mark.timeout(seconds)


def narrow_to(selection: Selection, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the items the command line's paths and `--ignore` leave out of the run."""
    kept = [item for item in items if selection.keeps(item.path, item.nodeid)]
    if len(kept) == len(items):
        return
    names = {item.nodeid for item in kept}
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in names])
    items[:] = kept


def problem_of(report: pytest.CollectReport) -> str | None:
    """Why a checklist module could not be collected (failed or skipped at import), if so."""
    if report.failed:
        return f"{report.nodeid} failed to import: {_last_error_line(report.longreprtext)}"
    if report.skipped:
        longrepr = report.longrepr
        why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        why = why.removeprefix("Skipped: ")
        return (
            f"{report.nodeid} was skipped at import ({why}); its checks are unknown, "
            "so nothing in it was checked"
        )
    return None


def _last_error_line(text: str) -> str:
    """The exception line of a collection error (pytest marks it `E   `)."""
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    lines = errors or [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"
