"""Evidence as a person reads it: commands with exit code and output tail, HTTP rows, SQL rows.

Everything is escaped here; the caller redacts the finished HTML once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from itertools import groupby
from typing import Any, TypeGuard

from pytest_readiness.model import Evidence

SQL_ROWS_SHOWN = 5
OUTPUT_TAIL_LINES = 40


def render_evidence(evidence: Sequence[Evidence]) -> str:
    """All evidence of one item; consecutive HTTP exchanges share one table."""
    if not evidence:
        return ""
    parts = []
    for kind, group in groupby(evidence, key=lambda e: e.kind):
        entries = list(group)
        if kind == "http":
            parts.append(_http_table(entries))
        else:
            parts.extend(_RENDERERS.get(kind, _plain)(entry) for entry in entries)
    return f'<div class="evidence-list">{"".join(parts)}</div>'


def _command(entry: Evidence) -> str:
    data = entry.data
    code = data.get("returncode")
    status = "exit code unknown" if code is None else f"exit code {code}"
    tone = "ok" if code == 0 else "bad"
    duration = _seconds(data.get("duration_s"))
    command = str(data.get("command") or entry.summary)
    tail = "\n".join(entry.detail.splitlines()[-OUTPUT_TAIL_LINES:])
    output = f'<pre class="evidence-detail">{escape(tail)}</pre>' if tail else ""
    return (
        f'<div class="evidence evidence-command"><p><span class="evidence-kind">command</span> '
        f"<code>{escape(command)}</code> "
        f'<span class="exit exit-{tone}">{escape(status)}</span>{duration}</p>{output}</div>'
    )


def _http_table(entries: Iterable[Evidence]) -> str:
    rows = "".join(_http_row(entry) for entry in entries)
    return (
        '<table class="evidence evidence-http"><caption>HTTP exchanges</caption><thead><tr>'
        '<th scope="col">Method</th><th scope="col">URL</th><th scope="col">Status</th>'
        f'<th scope="col">Latency</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _http_row(entry: Evidence) -> str:
    data = entry.data
    status = data.get("status")
    shown = str(status) if status is not None else str(data.get("error") or "no answer")
    tone = "ok" if isinstance(status, int) and status < 400 else "bad"
    elapsed = data.get("elapsed_ms")
    latency = f"{elapsed:.0f} ms" if isinstance(elapsed, int | float) else "-"
    url = data.get("url") or entry.summary
    return (
        f"<tr><td>{escape(str(data.get('method', '')))}</td><td>{escape(str(url))}</td>"
        f'<td class="exit-{tone}">{escape(shown)}</td><td>{escape(latency)}</td></tr>'
    )


def _sql(entry: Evidence) -> str:
    data = entry.data
    query = str(data.get("query") or "")
    columns = [str(c) for c in data.get("columns") or ()]
    rows = list(data.get("rows") or ())[:SQL_ROWS_SHOWN]
    table = _sql_rows(columns, rows) if rows or columns else ""
    return (
        f'<div class="evidence evidence-sql"><p><span class="evidence-kind">sql</span> '
        f"{escape(entry.summary)}</p>"
        f'<pre class="evidence-detail">{escape(query)}</pre>{table}</div>'
    )


def _sql_rows(columns: Sequence[str], rows: Sequence[Any]) -> str:
    width = max([len(columns), *(len(_cells(r)) for r in rows)])
    names = list(columns) + [""] * (width - len(columns))
    head = "".join(f'<th scope="col">{escape(n)}</th>' for n in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(v))}</td>" for v in _cells(row)) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="evidence-rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _plain(entry: Evidence) -> str:
    detail = f'<pre class="evidence-detail">{escape(entry.detail)}</pre>' if entry.detail else ""
    return (
        f'<div class="evidence evidence-{escape(entry.kind)}"><p>'
        f'<span class="evidence-kind">{escape(entry.kind)}</span> '
        f"{escape(entry.summary)}</p>{detail}</div>"
    )


def _cells(row: Any) -> list[Any]:
    if isinstance(row, Mapping):
        return list(row.values())
    if isinstance(row, list | tuple):
        return list(row)
    return [row]


def _text(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _seconds(value: Any) -> str:
    return f", {value:.1f} s" if isinstance(value, int | float) else ""


def _histogram(entry: Evidence) -> str:
    """Redrawn from its numbers: a stored SVG string is never inlined (any check can write one)."""
    from pytest_readiness.probes.latency import histogram_svg

    counts, edges = entry.data.get("counts"), entry.data.get("edges")
    if not (_numbers(counts) and _numbers(edges) and len(edges) >= 2):
        return _plain(entry)
    chart = histogram_svg([int(c) for c in counts], edges[0], edges[-1])
    return (
        f'<div class="evidence evidence-histogram"><p><span class="evidence-kind">histogram'
        f"</span> {escape(entry.summary)}</p>{chart}</div>"
    )


def _numbers(value: Any) -> TypeGuard[list[float]]:
    return isinstance(value, list) and all(isinstance(v, int | float) for v in value)


_RENDERERS = {"command": _command, "sql": _sql, "histogram": _histogram}
