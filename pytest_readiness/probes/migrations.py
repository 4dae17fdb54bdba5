"""Compare a migrations folder with `supabase_migrations.schema_migrations`, and dry-run it.

A migration's version is its filename's leading digits (`20250101120000_init.sql` ->
`20250101120000`), as the Supabase CLI names and records them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._sql import sql_evidence
from pytest_readiness.probes._text import counted, first

HISTORY_TABLE = "supabase_migrations.schema_migrations"
_VERSION = re.compile(r"^(\d+)")
# A file's own BEGIN;/COMMIT; would end the dry-run's transaction and commit: drop them.
_TRANSACTION_CONTROL = re.compile(
    r"^\s*(?:begin|start\s+transaction|commit)(?:\s+(?:work|transaction))?\s*;\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Any other transaction end is refused rather than risked.
_OTHER_TRANSACTION_END = re.compile(r"^\s*(?:commit|rollback)\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """One migration file and the version the Supabase CLI records for it."""

    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem.split("_", 1)[1] if "_" in self.path.stem else self.path.stem


def migration_files(folder: Path) -> list[Migration]:
    """`*.sql` files whose names start with digits, ordered by version."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _VERSION.match(path.name)
        if match:
            found.append(Migration(match.group(1), path))
    return sorted(found, key=lambda m: (int(m.version), m.path.name))


def applied_versions(conn: psycopg.Connection[Any]) -> list[str] | None:
    """Versions recorded in the history table, or None when the table does not exist."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (HISTORY_TABLE,)).fetchone()
    if not exists or not exists[0]:
        return None
    rows = conn.execute(f"SELECT version FROM {HISTORY_TABLE} ORDER BY version").fetchall()
    return [str(row[0]) for row in rows]


def check_applied(
    conn: psycopg.Connection[Any], folder: Path, *, allow_empty: bool = False
) -> ProbeResult:
    """Every migration file is recorded as applied; applied versions without a file warn.

    A folder without migration files fails (nothing to compare) unless `allow_empty`.
    """
    if not folder.is_dir():
        return ProbeResult.failed(f"migrations folder {folder} does not exist")
    files = migration_files(folder)
    if not files:
        return _no_files(folder, allow_empty)
    applied = applied_versions(conn)
    if applied is None:
        return ProbeResult.failed(f"{HISTORY_TABLE} does not exist: no migration was recorded")
    on_disk = {m.version for m in files}
    recorded = set(applied)
    missing = [m for m in files if m.version not in recorded]
    extra = [v for v in applied if v not in on_disk]
    evidence = [
        sql_evidence(
            f"{len(applied)} applied, {counted(len(files), 'file')}, {len(missing)} missing",
            f"SELECT version FROM {HISTORY_TABLE} ORDER BY version",
            ["version"],
            [[v] for v in applied[-5:]],
        )
    ]
    warnings = [f"applied but no file in {folder.name}/: {first(extra)}"] if extra else []
    if missing:
        named = first([m.path.name for m in missing])
        return ProbeResult.failed(
            f"{counted(len(missing), 'migration')} not applied: {named}", evidence, warnings
        )
    return ProbeResult.passed(evidence, warnings)


def pending(conn: psycopg.Connection[Any], folder: Path) -> list[Migration]:
    """Migration files not yet recorded in the history table (all of them without one)."""
    applied = set(applied_versions(conn) or ())
    return [m for m in migration_files(folder) if m.version not in applied]


def dry_run(
    conn: psycopg.Connection[Any], folder: Path, *, allow_empty: bool = False
) -> ProbeResult:
    """Apply the pending migrations in order inside one transaction, then always roll back.

    `conn` must be a separate writable connection not inside a transaction; nothing it does
    is committed, whatever happens. A folder without migration files fails unless
    `allow_empty`; files that are all applied already leave nothing pending, which passes.
    """
    if not folder.is_dir():
        return ProbeResult.failed(f"migrations folder {folder} does not exist")
    if not migration_files(folder):
        return _no_files(folder, allow_empty)
    todo = pending(conn, folder)
    conn.rollback()
    if not todo:
        return ProbeResult.passed([Evidence("note", "no pending migrations to dry-run")])
    applied: list[str] = []
    with conn.transaction(force_rollback=True):
        for migration in todo:
            failure = _apply(conn, migration)
            if failure:
                evidence = _dry_run_evidence(applied, todo)
                return ProbeResult.failed(f"{migration.path.name}: {failure}", evidence)
            applied.append(migration.path.name)
    return ProbeResult.passed(_dry_run_evidence(applied, todo))


def _no_files(folder: Path, allow_empty: bool) -> ProbeResult:
    """No migration file to check: a failure, or a warning where that is expected."""
    empty = f"no migration files in {folder}"
    return ProbeResult.passed(warnings=[empty]) if allow_empty else ProbeResult.failed(empty)


def _apply(conn: psycopg.Connection[Any], migration: Migration) -> str:
    text = _TRANSACTION_CONTROL.sub("", migration.path.read_text(encoding="utf-8"))
    if _OTHER_TRANSACTION_END.search(text):
        return "ends the transaction itself (COMMIT/ROLLBACK); not dry-run, to stay safe"
    try:
        conn.execute(text.encode())
    except psycopg.Error as exc:
        diag = exc.diag
        message = diag.message_primary or str(exc).splitlines()[0]
        return f"{diag.sqlstate or 'error'} {message}"
    return ""


def _dry_run_evidence(applied: list[str], todo: list[Migration]) -> list[Evidence]:
    return [
        Evidence(
            "note",
            f"dry-run applied {len(applied)} of {len(todo)} pending migrations, rolled back",
            detail="\n".join(applied),
            data={"pending": [m.path.name for m in todo], "applied": applied},
        )
    ]
