"""Feature flags: every flag the app exposes is documented, with the same default.

The flags document holds a Markdown table (parsed with markdown-it-py) whose header has a
flag column (`Flag`, `Name` or `Key`) and a `Default` column. The app's flags endpoint
answers `{"flags": {"name": default}}`, `{"flags": [{"name", "default"}]}` or a bare object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from markdown_it import MarkdownIt

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes._text import counted
from pytest_readiness.probes.endpoint import EndpointError, failed, get_json, note

NAME_COLUMNS = ("flag", "name", "key", "feature flag")
DEFAULT_COLUMNS = ("default", "default value")


def documented_flags(markdown: str) -> dict[str, str]:
    """Flag name -> documented default, from every table with a flag and a default column."""
    flags: dict[str, str] = {}
    for table in _tables(markdown):
        header = [cell.lower() for cell in table[0]]
        name_at = _column(header, NAME_COLUMNS)
        default_at = _column(header, DEFAULT_COLUMNS)
        if name_at is None or default_at is None:
            continue
        for row in table[1:]:
            if len(row) > max(name_at, default_at) and row[name_at]:
                flags[row[name_at].strip("`").strip()] = normalise(row[default_at])
    return flags


def exposed_flags(payload: Any, where: str) -> dict[str, str]:
    """Flag name -> default as the app reports it, normalised like the document's values."""
    flags = payload.get("flags", payload) if isinstance(payload, Mapping) else payload
    if isinstance(flags, Mapping):
        return {str(name): normalise(_default_of(value)) for name, value in flags.items()}
    if isinstance(flags, list):
        return {
            str(entry.get("name") or entry.get("key")): normalise(entry.get("default"))
            for entry in flags
            if isinstance(entry, Mapping)
        }
    raise EndpointError(f"{where} is neither a flags object nor a list")


def normalise(value: Any) -> str:
    """One spelling per value: `true`, `false`, `10`, `off`; backticks and quotes dropped."""
    if not isinstance(value, str):
        return json.dumps(value)
    text = value.strip().strip("`").strip().strip("'\"").strip()
    return text.lower()


def compare(exposed: Mapping[str, str], documented: Mapping[str, str]) -> list[str]:
    """Problems, each naming its flags: undocumented, stale (documented, gone), wrong default."""
    problems: list[str] = []
    undocumented = sorted(set(exposed) - set(documented))
    stale = sorted(set(documented) - set(exposed))
    wrong = sorted(
        f"{name} (app {exposed[name]}, doc {documented[name]})"
        for name in set(exposed) & set(documented)
        if exposed[name] != documented[name]
    )
    if undocumented:
        problems.append(f"undocumented flags: {', '.join(undocumented)}")
    if stale:
        problems.append(f"documented flags the app no longer has: {', '.join(stale)}")
    if wrong:
        problems.append(f"wrong defaults: {', '.join(wrong)}")
    return problems


def flags_documented(client: httpx.Client, path: str, document: Path) -> ProbeResult:
    """The app's flags (at `path`) and the document's table agree flag for flag."""
    try:
        text = document.read_text(encoding="utf-8")
    except OSError:
        return ProbeResult.failed(f"feature flags document {document} cannot be read")
    documented = documented_flags(text)
    if not documented:
        return ProbeResult.failed(f"{document.name} has no table with a flag and a default column")
    try:
        exposed = exposed_flags(get_json(client, path), path)
    except EndpointError as exc:
        return failed(exc)
    row = note(
        f"{counted(len(exposed), 'flag')} exposed, {len(documented)} documented in {document.name}",
        exposed=exposed,
        documented=documented,
    )
    problems = compare(exposed, documented)
    if problems:
        return ProbeResult.failed("; ".join(problems), [row])
    return ProbeResult.passed([row])


def _default_of(value: Any) -> Any:
    if isinstance(value, Mapping) and "default" in value:
        return value["default"]
    return value


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for index, cell in enumerate(header):
        if cell.strip("` ") in names:
            return index
    return None


def _tables(markdown: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    row: list[str] = []
    in_cell = False
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            in_cell = True
            row.append("")
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            row[-1] = token.content.strip()
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables
