"""The project's pgTAP tests, run by the real pg_prove on real PostgreSQL through the RLS item."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pytest_readiness.probes import pgtap
from reference.target import database
from tests.check_project import run_check

ADMIN_DSN = os.environ.get("READINESS_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
needs_pg_prove = pytest.mark.skipif(pgtap.runner() is None, reason=pgtap.INSTALL_HINT)

SCHEMA = """
create table public.notes (id int primary key, owner text not null);
alter table public.notes enable row level security;
create policy notes_own on public.notes for select to authenticated
  using (owner = (select current_setting('request.jwt.claims', true))::jsonb ->> 'sub');
grant select on public.notes to authenticated;
create index notes_owner_idx on public.notes (owner);
"""
OWNER_ONLY = """
begin;
select plan(2);
insert into public.notes values (1, 'alice'), (2, 'bob');
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "alice"}', true);
select is((select count(*)::int from public.notes), 1, 'alice sees only her note');
select is((select count(*)::int from public.notes where owner <> 'alice'), 0,
          'no note of another owner is visible');
select * from finish();
rollback;
"""
ANON_SEES_NOTHING = """
begin;
select plan(1);
select throws_ok('set local role anon; select * from public.notes', '42501', null,
                 'anon cannot read notes');
select * from finish();
rollback;
"""


@pytest.fixture
def dsn() -> Iterator[str]:
    url = database.empty(ADMIN_DSN, prefix="readiness_test")
    try:
        with psycopg.connect(url) as conn:
            conn.execute(SCHEMA.encode())
        yield url
    finally:
        database.drop(ADMIN_DSN, url)


def with_pgtap(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        conn.execute("create extension pgtap")
    return dsn


def suite(pytester: pytest.Pytester, **files: str) -> Path:
    folder = pytester.path / "ws" / "supabase" / "tests"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.sql").write_text(text)
    return folder


def rls_item(pytester: pytest.Pytester, dsn: str, **settings: object) -> dict[str, object]:
    env = {"database_url": dsn, "allow_writes": True}
    return run_check(pytester, "test_database.py", "test_rls", settings, env)


def notes(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select count(*) from public.notes").fetchone()
    return int(row[0]) if row else -1


@needs_pg_prove
def test_passing_pgtap_tests_pass_the_rls_item_with_their_counts(
    pytester: pytest.Pytester, dsn: str
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY, anon_test=ANON_SEES_NOTHING)
    item = rls_item(pytester, with_pgtap(dsn))
    assert item["outcome"] == "passed", item["reason"]
    notes_ = [e["summary"] for e in item["evidence"] if e["kind"] == "note"]
    assert "pgTAP: 2 files, 3 tests: 3 passed, 0 failed, 0 skipped or todo" in notes_
    assert notes(dsn) == 0, "the tests' rows were rolled back"


@needs_pg_prove
def test_a_failing_pgtap_test_fails_the_item_naming_its_file_and_description(
    pytester: pytest.Pytester, dsn: str
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY, anon_test=ANON_SEES_NOTHING)
    with psycopg.connect(with_pgtap(dsn)) as conn:
        conn.execute(
            "create policy notes_all on public.notes for select to authenticated"
            " using (owner is not null)"
        )
    item = rls_item(pytester, dsn)
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "pgTAP: 2 of 3 tests failed, first: supabase/tests/owner_only_test.sql #1 "
        "'alice sees only her note'"
    )


@needs_pg_prove
def test_a_database_without_the_pgtap_extension_fails_in_one_line(
    pytester: pytest.Pytester, dsn: str
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY)
    item = rls_item(pytester, dsn)
    assert item["reason"] == (
        "pgTAP tests not run: the pgtap extension is not installed in the database "
        "(CREATE EXTENSION pgtap; on Supabase: Database > Extensions)"
    )


@needs_pg_prove
def test_a_test_file_that_creates_the_extension_itself_runs(
    pytester: pytest.Pytester, dsn: str
) -> None:
    own = OWNER_ONLY.replace("begin;", "begin;\ncreate extension if not exists pgtap;", 1)
    suite(pytester, owner_only_test=own)
    item = rls_item(pytester, dsn)
    assert item["outcome"] == "passed", item["reason"]


def test_without_pg_prove_the_item_fails_saying_so_in_one_line(
    pytester: pytest.Pytester, dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY)
    monkeypatch.setenv("PATH", str(Path(os.__file__).parent))
    item = rls_item(pytester, with_pgtap(dsn))
    assert (
        item["reason"] == f"pgTAP tests not run: pg_prove is not installed ({pgtap.INSTALL_HINT})"
    )


def test_an_environment_without_writes_does_not_run_them_and_says_so(
    pytester: pytest.Pytester, dsn: str
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY)
    item = run_check(pytester, "test_database.py", "test_rls", {}, {"database_url": dsn})
    assert item["outcome"] == "passed"
    warnings = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    # The superuser warning of `db` (tests connect as postgres) comes first.
    assert warnings[1:] == [
        "pgTAP tests not run: 1 files in tests/, but local sets neither allow_writes nor "
        "vars.pgtap_database_url"
    ]


def test_a_configured_pgtap_folder_without_files_fails(pytester: pytest.Pytester, dsn: str) -> None:
    item = rls_item(pytester, dsn, pgtap_dir="db/tests")
    assert item["reason"] == "no *.sql pgTAP files in vars.pgtap_dir (db/tests)"


def test_tap_with_a_todo_and_a_psql_error_is_read_as_such() -> None:
    output = (
        "supabase/tests/a.sql .. \n1..2\nok 1 - reads\nnot ok 2 - later # TODO policy pending\n"
        "ok\nsupabase/tests/b.sql .. \n"
        'psql:supabase/tests/b.sql:3: ERROR:  relation "public.gone" does not exist\n'
        "Files=2, Tests=2,  0 wallclock secs\nResult: FAIL\n"
    )
    run = pgtap.parse(output)
    assert (run.passed, run.failed, run.skipped, run.tests) == (1, 0, 1, 2)
    result = pgtap.check_output(output, 1, [Path("a.sql"), Path("b.sql")])
    assert result.reason == (
        'pgTAP: supabase/tests/b.sql: ERROR: relation "public.gone" does not exist'
    )


def test_the_connection_goes_to_psql_as_libpq_variables_not_arguments() -> None:
    env = pgtap.libpq_env("postgresql://app:s3cret@db.example.com:6543/postgres?sslmode=require")
    assert env == {
        "PGHOST": "db.example.com",
        "PGPORT": "6543",
        "PGUSER": "app",
        "PGPASSWORD": "s3cret",
        "PGDATABASE": "postgres",
        "PGSSLMODE": "require",
    }
    assert "s3cret" not in " ".join(pgtap.command([Path("/ws/t.sql")], Path("/ws")))


@needs_pg_prove
def test_a_database_named_for_the_tests_runs_them_without_allow_writes(
    pytester: pytest.Pytester, dsn: str
) -> None:
    suite(pytester, owner_only_test=OWNER_ONLY)
    settings = {"pgtap_database_url": with_pgtap(dsn)}
    item = run_check(pytester, "test_database.py", "test_rls", settings, {"database_url": dsn})
    assert item["outcome"] == "passed", item["reason"]
    commands = [e["summary"] for e in item["evidence"] if e["kind"] == "command"]
    assert commands[0].startswith(
        "`pg_prove --verbose --ext .sql supabase/tests/owner_only_test.sql`"
    )
