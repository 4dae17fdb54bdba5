"""One read-only PostgreSQL connection per session; a failure to connect is remembered."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_STATEMENT_TIMEOUT_S = 30.0


class DatabaseUnavailable(Exception):
    """The database could not be reached; carries the one-line reason of the first attempt."""


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
        self._connect_timeout_s = connect_timeout_s
        self._statement_timeout_s = statement_timeout_s
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._failure: str | None = None

    def connection(self) -> psycopg.Connection[tuple[object, ...]]:
        """The shared read-only connection, or `DatabaseUnavailable` with the cached reason."""
        if self._failure is not None:
            raise DatabaseUnavailable(self._failure)
        if self._connection is not None and not self._connection.closed:
            return self._connection
        try:
            self._connection = self._connect()
        except psycopg.Error as exc:
            self._failure = f"database unreachable: {describe_error(exc)}"
            raise DatabaseUnavailable(self._failure) from None
        return self._connection

    def release(self) -> None:
        """End the item's transaction; whatever it did is rolled back."""
        if self._connection is None or self._connection.closed:
            return
        try:
            self._connection.rollback()
        except psycopg.Error:
            self._connection.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        timeout_ms = int(self._statement_timeout_s * 1000)
        conn = psycopg.connect(
            self._url(),
            connect_timeout=max(2, self._connect_timeout_s),
            options=f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on",
            application_name="pytest-readiness",
        )
        conn.read_only = True
        return conn


def describe_error(exc: psycopg.Error) -> str:
    """The server's (or libpq's) own message, on one line."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0].removeprefix("connection failed: ")
