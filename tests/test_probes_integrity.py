"""Integrity on real PostgreSQL: NOT VALID constraints, invalid indexes, assertion files."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import pytest

from pytest_readiness.probes import integrity
from pytest_readiness.probes.database import ReadOnlyDatabase
from reference.target import database
from tests.check_project import run_check

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
SHIPPED_ASSERTIONS = Path(__file__).resolve().parents[1] / "checks" / "sql" / "integrity"


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    with psycopg.connect(url) as conn:
        conn.execute(
            b"create table public.orders (id int primary key, total int);"
            b"insert into public.orders select g, g * 10 from generate_series(1, 8) g;"
        )
    yield url
    database.drop(ADMIN_DSN, url)


def run(dsn: str, assertions: Sequence[Path] = (), *setup: str) -> integrity.ProbeResult:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in setup:
            conn.execute(statement.encode())
    with psycopg.connect(dsn) as conn:
        conn.execute("set transaction read only")
        return integrity.check_integrity(conn, assertions)


def test_a_clean_database_passes_the_shipped_assertions(dsn: str) -> None:
    files = integrity.assertion_files(SHIPPED_ASSERTIONS)
    assert [f.stem for f in files] == ["sequences_near_exhaustion"]
    result = run(dsn, files)
    assert result.ok, result.reason


def test_a_not_valid_constraint_fails_naming_it(dsn: str) -> None:
    result = run(dsn, (), "alter table orders add constraint capped check (total < 50) not valid")
    assert result.reason == "NOT VALID constraint: public.orders.capped"


def test_an_invalid_index_fails_naming_it(dsn: str) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        run(
            dsn,
            (),
            "insert into public.orders values (100, 10)",
            "create unique index concurrently orders_total_key on public.orders (total)",
        )
    result = run(dsn)
    assert result.reason == "invalid index: public.orders_total_key"


def test_an_assertion_returning_rows_fails_naming_it_and_shows_five_rows(
    dsn: str, tmp_path: Path
) -> None:
    query = tmp_path / "orders_over_20.sql"
    query.write_text("select id, total from public.orders where total > 20 order by id")
    result = run(dsn, [query])
    assert result.reason == "orders_over_20: 3, 4, 5, 6, 7 (+1 more)"
    shown = result.evidence[-1]
    assert shown.data["columns"] == ["id", "total"]
    assert shown.data["rows"] == [[3, 30], [4, 40], [5, 50], [6, 60], [7, 70]]
    assert "... 1 more row" in shown.detail.splitlines()


def test_tables_without_a_primary_key_are_named_up_to_five(dsn: str) -> None:
    two = run(
        dsn, (), "create table public.items (sku text)", "create table public.private_items (n int)"
    )
    assert two.reason == "no primary key: public.items, public.private_items"
    more = run(dsn, (), *(f"create table public.t{n} (n int)" for n in range(5)))
    assert more.reason == (
        "no primary key: public.items, public.private_items, public.t0, public.t1, public.t2,"
        " +2 more"
    )
    assert {f.key for f in more.findings} >= {"no_primary_key:public.t4"}


def test_an_assertion_naming_a_schema_names_its_rows_as_objects(dsn: str, tmp_path: Path) -> None:
    query = tmp_path / "big_orders.sql"
    query.write_text(
        "select 'public' as schema, 'order_' || id as name from public.orders where id < 3"
    )
    assert run(dsn, [query]).reason == "big_orders: public.order_1, public.order_2"


def test_warn_integrity_findings_warn_and_block_where_configured(dsn: str) -> None:
    setup = (
        "create table public.lines (id int primary key, order_id int references public.orders)",
    )
    warned = run(dsn, (), *setup)
    assert warned.ok
    assert warned.warnings == ("unindexed foreign key: public.lines.lines_order_id_fkey",)
    with psycopg.connect(dsn) as conn:
        blocked = integrity.check_integrity(conn, (), block=["unindexed_foreign_keys"])
    assert blocked.reason == "unindexed foreign key: public.lines.lines_order_id_fkey"


def test_an_assertion_that_cannot_run_fails_with_the_server_message(
    dsn: str, tmp_path: Path
) -> None:
    query = tmp_path / "ghosts.sql"
    query.write_text("select * from public.ghosts")
    result = run(dsn, [query])
    assert result.reason == 'ghosts could not run: relation "public.ghosts" does not exist'


@pytest.fixture
def empty_dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    yield url
    database.drop(ADMIN_DSN, url)


def test_a_database_without_tables_fails_even_with_assertions(empty_dsn: str) -> None:
    result = run(empty_dsn, integrity.assertion_files(SHIPPED_ASSERTIONS))
    assert not result.ok
    assert result.reason == "nothing to verify: the database has no tables"


def test_a_database_without_tables_passes_with_a_warning_where_empty_is_expected(
    empty_dsn: str,
) -> None:
    with psycopg.connect(empty_dsn) as conn:
        result = integrity.check_integrity(conn, (), allow_empty=True)
    assert result.ok
    assert result.warnings == ("nothing to verify: the database has no tables",)


def test_the_integrity_item_fails_when_its_configured_assertion_folder_is_missing(
    pytester: pytest.Pytester, dsn: str
) -> None:
    item = run_check(
        pytester,
        "test_database.py",
        "test_data_integrity",
        {"integrity_sql_dir": "sql/integrity"},
        {"database_url": dsn},
    )
    assert item["outcome"] == "failed"
    assert item["reason"] == "no *.sql assertion files in vars.integrity_sql_dir (sql/integrity)"


def test_through_the_read_only_db_handle_a_broken_assertion_does_not_stop_the_next(
    dsn: str, tmp_path: Path
) -> None:
    (tmp_path / "a_ghosts.sql").write_text("select * from public.ghosts")
    (tmp_path / "b_orders_over_70.sql").write_text("select id from public.orders where total > 70")
    db = ReadOnlyDatabase(lambda: dsn)
    try:
        result = integrity.check_integrity(db.connection(), sorted(tmp_path.glob("*.sql")))
    finally:
        db.close()
    assert result.reason == (
        'a_ghosts could not run: relation "public.ghosts" does not exist; b_orders_over_70: 8'
    )
