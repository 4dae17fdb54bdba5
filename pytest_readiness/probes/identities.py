"""RLS proven as real identities: read every exposed table as anon and as signed-in users.

Each identity is a database role plus JWT claims, set the way PostgREST sets them
(`set_config('request.jwt.claims', ..., true)` and `SET LOCAL ROLE`) inside one read-only
transaction on a connection of its own, always rolled back. Nothing is seeded: an empty
table proves nothing by returning no rows, so for empty tables the verdict comes from the
catalog instead (grants, RLS, and policies that are always true for the identity's role).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from pytest_readiness.model import Evidence, Finding, ProbeResult
from pytest_readiness.probes.advisor import SECURITY

# Rows counted per table, at most: enough to tell "some" from "all" without a full scan.
ROW_CAP = 10_000
LINT_READS = "rls_identity_reads_rows"
LINT_READS_ALL = "rls_identity_reads_every_row"
LINT_OPEN_EMPTY = "rls_identity_open_empty_table"
LINT_PUBLIC_UNREADABLE = "rls_public_table_unreadable"
LINTS = (LINT_READS, LINT_READS_ALL, LINT_OPEN_EMPTY, LINT_PUBLIC_UNREADABLE)
TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s) ORDER BY 1, 2
"""
# What the catalog says a role may read of a table: no grant, RLS off, an open policy, or
# only policies with conditions (`restricted`).
CATALOG_ACCESS = """
SELECT CASE
    WHEN NOT has_table_privilege(%(role)s, c.oid, 'SELECT') THEN 'no grant'
    WHEN NOT c.relrowsecurity THEN 'RLS disabled'
    WHEN EXISTS (
        SELECT 1 FROM pg_policy p
        WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd IN ('r', '*')
          AND coalesce(pg_get_expr(p.polqual, p.polrelid), 'true') = 'true'
          AND (0 = ANY(p.polroles)
               OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = ANY(p.polroles)
                          AND pg_has_role(%(role)s, r.oid, 'MEMBER')))
    ) THEN 'a policy that is always true'
    ELSE 'restricted'
END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(name)s
"""


@dataclass(frozen=True)
class Identity:
    """Who reads: a name for the report, the database role, and the JWT claims."""

    name: str
    role: str
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return "sub" not in self.claims


@dataclass(frozen=True)
class TableView:
    """What one identity saw of one table."""

    table: str
    total: int  # rows as the connecting user sees them, capped at ROW_CAP
    visible: int | None  # rows the identity reads (capped), None when denied
    catalog: str = ""  # for empty tables: what the grants and policies allow

    def describe(self) -> str:
        if self.visible is None:
            return f"{self.table}: cannot read (permission denied)"
        if not self.total:
            return f"{self.table}: empty, no rows proves nothing; catalog: {self.catalog}"
        return f"{self.table}: reads {_rows(self.visible)} of {_rows(self.total)}"


