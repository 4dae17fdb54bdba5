"""Database lints in the spirit of Supabase's advisor: catalog queries that return findings.

Each lint is one read-only SELECT over the system catalogs returning `(object, detail)` rows
(or `(object, detail, level)` when the level depends on the row). The queries are this
project's own; the classes of finding follow the advisor's documentation (docs/database.md
lists every lint, its level and what to do about it).

Security lints look at the *exposed* schemas (the ones the API serves, `public` by
default); integrity lints at every schema of the project. Platform schemas (`auth`,
`storage`, `extensions`, ...) are never the project's own objects and are left out of both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from pytest_readiness.model import FINDING_LEVELS, Evidence, Finding

SECURITY = "security"
INTEGRITY = "integrity"
PERFORMANCE = "performance"

# Schemas the Supabase platform (or PostgreSQL) owns: never the project's objects.
PLATFORM_SCHEMAS = (
    "auth",
    "storage",
    "extensions",
    "supabase_migrations",
    "supabase_functions",
    "graphql",
    "graphql_public",
    "realtime",
    "_realtime",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "pgbouncer",
    "net",
    "cron",
    "_analytics",
    "pgtle",
    "information_schema",
    "pg_catalog",
)


@dataclass(frozen=True)
class Scope:
    """Where the lints look and who the API's callers are (Supabase's names by default)."""

    exposed: tuple[str, ...] = ("public",)
    anon: str = "anon"
    authenticated: str = "authenticated"
    # Tables meant to be readable by everyone (`schema.table`): an open SELECT is intended.
    public_read: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        exposed = [s for s in self.exposed if s not in PLATFORM_SCHEMAS]
        return {
            "exposed": exposed,
            "platform": list(PLATFORM_SCHEMAS),
            "anon": self.anon,
            "authenticated": self.authenticated,
            "public_read": list(self.public_read),
        }


@dataclass(frozen=True)
class Lint:
    """One class of finding: its stable name, level, category and catalog query."""

    name: str
    level: str
    category: str
    title: str
    query: str


# Fragments shared by the queries (plain text, no values: values travel as parameters).
_PROJECT = "n.nspname <> ALL(%(platform)s) AND n.nspname NOT LIKE 'pg\\_%%'"
_EXPOSED = f"n.nspname = ANY(%(exposed)s) AND {_PROJECT}"
_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
# A role that does not exist has no privilege (the privilege functions would raise).
_ROLE_CAN = (
    "CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %({role})s)"
    " THEN {function}(%({role})s, {oid}, '{p}') ELSE false END"
)
_TABLE_CAN = {
    role: _ROLE_CAN.format(role=role, function="has_table_privilege", oid="c.oid", p="{p}")
    for role in ("anon", "authenticated")
}
_API_CAN = f"({_TABLE_CAN['anon']} OR {_TABLE_CAN['authenticated']})"
_FUNCTION_NAME = (
    "n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'"
)

RLS_DISABLED_IN_PUBLIC = f"""
SELECT n.nspname || '.' || c.relname,
       CASE WHEN {_API_CAN.format(p="SELECT,INSERT,UPDATE,DELETE")}
            THEN 'RLS is off and the API roles are granted access: every row is theirs'
            ELSE 'RLS is off; no API role is granted access yet, a later GRANT exposes it'
       END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND {_EXPOSED}
ORDER BY 1
"""

POLICY_EXISTS_RLS_DISABLED = f"""
SELECT n.nspname || '.' || c.relname,
       'policies (' || string_agg(pol.polname, ', ' ORDER BY pol.polname)
       || ') are ignored: RLS is disabled on the table'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_policy pol ON pol.polrelid = c.oid
WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND {_EXPOSED}
GROUP BY n.nspname, c.relname
ORDER BY 1
"""

RLS_ENABLED_NO_POLICY = f"""
SELECT n.nspname || '.' || c.relname,
       'RLS is enabled but no policy exists: the API can read or write none of its rows'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND {_EXPOSED}
  AND NOT EXISTS (SELECT 1 FROM pg_policy pol WHERE pol.polrelid = c.oid)
