"""Turn whatever stopped a check into the one-line reason a release approver reads."""

from __future__ import annotations

import re

import httpx
import psycopg
import pytest

from pytest_readiness.config import MissingSetting, MissingVariable
from pytest_readiness.probes.database import DatabaseUnavailable
from pytest_readiness.probes.database import describe_error as describe_database_error
from pytest_readiness.probes.http import describe_request_error

_PYTEST_TIMEOUT = re.compile(r"Timeout \(>(?P<s>[0-9.]+)s\) from pytest-timeout")

# Failures whose reason says it all: no traceback is shown for them.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    AssertionError,
    MissingVariable,
    MissingSetting,
    DatabaseUnavailable,
    httpx.HTTPError,
    psycopg.Error,
    TimeoutError,
)


def reason_for(exc: BaseException) -> str:
    """One line naming what went wrong; never a traceback."""
    if isinstance(exc, httpx.HTTPError):
        return describe_request_error(exc)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return f"statement timeout: {describe_database_error(exc)}"
    if isinstance(exc, psycopg.Error) and not isinstance(exc, DatabaseUnavailable):
        return f"database error: {describe_database_error(exc)}"
    text = first_line(str(exc))
    timeout = _PYTEST_TIMEOUT.search(text)
    if timeout:
        return f"timed out after {float(timeout.group('s')):g} s"
    if isinstance(exc, AssertionError | MissingVariable | MissingSetting | DatabaseUnavailable):
        return text or "assertion failed"
    if _is_pytest_outcome(exc):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_expected(exc: BaseException) -> bool:
    """True for failures a check means to report (as opposed to a bug in the check)."""
    return isinstance(exc, EXPECTED_FAILURES) or _is_pytest_outcome(exc)


def first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _is_pytest_outcome(exc: BaseException) -> bool:
    return isinstance(exc, pytest.fail.Exception | pytest.skip.Exception)
