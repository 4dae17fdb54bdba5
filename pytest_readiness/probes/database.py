"""One read-only PostgreSQL connection per session; a failure to connect is remembered.

Checks get a `ReadOnlyConnection`, never the psycopg connection itself: every statement runs
in a read-only transaction that `db` starts, one statement per call, and nothing the check
sends can end or change that transaction (see `read_only.py` for what is refused).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from pytest_readiness.model import CheckFailed, Evidence
from pytest_readiness.probes._text import first
from pytest_readiness.probes.read_only import refusal

DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_STATEMENT_TIMEOUT_S = 30.0

Row = tuple[Any, ...]
Refused = Callable[[str, str], None]

_USER_SCHEMA = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
ROLE_QUERY = f"""
SELECT current_user, r.rolsuper,
  ARRAY(SELECT n.nspname FROM pg_namespace n
        WHERE {_USER_SCHEMA} AND has_schema_privilege(n.oid, 'CREATE') ORDER BY 1),
  ARRAY(SELECT n.nspname || '.' || c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND {_USER_SCHEMA}
          AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') ORDER BY 1)
FROM pg_roles r WHERE r.rolname = current_user
"""


class DatabaseUnavailable(Exception):
    """The database could not be reached; carries the one-line reason of the first attempt."""


class StatementRefused(CheckFailed):
    """A check asked `db` for something that could write or end its transaction: refused."""


@dataclass(frozen=True)
class DatabaseRole:
    """The role `db` connected as, and what it could do outside a read-only transaction."""

    name: str
    superuser: bool
    creatable_schemas: tuple[str, ...]
    writable_tables: tuple[str, ...]

    def warning(self) -> str | None:
        """One line when the role could write, were the read-only transaction ever escaped."""
        if self.superuser:
            return f"db connected as {self.name}, a superuser: connect as a read-only role"
        powers = []
        if self.writable_tables:
            powers.append(f"write to {first(list(self.writable_tables), 3)}")
        if self.creatable_schemas:
            powers.append(f"create in {first(list(self.creatable_schemas), 3)}")
        if not powers:
            return None
        can = " and ".join(powers)
        return f"db connected as {self.name}, which can {can}: use a read-only role"

    def to_evidence(self) -> Evidence:
        kind = "superuser" if self.superuser else "role"
        return Evidence(
            "note",
            f"db connected as {kind} {self.name}",
            data={
                "role": self.name,
                "superuser": self.superuser,
                "creatable_schemas": list(self.creatable_schemas),
                "writable_tables": list(self.writable_tables[:20]),
            },
        )


class ReadOnlyDatabase:
    """Connects once, lazily; every later caller gets the same connection or the same error."""

    def __init__(
        self,
        url: Callable[[], str],
        *,
        connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S,
        statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S,
    ) -> None:
        self._url = url
        self.role_warned = False  # the role warning is shown on the first item that connects
        self._connect_timeout_s = connect_timeout_s
        self._statement_timeout_s = statement_timeout_s
        self._connection: psycopg.Connection[Row] | None = None
        self._failure: str | None = None
        self.role: DatabaseRole | None = None

    def connection(self, on_refusal: Refused | None = None) -> ReadOnlyConnection:
        """The check's handle on the shared connection, or `DatabaseUnavailable`."""
        return ReadOnlyConnection(self._open(), on_refusal)

    def release(self) -> None:
        """End the item's transaction and its session locks: whatever it did is undone."""
        connection = self._connection
        if connection is None or connection.closed:
            return
        try:
            connection.rollback()
            connection.execute("SELECT pg_advisory_unlock_all()")
            connection.rollback()
        except psycopg.Error:
            connection.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> psycopg.Connection[Row]:
        if self._failure is not None:
            raise DatabaseUnavailable(self._failure)
        if self._connection is not None and not self._connection.closed:
            return self._connection
        try:
            self._connection = self._connect()
        except psycopg.Error as exc:
            self._failure = f"database unreachable: {describe_error(exc)}"
            raise DatabaseUnavailable(self._failure) from None
        self.role = _role(self._connection)
        return self._connection

    def _connect(self) -> psycopg.Connection[Row]:
        timeout_ms = int(self._statement_timeout_s * 1000)
        conn = psycopg.connect(
            self._url(),
            connect_timeout=max(2, self._connect_timeout_s),
            options=f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on",
            application_name="pytest-readiness",
        )
        conn.read_only = True
        return conn


def _role(conn: psycopg.Connection[Row]) -> DatabaseRole | None:
    """Who `conn` is and what it could write; None if the catalogue cannot tell."""
    try:
        row = conn.execute(ROLE_QUERY).fetchone()
    except psycopg.Error:
        row = None
    finally:
        conn.rollback()
    if row is None:
        return None
    return DatabaseRole(str(row[0]), bool(row[1]), tuple(row[2]), tuple(row[3]))


class ReadOnlyConnection:
    """What a check gets as `db`: psycopg's `execute`, cursors and savepoints, read-only.

    The transaction is `db`'s: it begins (READ ONLY, then a first query, so SET TRANSACTION
    comes too late) before the check's first statement and is rolled back after the item.
    `commit()`, `rollback()`, `autocommit` and friends are refused.
    """

    __slots__ = ("_conn", "_on_refusal")

    def __init__(self, conn: psycopg.Connection[Row], on_refusal: Refused | None = None) -> None:
        self._conn = conn
        self._on_refusal = on_refusal

    def execute(self, query: Any, params: Any = None) -> ReadOnlyCursor:
        """Run one read statement, as `psycopg.Connection.execute` does; returns its cursor."""
        cursor = self.cursor()
        cursor.execute(query, params)
        return cursor

    def cursor(self) -> ReadOnlyCursor:
        """A cursor whose statements go through the same rules."""
        return ReadOnlyCursor(self, self._conn.cursor())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A savepoint inside db's transaction: an error inside it is rolled back to here."""
        self._begin()
        with self._conn.transaction():
            yield

    @property
    def info(self) -> psycopg.ConnectionInfo:
        return self._conn.info

    @property
    def closed(self) -> bool:
        return self._conn.closed

    @property
    def read_only(self) -> bool:
        return True

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._refuse_call("db.read_only = ...")

    @property
    def autocommit(self) -> bool:
        return False

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._refuse_call("db.autocommit = ...")

    def commit(self) -> NoReturn:
        self._refuse_call("db.commit()")

    def rollback(self) -> NoReturn:
        self._refuse_call("db.rollback()")

    def close(self) -> NoReturn:
        self._refuse_call("db.close()")

    def pipeline(self) -> NoReturn:
        self._refuse_call("db.pipeline()")

    def set_autocommit(self, value: bool) -> NoReturn:
        self._refuse_call("db.set_autocommit()")

    def set_read_only(self, value: bool | None) -> NoReturn:
        self._refuse_call("db.set_read_only()")

    def set_isolation_level(self, value: Any) -> NoReturn:
        self._refuse_call("db.set_isolation_level()")

    def set_deferrable(self, value: bool | None) -> NoReturn:
        self._refuse_call("db.set_deferrable()")

    def send(self, cursor: psycopg.Cursor[Row], query: Any, params: Any) -> None:
        """Run one statement of the check on `cursor`, or refuse it (StatementRefused)."""
        text = self._text(query)
        reason = refusal(text)
        if reason is not None:
            self._refuse(reason, text)
        self._begin()
        try:
            # A prepared statement goes through the extended protocol: one statement per call.
            # psycopg deallocates it when db rolls back at the end of the item.
            cursor.execute(query, params, prepare=True)
        except psycopg.errors.SyntaxError as exc:
            if "multiple commands" in str(exc):
                self._refuse("db refused several statements in one call: send one at a time", text)
            raise
        self._still_in_transaction(text)

    def _begin(self) -> None:
        """Open db's read-only transaction and take its snapshot, if not open yet."""
        if self._conn.info.transaction_status == TransactionStatus.IDLE:
            self._conn.execute("SELECT 1")  # psycopg sends BEGIN READ ONLY first

    def _still_in_transaction(self, text: str) -> None:
        """The transaction db began is still open: otherwise stop using this connection."""
        status = self._conn.info.transaction_status
        if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            return
        self._conn.close()
        self._refuse("db's read-only transaction ended during a statement: connection closed", text)

    def _text(self, query: Any) -> str:
        if isinstance(query, bytes):
            return query.decode("utf-8", errors="replace")
        if isinstance(query, sql.Composable):
            return query.as_string(self._conn)
        return str(query)

    def _refuse_call(self, call: str) -> NoReturn:
        self._refuse(f"{call} refused: db's transaction is rolled back after the item", "")

    def _refuse(self, reason: str, statement: str) -> NoReturn:
        if self._on_refusal is not None:
            self._on_refusal(reason, statement)
        raise StatementRefused(reason)


class ReadOnlyCursor:
    """A psycopg cursor's results, and `execute` through db's rules."""

    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: ReadOnlyConnection, cursor: psycopg.Cursor[Row]) -> None:
        self._connection = connection
        self._cursor = cursor

    def __enter__(self) -> ReadOnlyCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._cursor.close()

    def __iter__(self) -> Iterator[Row]:
        return iter(self._cursor)

    def execute(self, query: Any, params: Any = None) -> ReadOnlyCursor:
        """Run one read statement on this cursor."""
        self._connection.send(self._cursor, query, params)
        return self

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone()

    def fetchmany(self, size: int = 0) -> list[Row]:
        return self._cursor.fetchmany(size)

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()

    def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> list[psycopg.Column] | None:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def statusmessage(self) -> str | None:
        return self._cursor.statusmessage

    @property
    def closed(self) -> bool:
        return self._cursor.closed


def describe_error(exc: psycopg.Error) -> str:
    """The server's (or libpq's) own message, on one line."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0].removeprefix("connection failed: ")
