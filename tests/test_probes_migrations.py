"""Migrations against real PostgreSQL: applied versions, and a dry-run that never commits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pytest_readiness.probes import migrations
from reference.target import database

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

HISTORY = """
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (
    version text primary key, statements text[], name text);
"""


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    yield url
    database.drop(ADMIN_DSN, url)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "20250101000000_widgets.sql").write_text(
        "create table public.widgets (id int primary key);"
    )
    (tmp_path / "20250102000000_gadgets.sql").write_text(
        "begin;\ncreate table public.gadgets (id int primary key);\ncommit;\n"
    )
    (tmp_path / "README.md").write_text("not a migration")
    return tmp_path


def record(dsn: str, *versions: str, apply: str = "") -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(HISTORY.encode())
        if apply:
            conn.execute(apply.encode())
        for version in versions:
            conn.execute(
                "insert into supabase_migrations.schema_migrations values (%s, '{}', 'x')",
                (version,),
            )


def tables(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select tablename from pg_tables where schemaname = 'public' order by 1"
        ).fetchall()
    return [row[0] for row in rows]


def test_versions_are_the_leading_digits_in_version_order(folder: Path) -> None:
    (folder / "3_third.sql").write_text("select 1;")
    found = migrations.migration_files(folder)
    assert [(m.version, m.name) for m in found] == [
        ("3", "third"),
        ("20250101000000", "widgets"),
        ("20250102000000", "gadgets"),
    ]


def test_all_files_recorded_passes(dsn: str, folder: Path) -> None:
    record(dsn, "20250101000000", "20250102000000")
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, folder)
    assert result.ok, result.reason
    assert result.warnings == ()


def test_a_missing_version_fails_naming_the_file(dsn: str, folder: Path) -> None:
    record(dsn, "20250101000000")
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, folder)
    assert not result.ok
    assert result.reason == "1 migration not applied: 20250102000000_gadgets.sql"


def test_an_applied_version_without_a_file_is_a_warning(dsn: str, folder: Path) -> None:
    record(dsn, "20241231000000", "20250101000000", "20250102000000")
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, folder)
    assert result.ok
    assert result.warnings == (f"applied but no file in {folder.name}/: 20241231000000",)


def test_a_database_without_history_fails(dsn: str, folder: Path) -> None:
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, folder)
    assert result.reason == (
        "supabase_migrations.schema_migrations does not exist: no migration was recorded"
    )


def test_the_dry_run_applies_pending_files_and_leaves_the_schema_unchanged(
    dsn: str, folder: Path
) -> None:
    record(dsn, "20250101000000", apply="create table public.widgets (id int primary key);")
    with psycopg.connect(dsn) as conn:
        result = migrations.dry_run(conn, folder)
    assert result.ok, result.reason
    assert result.evidence[0].data["applied"] == ["20250102000000_gadgets.sql"]
    assert tables(dsn) == ["widgets"]


def test_a_broken_pending_file_fails_naming_it_and_the_server_error(dsn: str, folder: Path) -> None:
    (folder / "20250103000000_broken.sql").write_text(
        "alter table public.gadgets add column price numeric;\n"
        "alter table public.nowhere add column x int;\n"
    )
    with psycopg.connect(dsn) as conn:
        result = migrations.dry_run(conn, folder)
    assert not result.ok
    assert result.reason == (
        '20250103000000_broken.sql: 42P01 relation "public.nowhere" does not exist'
    )
    assert tables(dsn) == []


def test_nothing_pending_passes_saying_so(dsn: str, folder: Path) -> None:
    record(dsn, "20250101000000", "20250102000000")
    with psycopg.connect(dsn) as conn:
        result = migrations.dry_run(conn, folder)
    assert result.ok
    assert result.evidence[0].summary == "no pending migrations to dry-run"


def test_a_file_that_ends_the_transaction_itself_is_refused_not_run(dsn: str, folder: Path) -> None:
    (folder / "20250103000000_sneaky.sql").write_text(
        "create table public.sneaky (id int);\nrollback;\ncreate table public.after (id int);\n"
    )
    with psycopg.connect(dsn) as conn:
        result = migrations.dry_run(conn, folder)
    assert result.reason == (
        "20250103000000_sneaky.sql: ends the transaction itself (COMMIT/ROLLBACK);"
        " not dry-run, to stay safe"
    )
    assert tables(dsn) == []


def test_a_folder_without_migration_files_fails_naming_it(dsn: str, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("migrations go here")
    record(dsn)
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, tmp_path)
    assert not result.ok
    assert result.reason == f"no migration files in {tmp_path}"


def test_no_migration_files_pass_with_a_warning_where_empty_is_expected(
    dsn: str, tmp_path: Path
) -> None:
    record(dsn)
    with psycopg.connect(dsn) as conn:
        result = migrations.check_applied(conn, tmp_path, allow_empty=True)
    assert result.ok
    assert result.warnings == (f"no migration files in {tmp_path}",)


def test_the_dry_run_of_a_folder_without_migration_files_fails(dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(dsn) as conn:
        result = migrations.dry_run(conn, tmp_path)
    assert result.reason == f"no migration files in {tmp_path}"
