"""The runbook's checklist as Markdown with each line ticked or not: paste into a release ticket.

Same headings, same lines, same order as the runbook; `[x]` for lines that passed, were
signed off or waived, `[ ]` for the rest; the verdict on top. Pure: returns a string.
The runbook's own lines and headings are its Markdown, kept as written; the summary and the
notes (failure reasons, from checks and targets) are escaped to show as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pytest_readiness.markdown_text import inline
from pytest_readiness.model import Outcome
from pytest_readiness.runbook import RunbookLine, normalise

TICKED = frozenset({Outcome.PASSED, Outcome.SIGNED_OFF, Outcome.WAIVED})


def render_checklist(
    lines: Sequence[RunbookLine],
    outcomes: Mapping[str, Outcome | str],
    *,
    verdict: str,
    summary: str = "",
    notes: Mapping[str, str] | None = None,
) -> str:
    """Markdown of `lines` under their headings, ticked by `outcomes` (title -> outcome).

    Titles are matched like check titles (see `runbook.normalise`), so either the
    check's marker title or the line as written works. `notes` (title -> text) are
    appended after an em dash, e.g. the failure reason or who signed off.
    """
    ticked = {normalise(title): Outcome(outcome) in TICKED for title, outcome in outcomes.items()}
    noted = {normalise(title): inline(text) for title, text in (notes or {}).items()}
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
        box = "x" if ticked.get(line.key, False) else " "
        note = noted.get(line.key)
        out.append(f"- [{box}] {line.text}" + (f" — {note}" if note else ""))
    return "\n".join(out) + "\n"


def _headings_to_open(shown: tuple[str, ...], line: RunbookLine) -> list[str]:
    path = line.heading_path
    if shown == path:
        return []
    levels = line.heading_levels or tuple(range(1, len(path) + 1))
    common = 0
    while common < min(len(shown), len(path)) and shown[common] == path[common]:
        common += 1
    return [f"{'#' * levels[i]} {path[i]}" for i in range(common, len(path))]
