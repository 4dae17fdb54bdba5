"""`db` cannot write, by any SQL: each attempt fails its item and nothing persists.

Every attempt runs as a check of a real readiness run against a real PostgreSQL, with a
superuser DSN (the worst case); afterwards another connection proves nothing persisted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ReadinessProject

SCHEMA = """
CREATE TABLE t (v text);
CREATE SEQUENCE s;
CREATE FUNCTION w() RETURNS int VOLATILE LANGUAGE sql AS $$ INSERT INTO t VALUES ('f'); SELECT 1 $$;
CREATE FUNCTION lock_it() RETURNS void LANGUAGE sql AS $$ SELECT pg_advisory_lock(4242) $$;
"""


@dataclass
class Target:
    """A throwaway database holding what the attempts try to change."""

    dsn: str
    marker: Path

    def rows(self) -> list[tuple[object, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute("SELECT v FROM t").fetchall()

    def sequence_used(self) -> bool:
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT is_called FROM s").fetchone()
            return bool(row and row[0])


@pytest.fixture
def target(throwaway_db: str) -> Iterator[Target]:
    with psycopg.connect(throwaway_db, autocommit=True) as admin:
        admin.execute(SCHEMA.encode())
    marker = Path(f"/tmp/readiness_copy_{uuid.uuid4().hex[:12]}")
    yield Target(throwaway_db, marker)
    marker.unlink(missing_ok=True)


def config(dsn: str) -> str:
    return f'[tool.readiness.envs.local]\ndatabase_url = "{dsn}"\n'


def attempts(marker: Path, victim: int) -> dict[str, tuple[str, str]]:
    """Title -> (check body, what the one-line reason must name)."""
    program = f"touch {marker}"
    return {
        "rollback and several statements": (
            "db.execute(\"ROLLBACK; BEGIN READ WRITE; INSERT INTO t(v) VALUES ('w8'); COMMIT\")",
            "ROLLBACK",
        ),
        "several statements": (
            "db.execute(\"SELECT 1; COMMIT; BEGIN; INSERT INTO t(v) VALUES ('w7'); COMMIT\")",
            "several statements",
        ),
        "set transaction": (
            "db.execute('SET TRANSACTION READ WRITE')\n"
            "    db.execute(\"INSERT INTO t(v) VALUES ('w9')\")\n"
            "    db.commit()",
            "SET TRANSACTION",
        ),
        "session characteristics": (
            "db.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE')",
            "SET CHARACTERISTICS",
        ),
        "commit statement": ("db.execute('/* hidden */ COMMIT')", "COMMIT"),
        "commit call": ("db.commit()", "db.commit()"),
        "rollback then write": (
            "db.execute('SELECT 1')\n    db.rollback()",
            "db.rollback()",
        ),
        "autocommit": ("db.autocommit = True", "db.autocommit"),
        "begin": ("db.execute('BEGIN READ WRITE')", "BEGIN"),
        "insert": ("db.execute(\"INSERT INTO t(v) VALUES ('i')\")", "INSERT"),
        "copy to program": (f"db.execute(\"COPY (SELECT 'x') TO PROGRAM '{program}'\")", "COPY"),
        "do block": (
            f"db.execute(\"DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''{program}'''; "
            'END $$")',
            "DO",
        ),
        "cursor execute": ("db.execute('SELECT 1').execute('COMMIT')", "COMMIT"),
        "terminate backend": (
            f"db.execute('SELECT pg_terminate_backend(%s)', ({victim},))",
            "pg_terminate_backend",
        ),
        "advisory lock": ("db.execute('SELECT pg_advisory_lock(42)')", "pg_advisory_lock"),
        "nextval": ("db.execute(\"SELECT nextval('s')\")", "nextval"),
        "volatile function": ("db.execute('SELECT w()')", "read-only transaction"),
        "set_config read write": (
            "db.execute(\"SELECT set_config('transaction_read_only', 'off', true)\")",
            "read-write mode must be set before any query",
        ),
        "data-modifying with": (
            "db.execute(\"WITH x AS (INSERT INTO t VALUES ('c') RETURNING v) SELECT * FROM x\")",
            "read-only transaction",
        ),
        "explain analyze insert": (
            "db.execute(\"EXPLAIN ANALYZE INSERT INTO t VALUES ('e')\")",
            "read-only transaction",
        ),
        "savepoint release": (
            "with db.transaction():\n        db.execute('RELEASE SAVEPOINT _pg3_1')",
            "RELEASE",
        ),
    }


def test_every_write_attempt_fails_its_item_naming_what_was_refused_and_nothing_persists(
    project: ReadinessProject, target: Target
) -> None:
    with psycopg.connect(target.dsn, autocommit=True) as victim:
        cases = attempts(target.marker, victim.info.backend_pid)
        project.config(config(target.dsn))
        project.checks(
            "".join(
                f'@pytest.mark.db("{title}")\ndef test_{n}(db):\n    {body}\n\n'
                for n, (title, (body, _)) in enumerate(cases.items())
            )
        )
        result = project.run()
        assert victim.execute("SELECT 1").fetchone() == (1,)  # not terminated
    items = project.items()
    for title, (_, named) in cases.items():
        assert items[title]["outcome"] == "failed", title
        assert named in items[title]["reason"], (title, items[title]["reason"])
        assert "\n" not in items[title]["reason"]
    assert result.ret == 1
    assert project.report()["verdict"] == "NO-GO"
    assert target.rows() == []
    assert not target.sequence_used()
    assert not target.marker.exists()


def test_a_refused_statement_is_evidence_on_its_item(
    project: ReadinessProject, target: Target
) -> None:
    project.config(config(target.dsn))
    project.checks(
        """
        @pytest.mark.db("Data integrity: Verified")
        def test_commit(db):
            db.execute("COMMIT")
        """
    )
    project.run()
    evidence = project.items()["Data integrity: Verified"]["evidence"]
    refused = [e for e in evidence if e["kind"] == "sql"]
    assert refused[0]["summary"].startswith("db refused COMMIT")
    assert refused[0]["detail"] == "COMMIT"


def test_a_session_lock_taken_indirectly_is_released_when_the_item_ends(
    project: ReadinessProject, target: Target
) -> None:
    project.config(config(target.dsn))
    project.checks(
        f"""
        import psycopg

        @pytest.mark.db("Data integrity: Verified")
        def test_lock(db):
            db.execute("SELECT lock_it()")

        @pytest.mark.db("RLS tests: All passing")
        def test_free(db):
            with psycopg.connect("{target.dsn}") as other:
                assert other.execute("SELECT pg_try_advisory_lock(4242)").fetchone() == (True,)
        """
    )
    result = project.run()
    assert result.ret == 0, result.stdout.str()


def test_reads_params_savepoints_and_cursors_still_work(
    project: ReadinessProject, target: Target
) -> None:
    project.config(config(target.dsn))
    project.checks(
        """
        import psycopg
        from psycopg import sql

        @pytest.mark.db("Data integrity: Verified")
        def test_reads(db):
            assert db.execute("SELECT %s::int + 1", (41,)).fetchone() == (42,)
            assert db.execute(sql.SQL("SELECT {}").format(sql.Literal("a"))).fetchall() == [("a",)]
            assert db.execute(b"SELECT 'x' AS c").description[0].name == "c"
            with pytest.raises(psycopg.errors.UndefinedTable), db.transaction():
                db.execute("SELECT * FROM missing")
            with db.cursor() as cursor:
                assert list(cursor.execute("SELECT generate_series(1, 3)")) == [(1,), (2,), (3,)]
            db.execute("SET LOCAL statement_timeout = '5s'")
            assert db.execute("SHOW transaction_read_only").fetchone() == ("on",)
        """
    )
    result = project.run()
    assert result.ret == 0, result.stdout.str()


def test_a_superuser_connection_is_named_and_warned_about(
    project: ReadinessProject, target: Target
) -> None:
    project.config(config(target.dsn))
    project.checks('@pytest.mark.db("Data integrity: Verified")\ndef test_read(db): pass\n')
    project.run()
    evidence = project.items()["Data integrity: Verified"]["evidence"]
    role = next(e for e in evidence if e["kind"] == "note")
    assert role["summary"] == "db connected as superuser postgres"
    warnings = [e["summary"] for e in evidence if e["kind"] == "warning"]
    assert warnings == ["db connected as postgres, a superuser: connect as a read-only role"]


def test_a_role_that_can_write_is_warned_about_naming_the_table(
    project: ReadinessProject, target: Target, login_role: Callable[[str], str]
) -> None:
    dsn = login_role("GRANT INSERT ON t TO {role}")
    project.config(config(dsn))
    project.checks('@pytest.mark.db("Data integrity: Verified")\ndef test_read(db): pass\n')
    project.run()
    evidence = project.items()["Data integrity: Verified"]["evidence"]
    (warning,) = [e["summary"] for e in evidence if e["kind"] == "warning"]
    assert "can write to public.t" in warning


def test_a_read_only_role_is_named_without_a_warning(
    project: ReadinessProject, target: Target, login_role: Callable[[str], str]
) -> None:
    dsn = login_role()
    project.config(config(dsn))
    project.checks(
        '@pytest.mark.db("Data integrity: Verified")\n'
        "def test_read(db):\n    assert db.execute('SELECT count(*) FROM t').fetchone() == (0,)\n"
    )
    result = project.run()
    assert result.ret == 0, result.stdout.str()
    evidence = project.items()["Data integrity: Verified"]["evidence"]
    user = psycopg.conninfo.conninfo_to_dict(dsn)["user"]
    assert [e["summary"] for e in evidence] == [f"db connected as role {user}"]


def test_a_refusal_the_check_caught_still_fails_its_item(
    project: ReadinessProject, target: Target
) -> None:
    project.config(config(target.dsn))
    project.checks(
        """
        @pytest.mark.db("Data integrity: Verified")
        def test_sneaky(db):
            try:
                db.execute("COMMIT")
            except Exception:
                pass
        """
    )
    result = project.run()
    item = project.items()["Data integrity: Verified"]
    assert item["outcome"] in ("failed", "error")
    assert item["reason"].startswith("db refused COMMIT")
    assert result.ret == 1
