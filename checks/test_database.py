"""Database Readiness: migrations applied, RLS, integrity, backups and the migration dry-run."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pytest_readiness import CheckFailed, ProbeResult
from pytest_readiness.probes import (
    advisor,
    backups,
    combined,
    identities,
    integrity,
    migrations,
    pgtap,
    rls,
)

INTEGRITY_SQL = Path(__file__).parent / "sql" / "integrity"


def _names(value):
    """A list setting that may also be written as one string."""
    return [value] if isinstance(value, str) else list(value)


def _exposed_schemas(readiness_env):
    """The schemas the API serves (Supabase's API settings; `public` by default)."""
    default = readiness_env.vars.get("rls_schemas", ["public"])
    return _names(readiness_env.vars.get("exposed_schemas", default))


def _lint_scope(readiness_env):
    """Where the lints look, the API roles' names, and the tables meant to be public."""
    return advisor.Scope(
        exposed=tuple(_exposed_schemas(readiness_env)),
        anon=readiness_env.vars.get("anon_role", "anon"),
        authenticated=readiness_env.vars.get("authenticated_role", "authenticated"),
        public_read=tuple(_names(readiness_env.vars.get("db_public_read", []))),
    )


def _lint_block(readiness_env):
    """Finding levels, lint names or keys that fail their item here (`["warn"]` for all).

    An entry that names no level and no lint (a typo) fails the item: it would block nothing.
    """
    block = _names(readiness_env.vars.get("db_lint_block", []))
    lints = {lint.name for lint in advisor.ALL_LINTS} | set(identities.LINTS)
    for entry in block:
        if entry not in ("warn", "info") and str(entry).split(":", 1)[0] not in lints:
            raise CheckFailed(
                f"vars.db_lint_block: {entry!r} is not warn, info, a lint name or a finding key"
                " (docs/database.md lists the lints)"
            )
    return block


def _migrations_folder(readiness_env):
    folder = readiness_env.vars.get("migrations_dir", "supabase/migrations")
    return readiness_env.workspace / folder


def _no_tables_expected(readiness_env):
    """The migrations folder exists and holds no migration: no table should exist yet."""
    folder = _migrations_folder(readiness_env)
    return folder.is_dir() and not migrations.migration_files(folder)


@pytest.mark.db("Staging migrations: Applied successfully")
def test_migrations_applied(readiness_env, db, evidence):
    allow_empty = bool(readiness_env.vars.get("migrations_allow_empty", False))
    folder = _migrations_folder(readiness_env)
    evidence.expect(migrations.check_applied(db, folder, allow_empty=allow_empty))


def _pgtap_tests(readiness_env, db, run):
    """The project's pgTAP tests (`supabase/tests`, or `vars.pgtap_dir`) run by pg_prove.

    They write inside their own transactions, so they run only where the environment allows
    writes (`allow_writes`) or names a database for them (`vars.pgtap_database_url`).
    """
    configured = readiness_env.vars.get("pgtap_dir")
    folder = readiness_env.workspace / (configured or "supabase/tests")
    files = pgtap.suite_files(folder)
    if not files:
        if configured:
            return ProbeResult.failed(f"no *.sql pgTAP files in vars.pgtap_dir ({configured})")
        return ProbeResult.passed()
    url = readiness_env.vars.get("pgtap_database_url")
    if not url and not readiness_env.get("allow_writes", False):
        return ProbeResult.passed(
            warnings=[
                f"pgTAP tests not run: {len(files)} files in {folder.name}/, but "
                f"{readiness_env.name} sets neither allow_writes nor vars.pgtap_database_url"
            ]
        )
    if pgtap.runner() is None:
        return ProbeResult.failed(
            f"pgTAP tests not run: pg_prove is not installed ({pgtap.INSTALL_HINT})"
        )
    if not url:
        installed, available = db.execute(pgtap.EXTENSION_STATE).fetchone()
        problem = pgtap.extension_problem(installed, available, files)
        if problem:
            return ProbeResult.failed(problem)
    env = pgtap.libpq_env(url or readiness_env.database_url)
    result = run(pgtap.command(files, readiness_env.workspace), env=env)
    return pgtap.check_output(result.output, result.returncode, files)


def _identities(readiness_env):
    """`vars.rls_identities`, or the one `vars.rls_probe_role` (an identity without claims)."""
    try:
        found = identities.parse_identities(readiness_env.vars.get("rls_identities"))
    except ValueError as exc:
        raise CheckFailed(f"vars.{exc}") from None
    role = readiness_env.vars.get("rls_probe_role")
    if role and not any(identity.role == role for identity in found):
        found.append(identities.Identity(role, role))
    return found


def _read_as_identities(readiness_env, schemas, scope):
    """Every exposed table read as each identity, on a connection of its own (rolled back)."""
    found = _identities(readiness_env)
    if not found:
        return ProbeResult.passed()
    return identities.check_identities(
        readiness_env.database_url,
        found,
        schemas,
        public_read=scope.public_read,
        block=_lint_block(readiness_env),
        statement_timeout_s=float(readiness_env.get("statement_timeout", 30.0)),
    )


@pytest.mark.db("RLS tests: All passing")
def test_rls(readiness_env, db, run, evidence):
    schemas = _exposed_schemas(readiness_env)
    scope = _lint_scope(readiness_env)
    allow_empty = readiness_env.vars.get("rls_allow_empty", _no_tables_expected(readiness_env))
    lints = rls.check_rls(
        db, schemas, allow_empty=bool(allow_empty), scope=scope, block=_lint_block(readiness_env)
    )
    read = _read_as_identities(readiness_env, schemas, scope)
    evidence.expect(combined.all_of(lints, read, _pgtap_tests(readiness_env, db, run)))


@pytest.mark.db("Data integrity: Verified")
def test_data_integrity(readiness_env, db, evidence):
    configured = readiness_env.vars.get("integrity_sql_dir")
    folder = readiness_env.workspace / configured if configured else INTEGRITY_SQL
    assertions = integrity.assertion_files(folder)
    if configured and not assertions:
        raise CheckFailed(f"no *.sql assertion files in vars.integrity_sql_dir ({configured})")
    allow_empty = bool(readiness_env.vars.get("integrity_allow_empty", False))
    block = _lint_block(readiness_env)
    evidence.expect(integrity.check_integrity(db, assertions, allow_empty=allow_empty, block=block))


@pytest.mark.db("Production backup: Verified exists")
def test_backup_exists(readiness_env, http_client, evidence):
    project = readiness_env.vars.get("supabase_project_ref")
    token = readiness_env.vars.get("supabase_access_token")
    if not project or not token:
        raise CheckFailed(
            "set vars.supabase_project_ref and vars.supabase_access_token"
            ' (e.g. "${SUPABASE_ACCESS_TOKEN}") to ask the Supabase Management API'
        )
    base_url = readiness_env.vars.get("supabase_api_url", "https://api.supabase.com")
    client = http_client(base_url, headers={"Authorization": f"Bearer {token}"})
    max_age = float(readiness_env.thresholds.get("backup_max_age_hours", 24))
    evidence.expect(backups.check_backups(client, project, max_age))


@pytest.mark.db("Migration dry-run: Completed on staging")
def test_migration_dry_run(readiness_env, evidence):
    if not readiness_env.get("allow_dry_run", False):
        pytest.skip(f"allow_dry_run is not set for {readiness_env.name}: the dry-run writes")
    url = readiness_env.vars.get("dry_run_database_url") or readiness_env.database_url
    timeout_ms = int(readiness_env.timeout * 1000)
    with psycopg.connect(
        url, connect_timeout=10, options=f"-c statement_timeout={timeout_ms}"
    ) as conn:
        allow_empty = bool(readiness_env.vars.get("migrations_allow_empty", False))
        folder = _migrations_folder(readiness_env)
        evidence.expect(migrations.dry_run(conn, folder, allow_empty=allow_empty))
