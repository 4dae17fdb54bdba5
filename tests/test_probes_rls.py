"""Row-level security lints on real PostgreSQL, and the RLS item that also reads as identities."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from pytest_readiness.probes import advisor, identities, rls
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


ANON = identities.Identity("anon", "anon")


def check(dsn: str, extra: str = "") -> rls.ProbeResult:
    if extra:
        with psycopg.connect(dsn) as conn:
            conn.execute(extra.encode())
    with psycopg.connect(dsn) as conn:
        conn.execute("set transaction read only")
        return rls.check_rls(conn, ["public"])


def test_tables_with_rls_and_policies_pass_also_for_the_anon_role(dsn: str) -> None:
    assert check(dsn).ok
    result = identities.check_identities(dsn, [ANON], ["public"])
    assert result.ok, result.reason
    assert result.evidence[0].data["reads"] == []


def test_a_table_with_rls_disabled_fails_naming_it(dsn: str) -> None:
    result = check(dsn, extra="alter table public.orders disable row level security")
    assert result.reason == "RLS disabled: public.orders; policies but RLS disabled: public.orders"
    assert "rls_disabled_in_public:public.orders" in {f.key for f in result.findings}


def test_a_table_without_a_policy_fails_naming_it(dsn: str) -> None:
    result = check(dsn, extra="drop policy shop_self on public.shops")
    assert result.reason == "no policy: public.shops"


def test_rows_visible_to_anon_fail_naming_the_table(dsn: str) -> None:
    result = check(dsn, extra="create policy open on public.shops for select to anon using (true)")
    assert result.reason == "policy always true: public.shops"
    read = identities.check_identities(dsn, [ANON], ["public"])
    assert read.reason == "rows readable by an anonymous identity: public.shops@anon"


def test_a_table_declared_public_may_be_read_by_anon(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create policy open on public.shops for select to anon using (true)")
        conn.execute("create policy open on public.orders for select to anon using (true)")
        conn.execute("grant select on public.orders to anon")
        conn.commit()
        scope = advisor.Scope(public_read=("public.shops",))
        result = rls.check_rls(conn, ["public"], scope=scope)
    assert result.reason == "policy always true: public.orders"
    levels = {f.key: f.level for f in result.findings if f.lint == "rls_policy_always_true"}
    assert levels == {
        "rls_policy_always_true:public.orders": "error",
        "rls_policy_always_true:public.shops": "info",
    }
    read = identities.check_identities(dsn, [ANON], ["public"], public_read=scope.public_read)
    assert read.reason == "rows readable by an anonymous identity: public.orders@anon"


def test_warn_findings_are_warnings_unless_the_environment_blocks_on_them(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        passed = rls.check_rls(conn, ["public"])
        blocked = rls.check_rls(conn, ["public"], block=["warn"])
        by_key = rls.check_rls(conn, ["public"], block=["rls_policy_always_true:public.orders"])
    assert passed.ok
    assert passed.warnings == ("policy always true: public.orders, public.shops",)
    assert blocked.reason == "policy always true: public.orders, public.shops"
    assert blocked.findings_only
    assert by_key.reason == "policy always true: public.orders"
    assert by_key.warnings == ("policy always true: public.shops",)


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


def test_the_rls_item_reads_declared_public_tables_and_blocking_from_the_environment(
    pytester: pytest.Pytester, dsn: str
) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create policy open on public.shops for select to anon using (true)")
    declared = {"db_public_read": ["public.shops"], "rls_probe_role": "anon"}
    item = run_check(pytester, "test_database.py", "test_rls", declared, {"database_url": dsn})
    assert item["outcome"] == "passed", item["reason"]
    levels = {f["key"]: f["level"] for f in item["findings"]}
    assert levels["rls_policy_always_true:public.shops"] == "info"
    assert levels["rls_policy_always_true:public.orders"] == "warn"
    blocked = run_check(
        pytester,
        "test_database.py",
        "test_rls",
        {**declared, "db_lint_block": ["warn"]},
        {"database_url": dsn},
    )
    assert blocked["reason"] == "policy always true: public.orders"


def test_the_rls_item_fails_naming_the_table_an_undeclared_anon_can_read(
    pytester: pytest.Pytester, dsn: str
) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create policy open on public.shops for select to anon using (true)")
    item = run_check(
        pytester, "test_database.py", "test_rls", {"rls_probe_role": "anon"}, {"database_url": dsn}
    )
    assert item["reason"] == (
        "policy always true: public.shops; "
        "rows readable by an anonymous identity: public.shops@anon"
    )


def test_a_db_lint_block_entry_that_names_no_lint_fails_the_item(
    pytester: pytest.Pytester, dsn: str
) -> None:
    item = run_check(
        pytester,
        "test_database.py",
        "test_rls",
        {"db_lint_block": ["warning"]},
        {"database_url": dsn},
    )
    assert item["reason"] == (
        "vars.db_lint_block: 'warning' is not warn, info, a lint name or a finding key"
        " (docs/database.md lists the lints)"
    )


def test_the_rls_lints_work_through_the_read_only_db_handle(dsn: str) -> None:
    db = ReadOnlyDatabase(lambda: dsn)
    try:
        result = rls.check_rls(db.connection(), ["public"])
    finally:
        db.close()
    assert result.ok, result.reason
    assert result.evidence[1].summary.startswith("RLS and security lints: 2 findings")
