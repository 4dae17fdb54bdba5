"""The project's pgTAP tests (`supabase/tests/*.sql`, as `supabase test db` runs them).

`pg_prove --verbose` runs each file through psql; every file runs in its own transaction,
as pgTAP tests are written (`begin; select plan(n); ...; select * from finish(); rollback;`).
This module builds the command and its libpq environment, and reads the TAP it prints:
the counts, and the first failing test's file, number and description.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from pytest_readiness.model import Evidence, ProbeResult

RUNNER = "pg_prove"
INSTALL_HINT = "Debian: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl"
EXTENSION_STATE = """
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'pgtap'),
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap')
"""
# libpq reads these from the environment: the password never reaches argv or the output.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
}
_FILE = re.compile(r"^(?P<file>\S.*?\.sql) \.\.")
# The summary pg_prove ends with: counts that hold even when the output's head was cut.
_TOTALS = re.compile(r"^Files=(?P<files>\d+), Tests=(?P<tests>\d+),")
_FILE_SUMMARY = re.compile(r"^(?P<file>\S.*?\.sql) \(Wstat: .*Tests: \d+ Failed: (?P<failed>\d+)\)")
_RESULT = re.compile(
    r"^\s*(?P<not>not )?ok (?P<n>\d+)(?: - (?P<what>.*?))?(?P<directive>\s+#\s*(?:TODO|SKIP)\b.*)?$"
)
_CREATES_PGTAP = re.compile(r"create\s+extension\s+(?:if\s+not\s+exists\s+)?\"?pgtap", re.I)
_ERROR = re.compile(r"(?:psql:(?P<where>[^:]+):\d+: )?ERROR:\s+(?P<message>.*)")
_NO_PGTAP = re.compile(r"function (?:plan|no_plan|ok|finish)\(.*\) does not exist")


def suite_files(folder: Path) -> list[Path]:
    """The `*.sql` files under `folder` (sub-folders too), in name order; none if absent."""
    return sorted(folder.rglob("*.sql")) if folder.is_dir() else []


def runner() -> str | None:
    """The path of `pg_prove`, or None when it is not installed."""
    return shutil.which(RUNNER)


def command(files: Sequence[Path], workspace: Path) -> list[str]:
    """`pg_prove --verbose` over the files, named relative to the workspace when inside it."""
    return [RUNNER, "--verbose", "--ext", ".sql", *(_relative(f, workspace) for f in files)]


def libpq_env(url: str) -> dict[str, str]:
    """The connection as PG* variables for psql (so no secret is on a command line)."""
    parts = conninfo_to_dict(url)
    return {_LIBPQ_ENV[k]: str(v) for k, v in parts.items() if k in _LIBPQ_ENV and v is not None}


def extension_problem(installed: str | None, available: bool, files: Sequence[Path]) -> str | None:
    """One line when the tests cannot find pgTAP, else None (files may create it themselves)."""
    if installed:
        return None
    if not available:
        return "pgTAP tests not run: the pgtap extension is not available on the database server"
    if any(_CREATES_PGTAP.search(f.read_text(encoding="utf-8")) for f in files):
        return None
    return (
        "pgTAP tests not run: the pgtap extension is not installed in the database "
        "(CREATE EXTENSION pgtap; on Supabase: Database > Extensions)"
    )


@dataclass
class TapRun:
    """What the TAP output said: counts, the first failure, and the first error per file."""

    files: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    first_failure: str = ""
    errors: list[str] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)
    # From pg_prove's summary (None when it printed none): these win over the line counts.
    total: int | None = None
    total_failed: int = 0

    @property
    def tests(self) -> int:
        return self.total if self.total is not None else self.passed + self.failed + self.skipped

    @property
    def failures(self) -> int:
        return max(self.failed, self.total_failed)


def parse(output: str) -> TapRun:
    """Read `pg_prove --verbose` output (psql's stderr merged in)."""
    run = TapRun()
    current = ""
    for line in output.splitlines():
        header = _FILE.match(line)
        if header:
            current, run.files = header.group("file"), run.files + 1
            continue
        result = _RESULT.match(line)
        if result:
            _count(run, current, result)
            continue
        current = _note_summary(run, current, line)
        _note_problem(run, current, line)
    return run


def _note_summary(run: TapRun, current: str, line: str) -> str:
    """Take pg_prove's totals; a file's summary line makes it the current file again."""
    totals = _TOTALS.match(line)
    if totals:
        run.files, run.total = int(totals.group("files")), int(totals.group("tests"))
    summary = _FILE_SUMMARY.match(line)
    if summary:
        run.total_failed += int(summary.group("failed"))
        return summary.group("file")
    return current


def check_output(output: str, returncode: int, files: Sequence[Path]) -> ProbeResult:
    """Pass when every test passed and pg_prove exited 0; name the first failure if not."""
    run = parse(output)
    summary = (
        f"pgTAP: {run.files or len(files)} files, {run.tests} tests: {run.passed} passed, "
        f"{run.failures} failed, {run.skipped} skipped or todo"
    )
    evidence = [Evidence("note", summary, data=_counts(run))]
    reason = _failure(run, returncode, len(files))
    return ProbeResult.failed(reason, evidence) if reason else ProbeResult.passed(evidence)


def _failure(run: TapRun, returncode: int, files: int) -> str:
    if any(_NO_PGTAP.search(error) for error in run.errors):
        return "pgTAP tests could not run: the pgtap extension is missing (CREATE EXTENSION pgtap)"
    if run.failures:
        first = run.first_failure or "(not in the output's tail)"
        return f"pgTAP: {run.failures} of {run.tests} tests failed, first: {first}"
    if run.errors:
        return f"pgTAP: {run.errors[0]}"
    if not run.tests:
        return f"pgTAP ran no tests in {files} files"
    if returncode != 0:
        problem = run.parse_errors[0] if run.parse_errors else f"pg_prove exited {returncode}"
        return f"pgTAP: {problem}"
    return ""


def _count(run: TapRun, current: str, result: re.Match[str]) -> None:
    if result.group("directive"):
        run.skipped += 1
    elif result.group("not"):
        run.failed += 1
        if not run.first_failure:
            what = result.group("what") or "(no description)"
            run.first_failure = f"{current} #{result.group('n')} {what!r}"
    else:
        run.passed += 1


def _note_problem(run: TapRun, current: str, line: str) -> None:
    error = _ERROR.search(line)
    if error:
        where = error.group("where") or current
        run.errors.append(f"{where}: ERROR: {error.group('message')}" if where else line)
    elif "Parse errors:" in line:
        run.parse_errors.append(f"{current}: {line.split('Parse errors:', 1)[1].strip()}")


def _counts(run: TapRun) -> Mapping[str, int]:
    return {
        "files": run.files,
        "tests": run.tests,
        "passed": run.passed,
        "failed": run.failures,
        "skipped": run.skipped,
    }


def _relative(path: Path, workspace: Path) -> str:
    try:
        return str(path.resolve().relative_to(workspace.resolve()))
    except ValueError:
        return str(path)