ORDER BY 1
"""

# A permissive policy whose expression is `true` (or absent) lets its roles past RLS.
RLS_POLICY_ALWAYS_TRUE = f"""
WITH pol AS (
    SELECT n.nspname || '.' || c.relname AS object, p.polname, p.polcmd,
           0 = ANY(p.polroles) AS to_public,
           EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = ANY(p.polroles)
                   AND r.rolname = %(anon)s) AS to_anon,
           EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = ANY(p.polroles)
                   AND r.rolname = %(authenticated)s) AS to_authenticated,
           coalesce(pg_get_expr(p.polqual, p.polrelid), 'true') AS using_expr,
           coalesce(pg_get_expr(p.polwithcheck, p.polrelid),
                    pg_get_expr(p.polqual, p.polrelid), 'true') AS check_expr
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE p.polpermissive AND {_EXPOSED}
), open AS (
    SELECT *, polcmd IN ('a', 'w', 'd', '*') AS writes,
           CASE polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
           CASE WHEN to_public THEN 'public' WHEN to_anon THEN %(anon)s
                ELSE %(authenticated)s END AS role
    FROM pol
    WHERE (to_public OR to_anon OR to_authenticated)
      AND ((polcmd IN ('r', 'w', 'd', '*') AND using_expr = 'true')
           OR (polcmd IN ('a', 'w', '*') AND check_expr = 'true'))
)
SELECT object,
       'policy ' || polname || ' FOR ' || command || ' TO ' || role || ' is always true'
       || CASE WHEN NOT writes AND object = ANY(%(public_read)s) THEN ' (declared public)'
               ELSE '' END,
       CASE WHEN writes THEN 'error'
            WHEN object = ANY(%(public_read)s) THEN 'info'
            WHEN to_public OR to_anon THEN 'error'
            ELSE 'warn' END
FROM open
ORDER BY 1, 2
"""

_SECURITY_DEFINER_EXECUTABLE = f"""
SELECT {_FUNCTION_NAME},
       'SECURITY DEFINER: runs as ' || pg_get_userbyid(p.proowner)
       || ' for any {{role}} caller of the API (POST /rpc/' || p.proname || '), past RLS'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prosecdef AND p.prokind IN ('f', 'p') AND {_EXPOSED}
  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
  AND {_NOT_EXTENSION.format(oid="p.oid")}
  AND {{condition}}
ORDER BY 1
"""
_EXECUTES = {
    role: _ROLE_CAN.format(role=role, function="has_function_privilege", oid="p.oid", p="EXECUTE")
    for role in ("anon", "authenticated")
}
ANON_SECURITY_DEFINER_EXECUTABLE = _SECURITY_DEFINER_EXECUTABLE.format(
    role="anonymous", condition=_EXECUTES["anon"]
)
AUTHENTICATED_SECURITY_DEFINER_EXECUTABLE = _SECURITY_DEFINER_EXECUTABLE.format(
    role="signed-in", condition=f"{_EXECUTES['authenticated']} AND NOT {_EXECUTES['anon']}"
)

FUNCTION_SEARCH_PATH_MUTABLE = f"""
SELECT {_FUNCTION_NAME},
       'search_path is not set on the function: it resolves names in the caller''s path'
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND {_PROJECT}
  AND {_NOT_EXTENSION.format(oid="p.oid")}
  AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{{}}')) AS setting
                  WHERE setting LIKE 'search\\_path=%%')
ORDER BY 1
"""

SECURITY_DEFINER_VIEW = f"""
SELECT n.nspname || '.' || c.relname,
       'view runs with the privileges of its owner ' || pg_get_userbyid(c.relowner)
       || ', not the caller: RLS of the tables it reads does not apply'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND {_EXPOSED}
  AND NOT coalesce('security_invoker=true' = ANY(c.reloptions)
                   OR 'security_invoker=on' = ANY(c.reloptions), false)
  AND {_NOT_EXTENSION.format(oid="c.oid")}
  AND {_API_CAN.format(p="SELECT")}
