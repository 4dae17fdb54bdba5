"""Evidence for SQL probes: the query, its columns and at most five rows as plain JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_readiness.model import Evidence
from pytest_readiness.probes._text import counted

MAX_ROWS = 5


def sql_evidence(
    summary: str, query: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Evidence:
    """A `sql` evidence entry; values that are not JSON scalars are shown as text."""
    shown = [[_plain(value) for value in row] for row in rows[:MAX_ROWS]]
    detail = "\n".join(" | ".join(str(v) for v in row) for row in shown)
    if len(rows) > MAX_ROWS:
        detail += f"\n... {counted(len(rows) - MAX_ROWS, 'more row')}"
    return Evidence(
        "sql",
        summary,
        detail=detail,
        data={"query": query.strip(), "columns": list(columns), "rows": shown},
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
