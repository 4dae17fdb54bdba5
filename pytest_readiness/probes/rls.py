"""Row-level security: the advisor's security lints over the exposed schemas.

Reading the tables as the API's callers is `identities` (a connection of its own). A
schema without tables was not checked at all (a database whose migrations never ran): it
fails, named, unless the caller says an empty schema is expected.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import psycopg

from pytest_readiness.model import ProbeResult
from pytest_readiness.probes import advisor
from pytest_readiness.probes._sql import sql_evidence
from pytest_readiness.probes._text import counted

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
    *,
    allow_empty: bool = False,
    scope: advisor.Scope | None = None,
    block: Collection[str] = (),
) -> ProbeResult:
    """Findings of the RLS and security lints on `schemas` (the exposed ones); fail on each
    `error` (and each `warn` that `block` names) and on schemas without tables unless
    `allow_empty`."""
    scope = scope or advisor.Scope(exposed=tuple(schemas))
    rows = conn.execute(TABLES_QUERY, (list(schemas),)).fetchall()
    empty = [schema for schema in schemas if not any(r[0] == schema for r in rows)]
    no_tables = [f"no tables in {', '.join(empty)}"] if empty else []
    columns = ["schema", "table", "rls_enabled", "policies"]
    offending = [r for r in rows if not r[2] or not r[3]]
    findings = advisor.run_lints(conn, advisor.RLS_LINTS, scope)
    evidence = [
        sql_evidence(
            f"{counted(len(rows), 'table')} in {', '.join(schemas)}: {len(offending)} unprotected",
            TABLES_QUERY,
            columns,
            offending or rows,
        ),
        advisor.findings_evidence(findings, "RLS and security lints"),
    ]
    problems = [] if allow_empty else list(no_tables)
    problems += [f"API role {role} does not exist" for role in advisor.missing_roles(conn, scope)]
    warnings = no_tables if allow_empty else []
    return ProbeResult.judged(problems, findings, evidence, warnings, block=block)
