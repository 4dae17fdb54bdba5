"""RLS read as real identities (anon, a signed-in user) on real PostgreSQL, nothing seeded."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pytest_readiness.model import Finding
from pytest_readiness.probes import identities
from pytest_readiness.probes.identities import Identity
from reference.target import database
from tests.check_project import run_check

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ALICE = "00000000-0000-0000-0000-00000000a11c"
BOB = "00000000-0000-0000-0000-0000000000b0"

SCHEMA = f"""
create schema auth;
create function auth.uid() returns uuid language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true)::jsonb ->> 'sub', '')::uuid
$$;
grant usage on schema auth to anon, authenticated;
create table public.notes (id int primary key, owner uuid not null);
alter table public.notes enable row level security;
create policy notes_own on public.notes for select to authenticated
  using (owner = (select auth.uid()));
insert into public.notes values (1, '{ALICE}'), (2, '{BOB}');
create table public.content_blog_posts (id int primary key, title text);
alter table public.content_blog_posts enable row level security;
create policy read_all on public.content_blog_posts for select using (true);
insert into public.content_blog_posts values (1, 'hello'), (2, 'again');
create table public.drafts (id int primary key);
alter table public.drafts enable row level security;
create policy drafts_all on public.drafts for select using (true);
create table public.secrets (id int primary key);
insert into public.secrets values (1);
grant select on public.notes, public.content_blog_posts, public.drafts to anon, authenticated;
"""
ANON = Identity("anon", "anon", {"role": "anon"})
USER = Identity("alice", "authenticated", {"sub": ALICE, "role": "authenticated"})


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(SCHEMA.encode())
        yield url
    finally:
        database.drop(ADMIN_DSN, url)


def by_key(findings: tuple[Finding, ...]) -> dict[str, str]:
    return {f.key: f.level for f in findings}


def test_each_identity_reads_what_its_policies_allow_and_gaps_are_findings(dsn: str) -> None:
    result = identities.check_identities(dsn, [ANON, USER], ["public"])
    assert by_key(result.findings) == {
        "rls_identity_reads_rows:public.content_blog_posts@anon": "error",
        "rls_identity_open_empty_table:public.drafts@anon": "error",
        "rls_identity_reads_every_row:public.content_blog_posts@alice": "warn",
        "rls_identity_open_empty_table:public.drafts@alice": "warn",
    }
    assert result.reason == (
        "rows readable by an anonymous identity: public.content_blog_posts@anon; "
        "empty table open to the identity: public.drafts@anon"
    )
    anon, alice = result.evidence
    assert anon.summary == (
        "as anon (role anon): reads rows from 1 of 4 tables, 1 denied, 1 empty"
        " (no rows proves nothing)"
    )
    assert anon.data["denied"] == ["public.secrets"]
    assert "public.notes: reads 1 row of 2 rows" in alice.detail.splitlines()
    assert (
        "public.drafts: empty, no rows proves nothing; catalog: a policy that is always true"
        in alice.detail.splitlines()
    )


def test_an_owner_only_policy_shows_the_user_only_their_rows(dsn: str) -> None:
    result = identities.check_identities(dsn, [USER], ["public"])
    notes = [line for line in result.evidence[0].detail.splitlines() if "notes" in line]
    assert notes == ["public.notes: reads 1 row of 2 rows"]
    assert not any("public.notes" in f.key for f in result.findings)


def test_tables_declared_public_are_meant_to_be_read(dsn: str) -> None:
    declared = ["public.content_blog_posts", "public.drafts"]
    result = identities.check_identities(dsn, [ANON, USER], ["public"], public_read=declared)
    assert result.ok, result.reason
    assert result.findings == ()


def test_a_table_declared_public_that_anon_cannot_read_is_a_warning(dsn: str) -> None:
    result = identities.check_identities(dsn, [ANON], ["public"], public_read=["public.notes"])
    assert by_key(result.findings)["rls_public_table_unreadable:public.notes@anon"] == "warn"


def test_an_empty_table_behind_a_real_condition_is_not_a_finding(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("alter policy drafts_all on public.drafts using (id < 0)")
    result = identities.check_identities(dsn, [ANON, USER], ["public"])
    assert not any("drafts" in f.key for f in result.findings)
    assert "catalog: restricted" in result.evidence[0].detail


def test_reading_as_identities_changes_nothing_and_leaves_no_setting(dsn: str) -> None:
    identities.check_identities(dsn, [ANON, USER], ["public"])
    with psycopg.connect(dsn, autocommit=True) as conn:  # each query sees the server anew
        assert conn.execute("select count(*) from public.notes").fetchone() == (2,)
        others = _other_backends(conn)
        # The server ends a backend after its client has gone: wait for that, a bounded while.
        deadline = time.monotonic() + 5
        while others and time.monotonic() < deadline:
            time.sleep(0.02)
            others = _other_backends(conn)
    assert others == 0, "the probe's connection is closed"


def _other_backends(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and pid <> pg_backend_pid()"
    ).fetchone()
    return int(row[0]) if row else 0


def test_an_identity_with_an_unknown_role_fails_naming_it(dsn: str) -> None:
    ghost = Identity("ghost", "readiness_no_such_role")
    result = identities.check_identities(dsn, [ghost], ["public"])
    assert result.reason == "identity ghost: role readiness_no_such_role does not exist"


def test_identities_are_read_from_the_config_shape() -> None:
    parsed = identities.parse_identities(
        [{"role": "anon"}, {"name": "alice", "role": "authenticated", "claims": {"sub": ALICE}}]
    )
    assert parsed == [Identity("anon", "anon"), Identity("alice", "authenticated", {"sub": ALICE})]
    with pytest.raises(ValueError, match="entry 2 needs a role"):
        identities.parse_identities([{"role": "anon"}, {"name": "x"}])


def test_the_rls_item_reads_as_the_configured_identities(
    pytester: pytest.Pytester, dsn: str
) -> None:
    settings = {
        "rls_identities": [{"role": "anon"}],
        "db_public_read": ["public.content_blog_posts"],
    }
    item = run_check(pytester, "test_database.py", "test_rls", settings, {"database_url": dsn})
    assert item["outcome"] == "failed"
    assert "empty table open to the identity: public.drafts@anon" in item["reason"]
    keys = {f["key"] for f in item["findings"]}
    assert "rls_identity_open_empty_table:public.drafts@anon" in keys
    assert "rls_identity_reads_rows:public.content_blog_posts@anon" not in keys
