"""A small inline SVG of pass counts over the kept runs: no script, no external file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 240, 48, 4


def render_trend(points: Sequence[Mapping[str, Any]]) -> str:
    """Passed items per run, oldest to newest; a GO run is a green dot, any other a red one."""
    if len(points) < 2:
        return ""
    top = max(max(int(p.get("total", 0)) for p in points), 1)
    step = (WIDTH - 2 * PAD) / (len(points) - 1)
    xy = [
        (PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * int(p.get("passed", 0)) / top)
        for i, p in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="trend-{_tone(p)}">'
        f"<title>{escape(str(p.get('started_at')))}: {int(p.get('passed', 0))} of "
        f"{int(p.get('total', 0))} passed ({escape(str(p.get('verdict')))})</title></circle>"
        for (x, y), p in zip(xy, points, strict=True)
    )
    first, last = points[0], points[-1]
    label = (
        f"Passed items over the last {len(points)} runs: {int(first.get('passed', 0))} "
        f"then {int(last.get('passed', 0))} of {int(last.get('total', 0))} now"
    )
    return (
        f'<figure class="readiness-trend"><svg role="img" aria-label="{escape(label)}" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<polyline points="{line}" fill="none" stroke="#444" stroke-width="1.5"/>{dots}</svg>'
        f"<figcaption>{escape(label)}</figcaption></figure>"
    )


def _tone(point: Mapping[str, Any]) -> str:
    return "go" if point.get("verdict") == "GO" else "no-go"
