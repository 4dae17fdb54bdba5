"""Turn whatever stopped a check into the one-line reason a release approver reads."""

from __future__ import annotations

import re
import sys

import pytest

from pytest_readiness.config import MissingSetting, MissingVariable
from pytest_readiness.probes._text import first_line

_PYTEST_TIMEOUT = re.compile(r"Timeout \(>(?P<s>[0-9.]+)s\) from pytest-timeout")

# Failures whose reason says it all: no traceback is shown for them.
_EXPECTED: tuple[type[BaseException], ...] = (
    AssertionError,
    MissingVariable,
    MissingSetting,
    TimeoutError,
)


def reason_for(exc: BaseException) -> str:
    """One line naming what went wrong; never a traceback."""
    network = _network_reason(exc)
    if network is not None:
        return network
    text = first_line(str(exc))
    timeout = _PYTEST_TIMEOUT.search(text)
    if timeout:
        return f"timed out after {float(timeout.group('s')):g} s"
    if isinstance(exc, _EXPECTED) or _is_pytest_outcome(exc) or _is_database_down(exc):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def is_expected(exc: BaseException) -> bool:
    """True for failures a check means to report (as opposed to a bug in the check)."""
    return (
        isinstance(exc, _EXPECTED)
        or _is_pytest_outcome(exc)
        or _is_database_down(exc)
        or _network_reason(exc) is not None
    )


def _network_reason(exc: BaseException) -> str | None:
    # httpx and psycopg are imported only by checks that use them: an exception of theirs
    # cannot exist unless the module is loaded, so look them up instead of importing.
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.HTTPError):
        from pytest_readiness.probes.http import describe_request_error

        return describe_request_error(exc)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        from pytest_readiness.probes.database import describe_error

        if isinstance(exc, psycopg.errors.QueryCanceled):
            return f"statement timeout: {describe_error(exc)}"
        return f"database error: {describe_error(exc)}"
    return None


def _is_database_down(exc: BaseException) -> bool:
    module = sys.modules.get("pytest_readiness.probes.database")
    return module is not None and isinstance(exc, module.DatabaseUnavailable)


def _is_pytest_outcome(exc: BaseException) -> bool:
    return isinstance(exc, pytest.fail.Exception | pytest.skip.Exception)
