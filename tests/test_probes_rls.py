"""Row-level security on real PostgreSQL, with the probe role inside a read-only transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from pytest_readiness.probes import rls
from pytest_readiness.probes.database import ReadOnlyDatabase
from reference.target import database
from tests.check_project import run_check

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

SCHEMA = """
create table public.shops (id int primary key, domain text);
create table public.orders (id int primary key, shop_id int);
insert into public.shops values (1, 'a.myshopify.com');
insert into public.orders values (1, 1);
alter table public.shops enable row level security;
alter table public.orders enable row level security;
create policy shop_self on public.shops for select to authenticated using (true);
create policy shop_orders on public.orders for select to authenticated using (true);
grant select on public.shops to anon;
"""


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    with psycopg.connect(url) as conn:
        conn.execute(SCHEMA.encode())
    yield url
    database.drop(ADMIN_DSN, url)


def check(dsn: str, role: str | None = None, extra: str = "") -> rls.ProbeResult:
    if extra:
        with psycopg.connect(dsn) as conn:
            conn.execute(extra.encode())
    with psycopg.connect(dsn) as conn:
        conn.execute("set transaction read only")
        return rls.check_rls(conn, ["public"], role)


def test_tables_with_rls_and_policies_pass_also_for_the_anon_role(dsn: str) -> None:
    result = check(dsn, "anon")
    assert result.ok, result.reason
    assert result.evidence[1].data == {"role": "anon", "readable": []}


def test_a_table_with_rls_disabled_fails_naming_it(dsn: str) -> None:
    result = check(dsn, extra="alter table public.orders disable row level security")
    assert result.reason == "RLS disabled on public.orders"


def test_a_table_without_a_policy_fails_naming_it(dsn: str) -> None:
    result = check(dsn, extra="drop policy shop_self on public.shops")
    assert result.reason == "no policy on public.shops"


def test_rows_visible_to_the_probe_role_fail_naming_the_table(dsn: str) -> None:
    result = check(
        dsn, "anon", extra="create policy open on public.shops for select to anon using (true)"
    )
    assert result.reason == "role anon can read rows from public.shops"


def test_the_probe_role_is_reset_afterwards(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        rls.check_rls(conn, ["public"], "anon")
        assert conn.execute("select current_user").fetchone() == ("postgres",)


def test_a_schema_without_tables_fails_naming_it(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        result = rls.check_rls(conn, ["nothing_here"])
    assert not result.ok
    assert result.reason == "no tables in nothing_here"


def test_an_empty_schema_among_others_fails_naming_only_it(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create schema storage")
        result = rls.check_rls(conn, ["public", "storage"])
    assert result.reason == "no tables in storage"


def test_a_schema_without_tables_passes_with_a_warning_where_empty_is_expected(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        result = rls.check_rls(conn, ["nothing_here"], allow_empty=True)
    assert result.ok
    assert result.warnings == ("no tables in nothing_here",)


@pytest.fixture
def unmigrated_dsn() -> Iterator[str]:
    """A database whose migrations never ran: its public schema has no table."""
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    yield url
    database.drop(ADMIN_DSN, url)


def test_the_rls_item_fails_on_an_unmigrated_database_when_migrations_exist(
    pytester: pytest.Pytester, unmigrated_dsn: str
) -> None:
    folder = pytester.path / "ws" / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20250101000000_shops.sql").write_text("create table public.shops (id int);\n")
    item = run_check(pytester, "test_database.py", "test_rls", {}, {"database_url": unmigrated_dsn})
    assert item["outcome"] == "failed"
    assert item["reason"] == "no tables in public"


def test_the_rls_item_passes_an_empty_schema_with_a_warning_when_there_are_no_migrations(
    pytester: pytest.Pytester, unmigrated_dsn: str
) -> None:
    (pytester.path / "ws" / "supabase" / "migrations").mkdir(parents=True)
    item = run_check(pytester, "test_database.py", "test_rls", {}, {"database_url": unmigrated_dsn})
    assert item["outcome"] == "passed", item["reason"]
    warnings = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    # The superuser warning of `db` (tests connect as postgres) comes first.
    assert warnings[-1] == "no tables in public"


def test_the_probe_role_check_works_through_the_read_only_db_handle(dsn: str) -> None:
    db = ReadOnlyDatabase(lambda: dsn)
    try:
        result = rls.check_rls(db.connection(), ["public"], "anon")
    finally:
        db.close()
    assert result.ok, result.reason
    assert result.evidence[1].data == {"role": "anon", "readable": []}
