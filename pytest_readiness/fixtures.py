"""The public fixtures checks use: readiness_env, evidence, run, http, http_client, db,
readiness_history."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_readiness.config import Environment
from pytest_readiness.evidence import EvidenceLog
from pytest_readiness.model import CheckFailed
from pytest_readiness.probes.command import CommandResult, ProcessGroups, run_command
from pytest_readiness.session import ReadinessSession

if TYPE_CHECKING:
    # httpx and psycopg load only when a check asks for `http` or `db`: start-up stays quick.
    import httpx
    import psycopg

READINESS_SESSION = pytest.StashKey[ReadinessSession]()
EVIDENCE = pytest.StashKey[EvidenceLog]()
PROCESS_GROUPS = pytest.StashKey[ProcessGroups]()

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
    from pytest_readiness.report import files, history

    session = readiness_session(request.config)
    name = files.report_name(session.env_name, session.stage)
    return history.load_runs(history.history_dir(session.report_dir, name))


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
    the check still waits on a command) is killed at teardown at the latest.
    """
    groups = process_groups(request.node)

    def run_in_workspace(
        command: str | Sequence[str],
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> CommandResult:
        limit = readiness_env.timeout if timeout is None else timeout
        try:
            result = run_command(
                command, cwd=cwd or readiness_env.workspace, timeout=limit, env=env, groups=groups
            )
        except BaseException:
            text = command if isinstance(command, str) else " ".join(command)
            evidence.add("command", f"`{text}` was still running when the item was stopped")
            raise
        evidence.append(result.to_evidence())
        if result.timed_out:
            raise CheckFailed(result.describe())
        return result

    yield run_in_workspace
    groups.kill_all()


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
def db(request: pytest.FixtureRequest) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """The environment's database in a read-only transaction, rolled back after the item."""
    from pytest_readiness.probes.database import DatabaseUnavailable

    database = readiness_session(request.config).database
    try:
        connection = database.connection()
    except DatabaseUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield connection
    finally:
        database.release()
