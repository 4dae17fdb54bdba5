"""Row-level security: every table has RLS enabled and a policy; a probe role sees nothing.

A schema without tables was not checked at all (a database whose migrations never ran):
it fails, named, unless the caller says an empty schema is expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes._sql import sql_evidence
from pytest_readiness.probes._text import counted, first

TABLES_QUERY = """
SELECT n.nspname AS schema, c.relname AS table, c.relrowsecurity AS rls_enabled,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)
ORDER BY n.nspname, c.relname
"""


def check_rls(
    conn: psycopg.Connection[Any],
    schemas: Sequence[str],
    probe_role: str | None = None,
    *,
    allow_empty: bool = False,
) -> ProbeResult:
    """Fail naming each table without RLS or without a policy, or readable by `probe_role`,
    and each schema without tables unless `allow_empty`."""
    rows = conn.execute(TABLES_QUERY, (list(schemas),)).fetchall()
    empty = [schema for schema in schemas if not any(r[0] == schema for r in rows)]
    no_tables = [f"no tables in {', '.join(empty)}"] if empty else []
    columns = ["schema", "table", "rls_enabled", "policies"]
    unprotected = [f"{r[0]}.{r[1]}" for r in rows if not r[2]]
    no_policy = [f"{r[0]}.{r[1]}" for r in rows if r[2] and not r[3]]
    offending = [r for r in rows if not r[2] or not r[3]]
    evidence: list[Evidence] = [
        sql_evidence(
            f"{counted(len(rows), 'table')} in {', '.join(schemas)}: {len(offending)} unprotected",
            TABLES_QUERY,
            columns,
            offending or rows,
        )
    ]
    problems = [] if allow_empty else list(no_tables)
    if unprotected:
        problems.append(f"RLS disabled on {first(unprotected)}")
    if no_policy:
        problems.append(f"no policy on {first(no_policy)}")
    if probe_role:
        readable = _readable_as(conn, probe_role, [(r[0], r[1]) for r in rows])
        evidence.append(
            Evidence(
                "note",
                f"as role {probe_role}: {len(readable)} of {counted(len(rows), 'table')} "
                "return rows",
                detail="\n".join(readable),
                data={"role": probe_role, "readable": readable},
            )
        )
        if readable:
            problems.append(f"role {probe_role} can read rows from {first(readable)}")
    if problems:
        return ProbeResult.failed("; ".join(problems), evidence)
    return ProbeResult.passed(evidence, no_tables)


def _readable_as(
    conn: psycopg.Connection[Any], role: str, tables: Sequence[tuple[str, str]]
) -> list[str]:
    """Tables from which `role` selects at least one row (denied counts as protected)."""
    readable = []
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        for schema, table in tables:
            if _returns_rows(conn, schema, table):
                readable.append(f"{schema}.{table}")
        conn.execute("RESET ROLE")
    return readable


def _returns_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    query = sql.SQL("SELECT 1 FROM {}.{} LIMIT 1").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    try:
        with conn.transaction():
            return conn.execute(query).fetchone() is not None
    except psycopg.errors.InsufficientPrivilege:
        return False
