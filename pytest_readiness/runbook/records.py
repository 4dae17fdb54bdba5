"""Reviewable TOML record files (sign-offs, waivers): read entries, append one, name bad ones.

The files live in the repository so approvals and accepted risks go through code review.
They are read with `tomllib` and appended to as text, one well-formed `[[table]]` block at
a time, so no TOML writer is needed and existing comments and order are kept.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

RecordValue = str | date | datetime

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


class RecordError(Exception):
    """A record file, or one entry in it, is not what it must be; names file and entry."""

    def __init__(
        self, path: Path, entry: int | None, message: str, item: str | None = None
    ) -> None:
        where = str(path) if entry is None else f"{path}: entry {entry}"
        if item:
            where += f" ({item!r})"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.entry = entry
        self.item = item


def read_entries(path: Path, table: str) -> list[Mapping[str, Any]]:
    """The `[[table]]` entries of a record file; a missing file has none."""
    if not path.is_file():
        return []
    try:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RecordError(path, None, f"malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RecordError(path, None, f"not UTF-8 text (offset {exc.start})") from None
    unknown = sorted(set(document) - {table})
    if unknown:
        raise RecordError(
            path, None, f"unknown top-level key {unknown[0]!r} (expected [[{table}]])"
        )
    entries = document.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RecordError(path, None, f"{table} must be an array of tables ([[{table}]])")
    return entries


def require_text(path: Path, entry: int, raw: Mapping[str, Any], key: str) -> str:
    """A non-empty string field of an entry, or `RecordError` naming it."""
    value = raw.get(key)
    item = raw.get("item") if isinstance(raw.get("item"), str) else None
    if value is None:
        raise RecordError(path, entry, f"missing {key}", item)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(path, entry, f"{key} must be a non-empty string", item)
    return value


def check_keys(path: Path, entry: int, raw: Mapping[str, Any], known: Sequence[str]) -> None:
    """Refuse keys the record type does not know (typos would silently do nothing)."""
    unknown = sorted(set(raw) - set(known))
    if unknown:
        item = raw.get("item") if isinstance(raw.get("item"), str) else None
        raise RecordError(
            path, entry, f"unknown key {unknown[0]!r} (known keys: {', '.join(known)})", item
        )


def toml_string(value: str) -> str:
    """A TOML basic string with every character that needs it escaped."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: RecordValue) -> str:
    """A TOML literal for a string, a date or an aware datetime."""
    if isinstance(value, str):
        return toml_string(value)
    return value.isoformat()


def append_entry(
    path: Path, table: str, fields: Sequence[tuple[str, RecordValue]], header: str
) -> None:
    """Append one `[[table]]` block; a new file starts with the `header` comment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    prefix = "".join(f"# {line}\n" for line in header.splitlines()) if not existing else ""
    if existing and not existing.endswith("\n"):
        prefix = "\n"
    block = "\n".join(f"{key} = {toml_value(value)}" for key, value in fields)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{prefix}\n[[{table}]]\n{block}\n")
