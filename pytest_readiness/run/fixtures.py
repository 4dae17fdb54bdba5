"""The public fixtures checks use: readiness_env, evidence, run, http, http_client, db,
readiness_history."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_readiness.config import Environment
from pytest_readiness.model import CheckFailed, Evidence, ItemTimedOut
from pytest_readiness.probes.command import (
    OUTPUT_TAIL_CHARS,
    CommandResult,
    ProcessGroups,
    run_command,
)
from pytest_readiness.run.command_log import CommandLog, log_path
from pytest_readiness.run.evidence import EvidenceLog
from pytest_readiness.run.session import ReadinessSession

if TYPE_CHECKING:
    # httpx and psycopg load only when a check asks for `http` or `db`: start-up stays quick.
    import httpx

    from pytest_readiness.probes.database import ReadOnlyConnection

READINESS_SESSION = pytest.StashKey[ReadinessSession]()
EVIDENCE = pytest.StashKey[EvidenceLog]()
PROCESS_GROUPS = pytest.StashKey[ProcessGroups]()
CALL_PASSED = pytest.StashKey[bool]()  # set by the plugin when the item's call phase passed

T = TypeVar("T")
RunCommand = Callable[..., CommandResult]
ClientFactory = Callable[..., "httpx.Client"]


def readiness_session(config: pytest.Config) -> ReadinessSession:
    """The run's state; a usage error outside `--readiness` mode."""
    try:
        return config.stash[READINESS_SESSION]
    except KeyError:
        raise pytest.UsageError(
            "readiness fixtures are only available with `pytest --readiness`"
        ) from None


def stashed(stash: pytest.Stash, key: pytest.StashKey[T]) -> T | None:
    """`stash.get(key, None)`, which raises and catches a KeyError for a missing key: hooks
    that run for every report ask this way instead."""
    return stash[key] if key in stash else None  # noqa: SIM401 (the point is not to)


def evidence_log(item: pytest.Item) -> EvidenceLog:
    """The evidence log of `item`, created on first use."""
    log = stashed(item.stash, EVIDENCE)
    if log is None:
        log = item.stash[EVIDENCE] = EvidenceLog()
    return log


def process_groups(item: pytest.Item) -> ProcessGroups:
    """The still-running command process groups of `item`, created on first use."""
    groups = stashed(item.stash, PROCESS_GROUPS)
    if groups is None:
        groups = item.stash[PROCESS_GROUPS] = ProcessGroups()
    return groups


@pytest.fixture
def readiness_env(request: pytest.FixtureRequest) -> Environment:
    """The resolved target environment (name, base_url, database_url, workspace, vars...)."""
    return readiness_session(request.config).environment


@pytest.fixture
def readiness_history(request: pytest.FixtureRequest) -> list[Mapping[str, Any]]:
    """Earlier runs of this environment and stage, oldest first (this run is not among them)."""
    return readiness_session(request.config).past_runs()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> EvidenceLog:
    """Attach what the check saw to the running item."""
    return evidence_log(request.node)