ORDER BY 1
"""

AUTH_USERS_EXPOSED = f"""
SELECT DISTINCT n.nspname || '.' || c.relname,
       CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END
       || ' reads auth.users and the API roles may select from it'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_rewrite rw ON rw.ev_class = c.oid
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
WHERE c.relkind IN ('v', 'm') AND {_EXPOSED}
  AND d.refobjid = to_regclass('auth.users')
  AND (c.relkind = 'm' OR NOT coalesce('security_invoker=true' = ANY(c.reloptions)
                                     OR 'security_invoker=on' = ANY(c.reloptions), false))
  AND {_API_CAN.format(p="SELECT")}
ORDER BY 1
"""

EXTENSION_IN_PUBLIC = """
SELECT e.extname, 'extension installed in schema ' || n.nspname
       || ': its functions and tables are part of the API'
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE n.nspname = ANY(%(exposed)s) AND e.extname <> 'plpgsql'
ORDER BY 1
"""

# A call not wrapped in a scalar sub-select is evaluated again for every row.
_PER_ROW_CALL = r"(auth\.[a-z_]+|current_setting)\s*\("
_WRAPPED_CALL = r"\(\s*select\s+(auth\.[a-z_]+|current_setting)\s*\("
AUTH_RLS_INITPLAN = f"""
WITH pol AS (
    SELECT n.nspname || '.' || c.relname AS object, p.polname,
           coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
           || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') AS expr
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE {_EXPOSED}
)
SELECT object, 'policy ' || polname || ' calls '
       || (regexp_match(expr, '{_PER_ROW_CALL}', 'i'))[1]
       || '() for every row (wrap it in a select to run it once)'
FROM pol
WHERE regexp_count(expr, '{_PER_ROW_CALL}', 1, 'i')
      > regexp_count(expr, '{_WRAPPED_CALL}', 1, 'i')
ORDER BY 1, 2
"""

MULTIPLE_PERMISSIVE_POLICIES = f"""
WITH pol AS (
    SELECT n.nspname || '.' || c.relname AS object, p.polname, r.rolname, cmd.name AS command
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (VALUES (%(anon)s), (%(authenticated)s)) AS api(rolname)
    JOIN pg_roles r ON r.rolname = api.rolname
    CROSS JOIN LATERAL (VALUES ('r', 'SELECT'), ('a', 'INSERT'), ('w', 'UPDATE'),
                               ('d', 'DELETE')) AS cmd(code, name)
    WHERE p.polpermissive AND {_EXPOSED}
      AND (0 = ANY(p.polroles) OR r.oid = ANY(p.polroles))
      AND (p.polcmd = cmd.code OR p.polcmd = '*')
)
SELECT object, 'role ' || rolname || ' ' || command || ': '
       || count(*) || ' permissive policies (' || string_agg(polname, ', ' ORDER BY polname)
       || ') are all evaluated for every row'
