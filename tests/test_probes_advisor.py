"""Each advisor lint on real PostgreSQL: a Supabase-shaped database with and without the problem."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import psycopg
import pytest

from pytest_readiness.model import Finding
from pytest_readiness.probes import advisor
from reference.target import database
from tests.check_project import run_check

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

# A clean Supabase-shaped schema: an `auth` stub, owner-only RLS, indexed keys, pinned paths.
# The platform's own objects (auth.uid() without a search_path, a table without a primary
# key in `auth`) must not count as the project's.
SUPABASE_SHAPED = """
create schema auth;
create table auth.users (id uuid primary key, email text);
create table auth.audit_log (payload text);
create function auth.uid() returns uuid language sql stable as $$
  select nullif(coalesce(current_setting('request.jwt.claim.sub', true),
                         current_setting('request.jwt.claims', true)::jsonb ->> 'sub'), '')::uuid
$$;
create table public.profiles (id uuid primary key references auth.users (id), name text);
alter table public.profiles enable row level security;
create policy profiles_own on public.profiles for select to authenticated
  using (id = (select auth.uid()));
grant select on public.profiles to anon, authenticated;
create table public.notes (
  id bigint primary key, owner uuid not null references public.profiles (id), body text
);
create index notes_owner_idx on public.notes (owner);
alter table public.notes enable row level security;
create policy notes_own on public.notes for all to authenticated
  using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
grant select, insert, update, delete on public.notes to authenticated;
create function public.note_count() returns bigint language sql stable
  set search_path = '' as $$ select count(*) from public.notes $$;
"""


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(SUPABASE_SHAPED.encode())
        yield url
    finally:
        database.drop(ADMIN_DSN, url)


def lint(dsn: str, *setup: str, scope: advisor.Scope | None = None) -> dict[str, Finding]:
    """Apply `setup`, then run every lint read-only; findings by key."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in setup:
            conn.execute(statement.encode())
    with psycopg.connect(dsn) as conn:
        conn.execute("set transaction read only")
        return {f.key: f for f in advisor.run_lints(conn, advisor.ALL_LINTS, scope)}


def lints_of(findings: dict[str, Finding]) -> set[str]:
    return {f.lint for f in findings.values()}


def test_a_clean_supabase_shaped_database_has_no_findings(dsn: str) -> None:
    assert lint(dsn) == {}


CASES: Sequence[tuple[str, str, str, str, set[str]]] = [
    (
        "rls_disabled_in_public",
        "create table public.leads (id int primary key); grant select on public.leads to anon",
        "public.leads",
        "error",
        {"rls_disabled_in_public"},
    ),
    (
        "policy_exists_rls_disabled",
        "alter table public.notes disable row level security",
        "public.notes",
        "error",
        {"rls_disabled_in_public", "policy_exists_rls_disabled"},
    ),
    (
        "rls_enabled_no_policy",
        "create table public.locked (id int primary key);"
        "alter table public.locked enable row level security",
        "public.locked",
        "error",
        {"rls_enabled_no_policy"},
    ),
    (
        "rls_policy_always_true",
        "create policy anyone_updates on public.notes for update to anon using (true)",
        "public.notes",
        "error",
        {"rls_policy_always_true"},
    ),
    (
        "rls_references_user_metadata",
        "create policy notes_admin on public.notes as restrictive for delete to authenticated using"
        " ((select current_setting('request.jwt.claims', true))::jsonb"
        " -> 'user_metadata' ->> 'role' = 'admin')",
        "public.notes",
        "error",
        {"rls_references_user_metadata"},
    ),
    (
        "anon_security_definer_function_executable",
        "create function public.service_key() returns text language sql security definer"
        " set search_path = '' as $$ select 'decrypted' $$",
        "public.service_key()",
        "error",
        {"anon_security_definer_function_executable"},
    ),
    (
        "authenticated_security_definer_function_executable",
        "create function public.promote(target uuid) returns void language sql security definer"
        " set search_path = '' as $$ select $$;"
        "revoke execute on function public.promote(uuid) from public;"
        "grant execute on function public.promote(uuid) to authenticated",
        "public.promote(target uuid)",
        "warn",
        {"authenticated_security_definer_function_executable"},
    ),
    (
        "function_search_path_mutable",
        "create function public.touch_updated_at() returns trigger language plpgsql"
        " as $$ begin new.body := new.body; return new; end $$",
        "public.touch_updated_at()",
        "warn",
        {"function_search_path_mutable"},
    ),
    (
        "security_definer_view",
        "create view public.note_bodies as select id, body from public.notes;"
        "grant select on public.note_bodies to anon",
        "public.note_bodies",
        "error",
        {"security_definer_view"},
    ),
    (
        "auth_users_exposed",
        "create view public.user_emails with (security_invoker = on) as"
        " select id, email from auth.users;"
        "create materialized view public.user_list as select id, email from auth.users;"
        "grant select on public.user_emails, public.user_list to authenticated",
        "public.user_list",
        "error",
        {"auth_users_exposed"},
    ),
    (
        "extension_in_public",
        "create extension pg_trgm schema public",
        "pg_trgm",
        "warn",
        {"extension_in_public"},
    ),
    (
        "auth_rls_initplan",
        "create policy notes_slow on public.notes for select to anon using (owner = auth.uid())",
        "public.notes",
        "warn",
        {"auth_rls_initplan"},
    ),
    (
        "multiple_permissive_policies",
        "create policy notes_read on public.notes for select to authenticated"
        " using (owner = (select auth.uid()))",
        "public.notes",
        "warn",
        {"multiple_permissive_policies"},
    ),
    (
        "no_primary_key",
        "create table public.items (sku text); alter table public.items enable row level security;"
        "create policy items_read on public.items for select to authenticated"
        " using ((select auth.uid()) is not null)",
        "public.items",
        "error",
        {"no_primary_key"},
    ),
    (
        "unindexed_foreign_keys",
        "drop index public.notes_owner_idx",
        "public.notes.notes_owner_fkey",
        "warn",
        {"unindexed_foreign_keys"},
    ),
    (
        "duplicate_index",
        "create index notes_owner_again on public.notes (owner)",
        "public.notes_owner_again",
        "warn",
        {"duplicate_index"},
    ),
    (
        "not_valid_constraint",
        "alter table public.notes add constraint body_short check (length(body) < 280) not valid",
        "public.notes.body_short",
        "error",
        {"not_valid_constraint"},
    ),
    (
        "unique_nullable",
        "alter table public.notes add column slug text unique",
        "public.notes_slug_key",
        "warn",
        {"unique_nullable"},
    ),
]


