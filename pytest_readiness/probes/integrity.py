"""Data integrity: the advisor's integrity lints (primary keys, NOT VALID constraints, invalid,
duplicate and nullable-unique indexes, unindexed foreign keys) and named assertion queries
that return no rows, over a database that has tables to verify.

An assertion is a `*.sql` file holding one SELECT that returns the offending rows; its
file name (without `.sql`) is the assertion's name. Reasons name the objects, not a count.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import psycopg

from pytest_readiness.model import NAMED_OBJECTS, Evidence, ProbeResult
from pytest_readiness.probes import advisor
from pytest_readiness.probes._sql import sql_evidence
from pytest_readiness.probes._text import counted, first

USER_TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""
NO_TABLES = "nothing to verify: the database has no tables"


def check_integrity(
    conn: psycopg.Connection[Any],
    assertions: Sequence[Path] = (),
    *,
    allow_empty: bool = False,
    block: Collection[str] = (),
) -> ProbeResult:
    """Run the integrity lints and every assertion file; name what they find.

    A database without tables passes every check by having nothing in it: that fails
    unless `allow_empty`. `error` findings fail, `warn` findings warn unless `block` names
    them.
    """
    columns, rows = _select(conn, USER_TABLES)
    tables = int(rows[0][0]) if rows else 0
    evidence = [
        sql_evidence(f"tables outside the system schemas: {tables}", USER_TABLES, columns, rows)
    ]
    if not tables and not allow_empty:
        return ProbeResult.failed(NO_TABLES, evidence)
    warnings = [] if tables else [NO_TABLES]
    findings = advisor.run_lints(conn, advisor.INTEGRITY_LINTS)
    evidence.append(advisor.findings_evidence(findings, "integrity lints"))
    failures = [
        failure for path in sorted(assertions) if (failure := _assert_empty(conn, path, evidence))
    ]
    return ProbeResult.judged(failures, findings, evidence, warnings, block=block)


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
    return f"{path.stem}: {first(_row_names(columns, rows), NAMED_OBJECTS)}" if rows else ""


def _row_names(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """How a reason names an offending row: `schema.name` when it leads with a schema."""
    if len(columns) > 1 and columns[0] == "schema":
        return [f"{row[0]}.{row[1]}" for row in rows]
    return [str(row[0]) for row in rows]


def _select(conn: psycopg.Connection[Any], query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(query.encode())
    columns = [c.name for c in cursor.description or ()]
    return columns, list(cursor.fetchall()) if cursor.description else []