FROM pol
GROUP BY object, rolname, command
HAVING count(*) > 1
ORDER BY 1, 2
"""

NO_PRIMARY_KEY = f"""
SELECT n.nspname || '.' || c.relname,
       'no primary key: rows cannot be addressed, replicated or updated safely'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND {_PROJECT}
  AND {_NOT_EXTENSION.format(oid="c.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
ORDER BY 1
"""

# Covered: some valid index's leading columns are exactly the key's columns (any order).
UNINDEXED_FOREIGN_KEYS = f"""
SELECT n.nspname || '.' || c.relname || '.' || k.conname,
       'foreign key (' || (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum)
                           FROM pg_attribute a
                           WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey))
       || ') to ' || (SELECT rn.nspname || '.' || r.relname FROM pg_class r
                      JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = k.confrelid)
       || ' has no index starting with its columns: deletes and joins scan the table'
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'f' AND {_PROJECT}
  AND NOT EXISTS (
      SELECT 1 FROM pg_index x
      WHERE x.indrelid = k.conrelid AND x.indisvalid AND x.indpred IS NULL
        AND (x.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
        AND (x.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey
  )
ORDER BY 1
"""

# The same columns, operator classes, expressions and predicate: the later ones are redundant
# (an index backing a constraint is kept first).
DUPLICATE_INDEX = f"""
WITH ix AS (
    SELECT n.nspname || '.' || i.relname AS object, n.nspname || '.' || t.relname AS tbl,
           x.indrelid, x.indexrelid, x.indkey::text AS keys, x.indclass::text AS classes,
           x.indcollation::text AS collations,
           coalesce(pg_get_expr(x.indexprs, x.indrelid), '') AS exprs,
           coalesce(pg_get_expr(x.indpred, x.indrelid), '') AS pred, x.indisunique,
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) AS backs
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE {_PROJECT}
), ranked AS (
    SELECT *, first_value(object) OVER same AS kept, row_number() OVER same AS rank
    FROM ix
    WINDOW same AS (PARTITION BY indrelid, keys, classes, collations, exprs, pred, indisunique
                    ORDER BY backs DESC, indexrelid)
)
SELECT object, 'duplicates ' || kept || ' on ' || tbl || ': drop one of them'
FROM ranked WHERE rank > 1
ORDER BY 1
"""

INVALID_INDEX = f"""
SELECT n.nspname || '.' || i.relname,
       'invalid index on ' || n.nspname || '.' || t.relname
       || ' (a failed CREATE INDEX CONCURRENTLY?): not used, still maintained'
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE NOT x.indisvalid AND {_PROJECT}
ORDER BY 1
"""

NOT_VALID_CONSTRAINT = f"""
SELECT n.nspname || '.' || c.relname || '.' || k.conname,
       'constraint added NOT VALID and never validated: existing rows may break it'
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT k.convalidated AND {_PROJECT}
ORDER BY 1
"""

UNIQUE_NULLABLE = f"""
SELECT n.nspname || '.' || i.relname,
       'unique on ' || n.nspname || '.' || t.relname || ' but nullable column(s) '
       || string_agg(a.attname, ', ' ORDER BY a.attnum)
       || ': rows with NULL there never conflict, so uniqueness does not hold for them'
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey::int2[])
WHERE x.indisunique AND NOT x.indisprimary AND NOT x.indnullsnotdistinct
  AND a.attnum > 0 AND NOT a.attnotnull AND {_PROJECT}