def parse_identities(raw: Any) -> list[Identity]:
    """`[{name, role, claims}]` from the config; `ValueError` says which entry is wrong."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("rls_identities must be a list of {name, role, claims} tables")
    return [_identity(number, entry) for number, entry in enumerate(raw, start=1)]


def check_identities(
    url: str,
    identities: Sequence[Identity],
    schemas: Sequence[str],
    *,
    public_read: Sequence[str] = (),
    block: Collection[str] = (),
    statement_timeout_s: float = 30.0,
) -> ProbeResult:
    """Read every table of `schemas` as each identity; findings where what it reads differs
    from the declared intent (only `public_read` tables are for everyone).

    No table at all is the RLS lints' failure to report ("no tables in public"), not this.
    """
    timeout_ms = int(statement_timeout_s * 1000)
    options = f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on"
    with psycopg.connect(url, connect_timeout=10, options=options) as conn:
        conn.read_only = True
        tables = [f"{r[0]}.{r[1]}" for r in conn.execute(TABLES, (list(schemas),)).fetchall()]
        missing = _missing_roles(conn, identities)
        conn.rollback()
        if missing:
            return ProbeResult.failed("; ".join(missing))
        if not tables:
            return ProbeResult.passed([Evidence("note", "no tables to read as the identities")])
        evidence, findings = [], []
        for identity in identities:
            views = _views(conn, identity, tables)
            evidence.append(_evidence(identity, views))
            findings += _findings(identity, views, public_read)
    return ProbeResult.judged([], findings, evidence, block=block)


def _views(
    conn: psycopg.Connection[Any], identity: Identity, tables: Sequence[str]
) -> list[TableView]:
    """One rolled-back read-only transaction: totals first, then the same reads as the identity."""
    with conn.transaction(force_rollback=True):
        totals = {table: _count(conn, table) or 0 for table in tables}
        catalog = {t: _catalog(conn, identity.role, t) for t in tables if not totals[t]}
        _become(conn, identity)
        return [
            TableView(table, totals[table], _count(conn, table), catalog.get(table, ""))
            for table in tables
        ]


def _missing_roles(conn: psycopg.Connection[Any], identities: Sequence[Identity]) -> list[str]:
    roles = [identity.role for identity in identities]
    rows = conn.execute(
        "SELECT r FROM unnest(%s::text[]) AS r WHERE r NOT IN (SELECT rolname FROM pg_roles)",
        (roles,),
    ).fetchall()
    absent = {str(row[0]) for row in rows}
    return [
        f"identity {i.name}: role {i.role} does not exist" for i in identities if i.role in absent
    ]


def _become(conn: psycopg.Connection[Any], identity: Identity) -> None:
    """What PostgREST does per request: the claims as settings, then the role."""
    claims = json.dumps(dict(identity.claims))
    conn.execute("SELECT set_config('request.jwt.claims', %s, true)", (claims,))
    for key in ("sub", "role", "email"):
        if key in identity.claims:
            setting = f"request.jwt.claim.{key}"
            conn.execute("SELECT set_config(%s, %s, true)", (setting, str(identity.claims[key])))
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(identity.role)))


def _count(conn: psycopg.Connection[Any], table: str) -> int | None:
    """Rows of `table` visible now (capped), or None when reading it is not permitted."""
    schema, name = table.split(".", 1)
    query = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {}.{} LIMIT {}) AS capped").format(
        sql.Identifier(schema), sql.Identifier(name), sql.Literal(ROW_CAP)
    )
    try:
        with conn.transaction():
            row = conn.execute(query).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return None
    return int(row[0]) if row else 0


def _catalog(conn: psycopg.Connection[Any], role: str, table: str) -> str:
    schema, name = table.split(".", 1)
    params = {"role": role, "schema": schema, "name": name}
    row = conn.execute(CATALOG_ACCESS, params).fetchone()
    return str(row[0]) if row else "unknown"


def _findings(
    identity: Identity, views: Sequence[TableView], public_read: Sequence[str]
) -> list[Finding]:
    found = []
    for view in views:
        finding = _finding(identity, view, view.table in public_read)
        if finding is not None:
            found.append(finding)
    return found


def _finding(identity: Identity, view: TableView, public: bool) -> Finding | None:
    """The gap between what `identity` read of one table and what was declared."""
    subject = f"{view.table}@{identity.name}"
    if public:
        return _public_finding(subject, view)
    if view.visible is None:
        return None
    if not view.total:
        if view.catalog in ("RLS disabled", "a policy that is always true"):
            level = "error" if identity.anonymous else "warn"
            detail = f"{view.describe()}: {identity.name} would read every row"
            title = "empty table open to the identity"
            return _lint(LINT_OPEN_EMPTY, level, subject, detail, title)
        return None
    if identity.anonymous and view.visible:
        title = "rows readable by an anonymous identity"
        return _lint(LINT_READS, "error", subject, view.describe(), title)
    if view.visible >= view.total >= 2:
        detail = f"{view.describe()}: every row; declare it in db_public_read if intended"
        return _lint(
            LINT_READS_ALL, "warn", subject, detail, "every row readable by a signed-in identity"
        )
    return None


def _public_finding(subject: str, view: TableView) -> Finding | None:
    """A table declared public that the identity cannot read, or reads nothing of."""
    unreadable = (
        view.visible is None
        or (view.total and not view.visible)
        or (not view.total and view.catalog in ("no grant", "restricted"))
    )
    if not unreadable:
        return None
    detail = f"declared public, but {view.describe()}"
    return _lint(LINT_PUBLIC_UNREADABLE, "warn", subject, detail, "declared public, unreadable")


def _lint(name: str, level: str, subject: str, detail: str, title: str) -> Finding:
    return Finding(name, level, SECURITY, subject, detail, title)


def _evidence(identity: Identity, views: Sequence[TableView]) -> Evidence:
    reads = [v.table for v in views if v.visible]
    denied = [v.table for v in views if v.visible is None]
    empty = [v.table for v in views if v.visible is not None and not v.total]
    summary = (
        f"as {identity.name} (role {identity.role}): reads rows from {len(reads)} of "
        f"{len(views)} tables, {len(denied)} denied, {len(empty)} empty (no rows proves nothing)"
    )
    return Evidence(
        "note",
        summary,
        detail="\n".join(v.describe() for v in views),
        data={
            "identity": identity.name,
            "role": identity.role,
            "reads": reads,
            "denied": denied,
            "empty": empty,
        },
    )


def _identity(number: int, entry: Any) -> Identity:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("role"), str):
        raise ValueError(f'rls_identities entry {number} needs a role, e.g. {{role = "anon"}}')
    claims = entry.get("claims", {})
    if not isinstance(claims, Mapping):
        raise ValueError(f"rls_identities entry {number}: claims must be a table of JWT claims")
    name = entry.get("name") or entry["role"]
    return Identity(str(name), entry["role"], dict(claims))


def _rows(count: int) -> str:
    shown = f"{ROW_CAP}+" if count >= ROW_CAP else str(count)
    return f"{shown} row{'' if count == 1 else 's'}"
