"""The runbook's checklist as the report shows it: grouped for the HTML page, and as Markdown
with each line ticked or not, to paste into a release ticket.

Same headings, same lines, same order as the runbook; `[x]` for lines that passed, were
signed off or waived, `[ ]` for the rest; the verdict on top. Pure: returns a string.
The runbook's own lines and headings are its Markdown, kept as written; the summary and the
notes (failure reasons, from checks and targets) are escaped to show as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pytest_readiness.model import Item, Outcome, Report
from pytest_readiness.report.markdown_text import inline
from pytest_readiness.runbook.lines import RunbookLine, normalise

if TYPE_CHECKING:
    from pytest_readiness.runbook.binding import RunbookSource

TICKED = frozenset({Outcome.PASSED, Outcome.SIGNED_OFF, Outcome.WAIVED})


def render_checklist(
    lines: Sequence[RunbookLine],
    outcomes: Mapping[str | int, Outcome | str],
    *,
    verdict: str,
    summary: str = "",
    notes: Mapping[str | int, str] | None = None,
) -> str:
    """Markdown of `lines` under their headings, ticked by `outcomes` (title -> outcome).

    Titles are matched like check titles (see `runbook.normalise`), so either the
    check's marker title or the line as written works; a runbook line number names one
    of several identical lines. `notes` (title or line number -> text) are appended after
    an em dash, e.g. the failure reason or who signed off. Lines keep the team's Markdown.
    """
    ticked = {_key(title): Outcome(outcome) in TICKED for title, outcome in outcomes.items()}
    noted = {_key(title): inline(text) for title, text in (notes or {}).items()}
    out = [f"**Verdict: {verdict}**"]
    if summary:
        out += ["", inline(summary)]
    shown: tuple[str, ...] = ()
    for line in lines:
        new_headings = _headings_to_open(shown, line)
        if new_headings:
            out += [text for heading in new_headings for text in ("", heading)]
            out.append("")
        shown = line.heading_path
        box = "x" if ticked.get(line.line_number, ticked.get(line.key, False)) else " "
        note = noted.get(line.line_number, noted.get(line.key))
        out.append(f"- [{box}] {line.markdown or line.text}" + (f" — {note}" if note else ""))
    return "\n".join(out) + "\n"


def _key(title: str | int) -> str | int:
    return title if isinstance(title, int) else normalise(title)


def _headings_to_open(shown: tuple[str, ...], line: RunbookLine) -> list[str]:
    path = line.heading_path
    if shown == path:
        return []
    levels = line.heading_levels or tuple(range(1, len(path) + 1))
    written = line.heading_markdown if len(line.heading_markdown) == len(path) else path
    common = 0
    while common < min(len(shown), len(path)) and shown[common] == path[common]:
        common += 1
    return [f"{'#' * levels[i]} {written[i]}" for i in range(common, len(path))]


def checklist_sections(
    items: Iterable[Item],
) -> list[tuple[tuple[str, ...], tuple[Item, ...]]]:
    """Items grouped under their runbook heading path, in runbook order, for the HTML report.

    Items without a runbook line come last under an empty heading path.
    """
    ordered = sorted(items, key=_line_number)
    sections: list[tuple[tuple[str, ...], list[Item]]] = []
    for item in ordered:
        line = item.extra.get("runbook_line")
        path = tuple(line["heading_path"]) if isinstance(line, dict) else ()
        if not sections or sections[-1][0] != path:
            sections.append((path, []))
        sections[-1][1].append(item)
    return [(path, tuple(group)) for path, group in sections]


def outcomes_by_title(items: Iterable[Item]) -> dict[str | int, Outcome]:
    """Runbook line number (else title) -> outcome, for `render_checklist`.

    A line automated by several parametrized items is ticked only when all of them are.
    """
    result: dict[str | int, Outcome] = {}
    for item in items:
        title = _line_key(item)
        previous = result.get(title)
        if previous is None or (previous.is_ok and not item.outcome.is_ok):
            result[title] = item.outcome
    return result


def render_runbook_checklist(source: RunbookSource, report: Report) -> str:
    """The runbook's checklist for `reports/readiness-<env>.md`, ticked from the report."""
    notes: dict[str | int, str] = {
        _line_key(item): item.reason
        for item in report.items
        if item.reason and item.outcome is not Outcome.PASSED
    }
    checked = {_line_key(item) for item in report.items}
    lines = source.runbook.checklist(report.stage, optional=True)
    return render_checklist(
        tuple(line for line in lines if not line.optional or line.line_number in checked),
        outcomes_by_title(report.items),
        verdict=_verdict_line(report),
        summary=report.sentence,
        notes=notes,
    )


def _verdict_line(report: Report) -> str:
    """The verdict, and for ROLLBACK the triggers hit, for the report's first line."""
    hits = _ordered_unique(str(item.extra.get("trigger")) for item in report.triggers)
    return f"{report.verdict} (trigger: {'; '.join(hits)})" if hits else str(report.verdict)


def _ordered_unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _line_key(item: Item) -> str | int:
    """The item's runbook line number: identical lines under two headings are two lines."""
    line = item.extra.get("runbook_line")
    return int(line["line"]) if isinstance(line, dict) else item.title


def _line_number(item: Item) -> int:
    line = item.extra.get("runbook_line")
    return int(line["line"]) if isinstance(line, dict) else 1_000_000
