"""Feature flags: the app's flags and the document's Markdown table agree flag for flag."""

from __future__ import annotations

from pathlib import Path

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.feature_flags import documented_flags, flags_documented

DOC = """# Flags

Some prose with a | pipe.

| Flag | Default | Notes |
| --- | --- | --- |
| `beta` | `false` | off |
| limit | 10 | n |
| mode | "fast" | quoted |
"""


def probe(server: HTTPServer, tmp_path: Path, flags: object, doc: str = DOC):
    server.expect_request("/api/feature-flags").respond_with_json(flags)
    path = tmp_path / "feature-flags.md"
    path.write_text(doc)
    client = httpx.Client(base_url=server.url_for("/"))
    return flags_documented(client, "/api/feature-flags", path)


def test_the_table_is_read_with_backticks_and_quotes_dropped():
    assert documented_flags(DOC) == {"beta": "false", "limit": "10", "mode": "fast"}


def test_tables_without_a_default_column_are_ignored():
    assert documented_flags("| Flag | Owner |\n| --- | --- |\n| a | me |\n") == {}


def test_matching_flags_pass(httpserver: HTTPServer, tmp_path: Path):
    flags = {"flags": {"beta": False, "limit": 10, "mode": "fast"}}
    assert probe(httpserver, tmp_path, flags).ok


def test_a_list_of_flags_is_accepted(httpserver: HTTPServer, tmp_path: Path):
    flags = [
        {"name": "beta", "default": False},
        {"name": "limit", "default": 10},
        {"name": "mode", "default": "fast"},
    ]
    assert probe(httpserver, tmp_path, {"flags": flags}).ok


def test_undocumented_stale_and_wrong_defaults_are_each_named(
    httpserver: HTTPServer, tmp_path: Path
):
    flags = {"flags": {"beta": True, "limit": 10, "autopilot": False}}
    reason = probe(httpserver, tmp_path, flags).reason
    assert reason == (
        "undocumented flags: autopilot; documented flags the app no longer has: mode; "
        "wrong defaults: beta (app true, doc false)"
    )


def test_a_document_without_a_flags_table_fails(httpserver: HTTPServer, tmp_path: Path):
    reason = probe(httpserver, tmp_path, {"flags": {}}, doc="# Flags\n\nNone yet.\n").reason
    assert reason == "feature-flags.md has no table with a flag and a default column"


def test_a_missing_document_is_named(tmp_path: Path):
    with httpx.Client() as client:
        reason = flags_documented(client, "/f", tmp_path / "nope.md").reason
    assert reason == f"feature flags document {tmp_path / 'nope.md'} cannot be read"
