"""Create a throwaway PostgreSQL database from a workspace's migrations, with faults.

Migrations are applied in version order and recorded in
`supabase_migrations.schema_migrations (version text primary key, statements text[],
name text)` as the Supabase CLI records them (here each file is stored as one statement).
The roles `anon` and `authenticated` are created first, as the Supabase platform provides.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pytest_readiness.probes.migrations import migration_files

ROLES = ("anon", "authenticated")
HISTORY_DDL = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
    version text not null primary key,
    statements text[],
    name text
);
"""

_DB_FAULTS: dict[str, Callable[[psycopg.Connection[tuple[object, ...]]], None]] = {
    "table-without-rls": lambda conn: conn.execute(
        "alter table public.orders disable row level security"
    ),
    "anon-can-read": lambda conn: conn.execute(
        'create policy "everyone reads shops" on public.shops for select to anon using (true)'
    ),
    "invalid-constraint": lambda conn: conn.execute(
        "alter table public.orders add constraint orders_total_capped"
        " check (total_cents < 1000000) not valid"
    ),
    # Advisor lints: an error on the RLS item, then a warning each on RLS and integrity.
    "anon-definer-function": lambda conn: conn.execute(
        "create function public.shop_domains() returns setof text language sql"
        " security definer set search_path = '' as $$ select domain from public.shops $$"
    ),
    "mutable-search-path": lambda conn: conn.execute(
        "create function public.order_total(shop bigint) returns bigint language sql stable"
        " as $$ select coalesce(sum(total_cents), 0) from public.orders where shop_id = shop $$;"
        "revoke execute on function public.order_total(bigint) from public"
    ),
    "unindexed-foreign-key": lambda conn: conn.execute("drop index public.approvals_shop_idx"),
    # A policy that forgot its shop filter: only the app's pgTAP suite notices.
    "broken-pgtap-test": lambda conn: conn.execute(
        'alter policy "a shop sees its orders" on public.orders using (shop_id is not null)'
    ),
}
# Faults that leave every item passing with a warning on one item (a `warn` finding).
WARNING_FAULTS: frozenset[str] = frozenset({"mutable-search-path", "unindexed-foreign-key"})

FAULTS: frozenset[str] = frozenset({*_DB_FAULTS, "unapplied-migration"})


def create(admin_dsn: str, workspace: Path, faults: frozenset[str] = frozenset()) -> str:
    """Create a uniquely named database, migrate and seed it, apply `faults`; return its DSN."""
    dsn = empty(admin_dsn)
    try:
        _populate(dsn, workspace, faults)
    except BaseException:
        drop(admin_dsn, dsn)
        raise
    return dsn


def empty(admin_dsn: str, prefix: str = "readiness_local") -> str:
    """Create a uniquely named empty database (and the Supabase roles); return its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        _ensure_roles(admin)
    return _with_dbname(admin_dsn, name)


def drop(admin_dsn: str, dsn: str) -> None:
    """Drop the database `dsn` names (closing its sessions)."""
    name = conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(str(name)))
        )


def _populate(dsn: str, workspace: Path, faults: frozenset[str]) -> None:
    files = migration_files(workspace / "supabase" / "migrations")
    if "unapplied-migration" in faults:
        files = files[:-1]
    with psycopg.connect(dsn) as conn:
        conn.execute(HISTORY_DDL.encode())
        for migration in files:
            text = migration.path.read_text(encoding="utf-8")
            conn.execute(text.encode())
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, statements, name)"
                " values (%s, %s, %s)",
                (migration.version, [text], migration.name),
            )
        seed = workspace / "supabase" / "seed.sql"
        if seed.is_file():
            conn.execute(seed.read_text(encoding="utf-8").encode())
        for fault in sorted(faults & _DB_FAULTS.keys()):
            _DB_FAULTS[fault](conn)


def _ensure_roles(admin: psycopg.Connection[tuple[object, ...]]) -> None:
    for role in ROLES:
        exists = admin.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        if exists:
            continue
        # another process may create it meanwhile
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            admin.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))


def _with_dbname(dsn: str, name: str) -> str:
    if "://" in dsn:
        parts = urlsplit(dsn)
        return urlunsplit(parts._replace(path=f"/{name}"))
    return make_conninfo(dsn, dbname=name)