@pytest.fixture
def run(
    request: pytest.FixtureRequest, readiness_env: Environment, evidence: EvidenceLog
) -> Iterator[RunCommand]:
    """Run a command in the workspace; kill its whole process group on timeout.

    Every group still running when the item stops (its time budget ran out, or a thread of
    the check still waits on a command) is killed at teardown at the latest. Output longer
    than the evidence shows is kept, redacted, in the reports folder's `commands/`.
    """
    groups = process_groups(request.node)
    session = readiness_session(request.config)
    started = itertools.count(1)

    def run_in_workspace(
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> CommandResult:
        limit = readiness_env.timeout if timeout is None else timeout
        path = log_path(session.report_dir, request.node.nodeid, next(started))
        log = CommandLog(path, session.redact, shown_bytes=OUTPUT_TAIL_CHARS)
        try:
            result = run_command(
                command,
                cwd=cwd or readiness_env.workspace,
                timeout=limit,
                env=env,
                groups=groups,
                sink=log.write,
            )
        except BaseException as exc:
            log.close()
            text = command if isinstance(command, str) else " ".join(command)
            evidence.add("command", f"`{text}` was still running when the item was stopped")
            if isinstance(exc, ItemTimedOut):  # the reason names what was still running
                raise ItemTimedOut(f"{exc} while `{text}` ran") from None
            raise
        evidence.append(_with_log(result.to_evidence(), log, session.report_dir))
        if result.timed_out:  # the command, its limit and the last thing it said
            raise CheckFailed(result.failure())
        return result

    yield run_in_workspace
    groups.kill_all()


def _with_log(entry: Evidence, log: CommandLog, report_dir: Path) -> Evidence:
    """`entry` naming the file with the full output, if the evidence shows only its tail."""
    path = log.close()
    if path is None:
        return entry
    output_file = str(path.relative_to(report_dir))
    return dataclasses.replace(entry, data={**entry.data, "output_file": output_file})


@pytest.fixture
def http_client(readiness_env: Environment, evidence: EvidenceLog) -> Iterator[ClientFactory]:
    """Make recording httpx clients for other services (GitHub, Prometheus, ...)."""
    from pytest_readiness.probes.http import recording_client

    clients: list[httpx.Client] = []

    def make(
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
        verify: bool = True,
    ) -> httpx.Client:
        client = recording_client(
            evidence.append,
            base_url,
            timeout=readiness_env.timeout if timeout is None else timeout,
            headers=headers,
            verify=verify,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def http(readiness_env: Environment, http_client: ClientFactory) -> httpx.Client:
    """An httpx client on the environment's base_url; every request becomes evidence."""
    return http_client(readiness_env.base_url)


@pytest.fixture
def db(request: pytest.FixtureRequest, evidence: EvidenceLog) -> Iterator[ReadOnlyConnection]:
    """The environment's database in a read-only transaction, rolled back after the item.

    Evidence names the role it connected as, with a warning when that role could write. A
    refused statement fails the item, also when the check caught the exception.
    """
    from pytest_readiness.probes.database import DatabaseUnavailable

    refusals: list[str] = []

    def refused(reason: str, statement: str) -> None:
        refusals.append(reason)
        evidence.add("sql", reason, detail=statement, refused=True)

    database = readiness_session(request.config).database
    try:
        connection = database.connection(refused)
    except DatabaseUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    if database.role is not None:
        evidence.append(database.role.to_evidence())
        warning = database.role.warning()
        if warning and not database.role_warned:  # one connection, one warning per process
            database.role_warned = True
            evidence.warn(warning)
    try:
        yield connection
    finally:
        database.release()
    passed = stashed(request.node.stash, CALL_PASSED)
    if refusals and passed:
        # A check that caught the refusal has not earned its pass.
        pytest.fail(f"{refusals[0]} (the check caught it)", pytrace=False)


def warm_up(items: Iterable[pytest.Item]) -> None:
    """Import what the items' fixtures need (httpx's transport and TLS, psycopg) at collection.

    Otherwise the first item that uses them pays: its duration is not its own, and under
    `-n` the first phase runs while every worker is still importing on the same cores.
    """
    needed = {name for item in items for name in getattr(item, "fixturenames", ())}
    for prepare in dict.fromkeys(_WARM_UP[name] for name in needed & _WARM_UP.keys()):
        prepare()


def _warm_http() -> None:
    """httpx imports its transport (httpcore, h11, anyio: 50 ms of CPU) with the first client."""
    from pytest_readiness.probes.http import recording_client

    recording_client(lambda exchange: None, timeout=1.0).close()


def _warm_db() -> None:
    import pytest_readiness.probes.database  # noqa: F401 (imported for psycopg's import time)


_WARM_UP: dict[str, Callable[[], None]] = {
    "http": _warm_http,
    "http_client": _warm_http,
    "db": _warm_db,
}
