"""The "First 24 hours" timeline: error rate and P95 per post-stage run, thresholds drawn.

`timeline(report, runs)` is plain data put into `Report.extra["first_24_hours"]` (so the JSON
carries it); `render_html` draws one small SVG per metric with the threshold as a dashed
line, and `markdown_lines` is the same numbers as a table. Only numbers and escaped text go
into the SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any

from pytest_readiness.model import POST_STAGE, Report
from pytest_readiness.probes._text import counted
from pytest_readiness.report.history import measurements_of

WINDOW = timedelta(hours=24)
METRICS = (("error_rate", "Error rate", "%"), ("p95_s", "P95 latency", "s"))
WIDTH, HEIGHT, PAD = 320, 80, 6


def timeline(report: Report, runs: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Per run of the last 24 hours (this one included): its error rate and P95."""
    if report.stage != POST_STAGE:
        return None
    end = _time(report.started_at)
    rows = [
        *(_point(run.get("measurements") or []) for run in runs),
        _point(measurements_of(report)),
    ]
    stamps = [*(run.get("started_at") for run in runs), report.started_at]
    points = [
        {"at": stamp, **values}
        for stamp, (values, _) in zip(stamps, rows, strict=True)
        if values and (end is None or (_time(stamp) or end) > end - WINDOW)
    ]
    if not points:
        return None
    thresholds: dict[str, float] = {}
    for _, limits in rows:
        thresholds.update(limits)
    return {"points": points, "thresholds": thresholds}


def _point(measurements: Sequence[Mapping[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    values: dict[str, float] = {}
    limits: dict[str, float] = {}
    for row in measurements:
        metric = str(row.get("metric"))
        try:
            values[metric] = float(row["value"])
            limits[metric] = float(row["threshold"])
        except (KeyError, TypeError, ValueError):
            continue
    return values, limits


def _time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def render_html(data: Any) -> str:
    """The timeline section, or nothing when there is no timeline."""
    if not isinstance(data, Mapping) or not data.get("points"):
        return ""
    points, thresholds = data["points"], data.get("thresholds") or {}
    charts = "".join(
        _chart(label, unit, [(str(p["at"]), p.get(metric)) for p in points], thresholds.get(metric))
        for metric, label, unit in METRICS
    )
    return (
        '<section id="readiness-first-24-hours"><h2>First 24 hours</h2>'
        f"<p>{counted(len(points), 'post-deploy run')} of the last 24 hours.</p>{charts}</section>"
    )


def _chart(
    label: str, unit: str, values: Sequence[tuple[str, Any]], threshold: float | None
) -> str:
    known = [(at, float(v)) for at, v in values if isinstance(v, int | float)]
    if not known:
        return ""
    top = max([v for _, v in known] + [threshold or 0.0]) * 1.1 or 1.0
    step = (WIDTH - 2 * PAD) / max(len(known) - 1, 1)

    def y(value: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top

    xy = [(PAD + n * step, y(v)) for n, (_, v) in enumerate(known)]
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2.5"><title>{escape(at)}: '
        f"{escape(_show(v, unit))}</title></circle>"
        for (x, yy), (at, v) in zip(xy, known, strict=True)
    )
    rule = ""
    if threshold is not None:
        rule = (
            f'<line x1="0" x2="{WIDTH}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}" '
            f'stroke="#c0392b" stroke-dasharray="4 3"><title>threshold '
            f"{escape(_show(threshold, unit))}</title></line>"
        )
    caption = f"{label}: latest {_show(known[-1][1], unit)}"
    if threshold is not None:
        caption += f", threshold {_show(threshold, unit)}"
    return (
        f'<figure class="readiness-first-day"><svg role="img" aria-label="{escape(caption)}" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">{rule}'
        f'<polyline points="{line}" fill="none" stroke="#444" stroke-width="1.5"/>{dots}</svg>'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def markdown_lines(data: Any) -> list[str]:
    """The timeline as a Markdown table (time, error rate, P95), thresholds in the header."""
    if not isinstance(data, Mapping) or not data.get("points"):
        return []
    thresholds = data.get("thresholds") or {}
    heads = [
        f"{label} (threshold {_show(thresholds[m], unit)})" if m in thresholds else label
        for m, label, unit in METRICS
    ]
    lines = ["## First 24 hours", "", f"| run | {' | '.join(heads)} |", "| --- | --- | --- |"]
    for point in data["points"]:
        cells = [
            _show(point[m], unit) if isinstance(point.get(m), int | float) else "-"
            for m, _, unit in METRICS
        ]
        lines.append(f"| {point['at']} | {' | '.join(cells)} |")
    return [*lines, ""]


def _show(value: float, unit: str) -> str:
    return f"{value:.2%}" if unit == "%" else f"{value:.3g} {unit}"
