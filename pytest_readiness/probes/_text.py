"""Small text helpers shared by probes and reasons: one-line text, JSON inside noisy output."""

from __future__ import annotations

import json
from typing import Any


def decode_json_output(text: str) -> Any:
    """The first JSON document in `text`, skipping banner lines (npm prints some first).

    Raises `ValueError` when no line starts a JSON array or object.
    """
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("[", "{")):
            start = offset + len(line) - len(line.lstrip())
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                offset += len(line)
                continue
            return value
        offset += len(line)
    raise ValueError("no JSON document found in the output")


def first(items: list[str], limit: int = 5) -> str:
    """`a, b, c (+2 more)`: a short list for one-line reasons."""
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} (+{rest} more)" if rest > 0 else shown


def first_line(text: str) -> str:
    """The first non-blank line, stripped: a reason is one line."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def counted(count: float, noun: str, plural: str = "") -> str:
    """`1 error`, `2 errors`: a count with its noun, plural only when plural."""
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {noun if count == 1 else plural or noun + 's'}"