@pytest.mark.parametrize(
    ("name", "problem", "culprit", "level", "fired"), CASES, ids=[c[0] for c in CASES]
)
def test_each_lint_names_the_object_with_the_problem_at_its_level(
    dsn: str, name: str, problem: str, culprit: str, level: str, fired: set[str]
) -> None:
    findings = lint(dsn, problem)
    assert lints_of(findings) == fired
    finding = findings[f"{name}:{culprit}"]
    assert finding.level == level
    assert finding.detail


def test_an_invalid_index_left_by_a_failed_concurrent_build_is_named(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into auth.users select gen_random_uuid() from generate_series(1, 2)")
        conn.execute("insert into public.profiles select id, 'same' from auth.users")
        with pytest.raises(psycopg.Error):
            conn.execute("create unique index concurrently profiles_name on public.profiles (name)")
    findings = lint(dsn)
    assert lints_of(findings) == {"invalid_index", "unique_nullable"}
    assert findings["invalid_index:public.profiles_name"].level == "error"


def test_the_fixes_clear_the_findings(dsn: str) -> None:
    lint(
        dsn,
        "create function public.touch() returns int language sql as $$ select 1 $$",
        "create view public.note_bodies as select id, body from public.notes",
        "grant select on public.note_bodies to anon",
        "alter table public.notes add column slug text unique",
    )
    fixed = lint(
        dsn,
        "alter function public.touch() set search_path = ''",
        "alter view public.note_bodies set (security_invoker = true)",
        "alter table public.notes alter column slug set not null",
    )
    assert fixed == {}


def test_a_select_open_to_anon_is_an_error_unless_the_table_is_declared_public(dsn: str) -> None:
    blog = (
        "create table public.content_blog_posts (id int primary key, title text);"
        "alter table public.content_blog_posts enable row level security;"
        "create policy read_all on public.content_blog_posts for select using (true);"
        "create table public.drafts (id int primary key);"
        "alter table public.drafts enable row level security;"
        "create policy read_drafts on public.drafts for select to authenticated using (true)"
    )
    found = lint(dsn, blog)
    assert found["rls_policy_always_true:public.content_blog_posts"].level == "error"
    assert found["rls_policy_always_true:public.drafts"].level == "warn"
    declared = advisor.Scope(public_read=("public.content_blog_posts",))
    found = lint(dsn, scope=declared)
    finding = found["rls_policy_always_true:public.content_blog_posts"]
    assert (finding.level, "declared public" in finding.detail) == ("info", True)
    assert found["rls_policy_always_true:public.drafts"].level == "warn"


def test_a_write_open_to_everyone_stays_an_error_on_a_table_declared_public(dsn: str) -> None:
    declared = advisor.Scope(public_read=("public.notes",))
    found = lint(dsn, "create policy anyone_inserts on public.notes for insert", scope=declared)
    finding = found["rls_policy_always_true:public.notes"]
    assert finding.level == "error"
    assert "FOR INSERT TO public" in finding.detail


def test_only_the_configured_exposed_schemas_are_checked_for_security(dsn: str) -> None:
    problem = "create schema api; create table api.leads (id int primary key)"
    assert lint(dsn, problem) == {}
    found = lint(dsn, scope=advisor.Scope(exposed=("public", "api")))
    assert set(found) == {"rls_disabled_in_public:api.leads"}


def test_platform_schemas_are_never_the_projects_objects(dsn: str) -> None:
    found = lint(
        dsn,
        "create schema storage; create table storage.objects (name text)",
        "create function storage.search() returns int language sql as $$ select 1 $$",
        scope=advisor.Scope(exposed=("public", "storage", "auth")),
    )
    assert found == {}


def test_the_api_roles_can_be_renamed(dsn: str) -> None:
    problem = (
        "create function public.secret() returns text language sql security definer"
        " set search_path = '' as $$ select 's' $$;"
        "revoke execute on function public.secret() from public;"
        "grant execute on function public.secret() to anon"
    )
    key = "anon_security_definer_function_executable:public.secret()"
    assert set(lint(dsn, problem)) == {key}
    renamed = advisor.Scope(anon="readiness_no_such_role")
    assert lint(dsn, scope=renamed) == {}
    with psycopg.connect(dsn) as conn:
        assert advisor.missing_roles(conn, renamed) == ["readiness_no_such_role"]


# --- every class at once, through the shipped checks ----------------------------------------

EVERY_PROBLEM = """
create table public.leads (id int primary key); grant select on public.leads to anon;
create table public.legacy (id int primary key);
create policy legacy_read on public.legacy for select to authenticated using (true);
create table public.locked (id int primary key);
alter table public.locked enable row level security;
create table public.content_blog_posts (id int primary key, title text);
alter table public.content_blog_posts enable row level security;
create policy read_all on public.content_blog_posts for select using (true);
grant select on public.content_blog_posts to anon;
insert into public.content_blog_posts values (1, 'hello');
create policy anyone_updates on public.notes for update to anon using (true);
create policy notes_slow on public.notes for select to anon using (owner = auth.uid());
create policy notes_read on public.notes for select to authenticated
  using (owner = (select auth.uid()));
create function public.service_key() returns text language sql security definer
  set search_path = '' as $$ select 'decrypted' $$;
create function public.promote(target uuid) returns void language sql security definer
  set search_path = '' as $$ select $$;
revoke execute on function public.promote(uuid) from public;
grant execute on function public.promote(uuid) to authenticated;
create function public.touch_updated_at() returns trigger language plpgsql
  as $$ begin return new; end $$;
create view public.note_bodies as select id, body from public.notes;
grant select on public.note_bodies to anon;
create materialized view public.user_list as select id, email from auth.users;
grant select on public.user_list to authenticated;
create extension pg_trgm schema public;
create table public.items (sku text);
alter table public.items enable row level security;
create policy items_read on public.items for select to authenticated
  using ((select auth.uid()) is not null);
create table public.comments (id int primary key, note_id bigint references public.notes);
alter table public.comments enable row level security;
create policy comments_read on public.comments for select to authenticated
  using ((select auth.uid()) is not null);
create index notes_owner_again on public.notes (owner);
alter table public.notes add constraint body_short check (length(body) < 280) not valid;
alter table public.notes add column slug text unique;
"""

EVERY_RLS_KEY = {
    "rls_disabled_in_public:public.leads": "error",
    "rls_disabled_in_public:public.legacy": "error",
    "policy_exists_rls_disabled:public.legacy": "error",
    "rls_enabled_no_policy:public.locked": "error",
    "rls_policy_always_true:public.content_blog_posts": "info",
    "rls_policy_always_true:public.legacy": "warn",
    "rls_policy_always_true:public.notes": "error",
    "anon_security_definer_function_executable:public.service_key()": "error",
    "authenticated_security_definer_function_executable:public.promote(target uuid)": "warn",
    "function_search_path_mutable:public.touch_updated_at()": "warn",
    "security_definer_view:public.note_bodies": "error",
    "auth_users_exposed:public.user_list": "error",
    "extension_in_public:pg_trgm": "warn",
    "auth_rls_initplan:public.notes": "warn",
    "multiple_permissive_policies:public.notes": "warn",
    "rls_identity_open_empty_table:public.leads@anon": "error",
}
EVERY_INTEGRITY_KEY = {
    "no_primary_key:public.items": "error",
    "not_valid_constraint:public.notes.body_short": "error",
    "unindexed_foreign_keys:public.comments.comments_note_id_fkey": "warn",
    "duplicate_index:public.notes_owner_again": "warn",
    "unique_nullable:public.notes_slug_key": "warn",
}


def test_the_db_items_report_every_class_on_a_supabase_shaped_database(
    pytester: pytest.Pytester, dsn: str
) -> None:
    lint(dsn, EVERY_PROBLEM)
    settings = {"db_public_read": ["public.content_blog_posts"], "rls_probe_role": "anon"}
    env = {"database_url": dsn}
    rls_item = run_check(pytester, "test_database.py", "test_rls", settings, env)
    integrity_item = run_check(pytester, "test_database.py", "test_data_integrity", {}, env)
    assert {f["key"]: f["level"] for f in rls_item["findings"]} == EVERY_RLS_KEY
    assert {f["key"]: f["level"] for f in integrity_item["findings"]} == EVERY_INTEGRITY_KEY
    assert rls_item["outcome"] == integrity_item["outcome"] == "failed"
    assert integrity_item["reason"] == (
        "no primary key: public.items; NOT VALID constraint: public.notes.body_short"
    )
    [unindexed] = [f for f in integrity_item["findings"] if f["lint"] == "unindexed_foreign_keys"]
    assert unindexed["detail"].startswith("foreign key (note_id) to public.notes has no index")