GROUP BY n.nspname, i.relname, t.relname
ORDER BY 1
"""

# user_metadata is the part of the JWT a signed-in user may change about themselves.
RLS_REFERENCES_USER_METADATA = f"""
SELECT n.nspname || '.' || c.relname,
       'policy ' || p.polname || ' trusts user_metadata, which every user can edit for themselves'
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_EXPOSED}
  AND (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')) ~* 'user_metadata'
ORDER BY 1, 2
"""

RLS_LINTS: tuple[Lint, ...] = (
    Lint("rls_disabled_in_public", "error", SECURITY, "RLS disabled", RLS_DISABLED_IN_PUBLIC),
    Lint(
        "policy_exists_rls_disabled",
        "error",
        SECURITY,
        "policies but RLS disabled",
        POLICY_EXISTS_RLS_DISABLED,
    ),
    Lint("rls_enabled_no_policy", "error", SECURITY, "no policy", RLS_ENABLED_NO_POLICY),
    Lint("rls_policy_always_true", "error", SECURITY, "policy always true", RLS_POLICY_ALWAYS_TRUE),
    Lint(
        "rls_references_user_metadata",
        "error",
        SECURITY,
        "policy trusts user_metadata",
        RLS_REFERENCES_USER_METADATA,
    ),
    Lint(
        "anon_security_definer_function_executable",
        "error",
        SECURITY,
        "SECURITY DEFINER function executable by anon",
        ANON_SECURITY_DEFINER_EXECUTABLE,
    ),
    Lint(
        "authenticated_security_definer_function_executable",
        "warn",
        SECURITY,
        "SECURITY DEFINER function executable by authenticated",
        AUTHENTICATED_SECURITY_DEFINER_EXECUTABLE,
    ),
    Lint(
        "function_search_path_mutable",
        "warn",
        SECURITY,
        "mutable search_path",
        FUNCTION_SEARCH_PATH_MUTABLE,
    ),
    Lint(
        "security_definer_view", "error", SECURITY, "SECURITY DEFINER view", SECURITY_DEFINER_VIEW
    ),
    Lint("auth_users_exposed", "error", SECURITY, "auth.users exposed", AUTH_USERS_EXPOSED),
    Lint("extension_in_public", "warn", SECURITY, "extension in public", EXTENSION_IN_PUBLIC),
    Lint(
        "auth_rls_initplan",
        "warn",
        PERFORMANCE,
        "policy re-evaluates auth.*() per row",
        AUTH_RLS_INITPLAN,
    ),
    Lint(
        "multiple_permissive_policies",
        "warn",
        PERFORMANCE,
        "multiple permissive policies",
        MULTIPLE_PERMISSIVE_POLICIES,
    ),
)

INTEGRITY_LINTS: tuple[Lint, ...] = (
    Lint("no_primary_key", "error", INTEGRITY, "no primary key", NO_PRIMARY_KEY),
    Lint("not_valid_constraint", "error", INTEGRITY, "NOT VALID constraint", NOT_VALID_CONSTRAINT),
    Lint("invalid_index", "error", INTEGRITY, "invalid index", INVALID_INDEX),
    Lint(
        "unindexed_foreign_keys",
        "warn",
        INTEGRITY,
        "unindexed foreign key",
        UNINDEXED_FOREIGN_KEYS,
    ),
    Lint("duplicate_index", "warn", INTEGRITY, "duplicate index", DUPLICATE_INDEX),
    Lint("unique_nullable", "warn", INTEGRITY, "unique over a nullable column", UNIQUE_NULLABLE),
)

ALL_LINTS: tuple[Lint, ...] = RLS_LINTS + INTEGRITY_LINTS


def run_lints(
    conn: psycopg.Connection[Any], lints: Iterable[Lint], scope: Scope | None = None
) -> list[Finding]:
    """Every finding of `lints`, one per key (several rows for one object are merged)."""
    params = (scope or Scope()).params()
    findings: list[Finding] = []
    for lint in lints:
        rows = conn.execute(lint.query, params).fetchall()
        findings.extend(_merged(lint, rows))
    return findings


MISSING_ROLES = (
    "SELECT r FROM unnest(%s::text[]) AS r WHERE r NOT IN (SELECT rolname FROM pg_roles)"
)


def missing_roles(conn: psycopg.Connection[Any], scope: Scope) -> list[str]:
    """The scope's API roles that do not exist: lints about them would find nothing."""
    rows = conn.execute(MISSING_ROLES, ([scope.anon, scope.authenticated],)).fetchall()
    return [str(row[0]) for row in rows]


def findings_evidence(findings: Sequence[Finding], what: str) -> Evidence:
    """One evidence entry listing every finding: level, key and detail, one a line."""
    counts = ", ".join(
        f"{sum(1 for f in findings if f.level == level)} {level}" for level in FINDING_LEVELS
    )
    return Evidence(
        "findings",
        f"{what}: {len(findings)} findings ({counts})",
        detail="\n".join(f"{f.level} {f.key}: {f.detail}" for f in findings),
        data={"findings": [f.key for f in findings]},
    )


def _merged(lint: Lint, rows: Sequence[Sequence[Any]]) -> list[Finding]:
    """Rows grouped by object: the worst level wins, the details are joined."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for row in rows:
        name, detail = str(row[0]), str(row[1])
        level = str(row[2]) if len(row) > 2 else lint.level
        previous, details = grouped.get(name, (level, []))
        grouped[name] = (_worse(previous, level), [*details, detail])
    return [
        Finding(lint.name, level, lint.category, name, "; ".join(details), lint.title)
        for name, (level, details) in grouped.items()
    ]


def _worse(a: str, b: str) -> str:
    return min(a, b, key=FINDING_LEVELS.index)
