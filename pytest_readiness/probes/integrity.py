"""Data integrity: no NOT VALID constraint, no invalid index, named assertion queries empty,
over a database that has tables to verify.

An assertion is a `*.sql` file holding one SELECT that returns the offending rows; its
file name (without `.sql`) is the assertion's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._sql import sql_evidence
from pytest_readiness.probes._text import counted, first

NOT_VALID_CONSTRAINTS = """
SELECT n.nspname AS schema, c.conrelid::regclass::text AS table, c.conname AS constraint
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE NOT c.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3
"""

INVALID_INDEXES = """
SELECT n.nspname AS schema, t.relname AS table, i.relname AS index
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE NOT x.indisvalid
ORDER BY 1, 2, 3
"""


USER_TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""
NO_TABLES = "nothing to verify: the database has no tables"


def check_integrity(
    conn: psycopg.Connection[Any], assertions: Sequence[Path] = (), *, allow_empty: bool = False
) -> ProbeResult:
    """Run the built-in catalogue checks and every assertion file; name what returns rows.

    A database without tables passes every check by having nothing in it: that fails
    unless `allow_empty`.
    """
    columns, rows = _select(conn, USER_TABLES)
    tables = int(rows[0][0]) if rows else 0
    evidence = [
        sql_evidence(f"tables outside the system schemas: {tables}", USER_TABLES, columns, rows)
    ]
    if not tables and not allow_empty:
        return ProbeResult.failed(NO_TABLES, evidence)
    warnings = [] if tables else [NO_TABLES]
    failures: list[str] = []
    builtin = [
        ("NOT VALID constraints", NOT_VALID_CONSTRAINTS),
        ("invalid indexes", INVALID_INDEXES),
    ]
    for name, query in builtin:
        columns, rows = _select(conn, query)
        evidence.append(sql_evidence(f"{name}: {len(rows)}", query, columns, rows))
        if rows:
            failures.append(f"{name}: {first([str(r[-1]) for r in rows], 3)}")
    for path in sorted(assertions):
        failure = _assert_empty(conn, path, evidence)
        if failure:
            failures.append(failure)
    if failures:
        return ProbeResult.failed("; ".join(failures), evidence, warnings)
    return ProbeResult.passed(evidence, warnings)


def assertion_files(folder: Path) -> list[Path]:
    """The `*.sql` assertion files in `folder`, sorted by name (none if it does not exist)."""
    return sorted(folder.glob("*.sql")) if folder.is_dir() else []


def _assert_empty(conn: psycopg.Connection[Any], path: Path, evidence: list[Evidence]) -> str:
    query = path.read_text(encoding="utf-8")
    try:
        with conn.transaction():
            columns, rows = _select(conn, query)
    except psycopg.Error as exc:
        message = exc.diag.message_primary or str(exc).splitlines()[0]
        evidence.append(
            Evidence("sql", f"{path.stem}: error", detail=message, data={"query": query})
        )
        return f"{path.stem} could not run: {message}"
    evidence.append(
        sql_evidence(f"{path.stem}: {counted(len(rows), 'offending row')}", query, columns, rows)
    )
    return f"{path.stem} returned {counted(len(rows), 'row')}" if rows else ""


def _select(conn: psycopg.Connection[Any], query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(query.encode())
    columns = [c.name for c in cursor.description or ()]
    return columns, list(cursor.fetchall()) if cursor.description else []
