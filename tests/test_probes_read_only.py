"""Which statements `db` refuses before they reach the server, read from their text."""

from __future__ import annotations

import pytest

from pytest_readiness.probes.read_only import refusal


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "  (select 1) union (select 2)",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "-- a comment\nSELECT 'COMMIT; -- not a comment'",
        "/* outer /* nested */ still comment */ SHOW server_version",
        "EXPLAIN SELECT 1",
        "SET LOCAL ROLE anon",
        "SET LOCAL statement_timeout = '5s'",
        "RESET ROLE",
        "SELECT set_config('readiness.marker', 'x', true)",
        "SELECT * FROM pg_replication_slots",
        "SELECT * FROM pg_file_settings",
        "",
    ],
)
def test_reads_are_let_through(statement: str) -> None:
    assert refusal(statement) is None


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("commit", "COMMIT"),
        ("/* x */ -- y\n  ROLLBACK", "ROLLBACK"),
        ("END", "END"),
        ("abort", "ABORT"),
        ("START TRANSACTION READ WRITE", "START"),
        ("SAVEPOINT a", "SAVEPOINT"),
        ("PREPARE TRANSACTION 'x'", "PREPARE"),
        ("DISCARD ALL", "DISCARD"),
        ("SET TRANSACTION READ WRITE", "SET TRANSACTION"),
        ("set session characteristics as transaction read write", "SET CHARACTERISTICS"),
        ('SET SESSION "default_transaction_read_only" = off', "DEFAULT_TRANSACTION_READ_ONLY"),
        ("SET transaction_read_only TO off", "TRANSACTION_READ_ONLY"),
        ("RESET ALL", "RESET ALL"),
        ("COPY (SELECT 1) TO PROGRAM 'id'", "COPY"),
        ("DO $$ BEGIN NULL; END $$", "DO"),
        ("LOCK t IN ACCESS EXCLUSIVE MODE", "LOCK"),
        ("CALL p()", "CALL"),
        ("LOAD 'plugin'", "LOAD"),
        ("VACUUM t", "VACUUM"),
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("SELECT pg_catalog.pg_terminate_backend(1)", "pg_terminate_backend"),
        ('SELECT "pg_cancel_backend"(1)', "pg_cancel_backend"),
        ("SELECT PG_TRY_ADVISORY_LOCK(1)", "pg_try_advisory_lock"),
        ("SELECT $$/*$$, pg_reload_conf() --*/", "pg_reload_conf"),
        ("SELECT lo_export(1, '/tmp/x')", "lo_export"),
        ("SELECT * FROM dblink('dbname=x', 'DELETE FROM t') AS r(x int)", "dblink"),
    ],
)
def test_anything_that_could_write_or_end_the_transaction_is_refused_by_name(
    statement: str, named: str
) -> None:
    reason = refusal(statement)
    assert reason is not None
    assert named in reason
    assert "\n" not in reason
