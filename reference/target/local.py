"""The whole `local` target: a git workspace, a database and the API stand-ins, with faults.

`start()` builds everything in a temporary folder and returns the variables the `local`
environment in pyproject.toml reads (`READINESS_LOCAL_*`); `LocalTarget.stop()` removes it.
Faults are named in `READINESS_LOCAL_FAULTS` (comma-separated); see `reference/README.md`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reference.target import database, infra_faults, server, supabase_api, workspace

FAULTS_VARIABLE = "READINESS_LOCAL_FAULTS"
FAULTS: frozenset[str] = (
    workspace.FAULTS
    | database.FAULTS
    | supabase_api.FAULTS
    | server.FAULTS
    | server.POST_FAULTS
    | frozenset(infra_faults.WORKSPACE_FAULTS)
)


class UnknownFault(ValueError):
    """A fault name the local target cannot inject."""


def faults_from(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named in `READINESS_LOCAL_FAULTS`; unknown names are an error listing all."""
    names = frozenset(n.strip() for n in environ.get(FAULTS_VARIABLE, "").split(",") if n.strip())
    unknown = sorted(names - FAULTS)
    if unknown:
        raise UnknownFault(
            f"{FAULTS_VARIABLE} names unknown fault(s) {', '.join(unknown)}; "
            f"known faults: {', '.join(sorted(FAULTS))}"
        )
    return names


@dataclass
class LocalTarget:
    """A running local target: the variables to export, and how to take it down."""

    variables: dict[str, str]
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()


def start(admin_dsn: str, faults: frozenset[str] = frozenset()) -> LocalTarget:
    """Build the workspace, the database and the stand-ins; on any failure undo what was made."""
    target = LocalTarget(variables={})
    try:
        _build(target, admin_dsn, faults)
    except BaseException:
        target.stop()
        raise
    return target


def _build(target: LocalTarget, admin_dsn: str, faults: frozenset[str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="readiness-local-"))
    target._cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    ws = workspace.build(folder / "workspace", faults & workspace.FAULTS)
    for name in sorted(faults & frozenset(infra_faults.WORKSPACE_FAULTS)):
        infra_faults.WORKSPACE_FAULTS[name](ws)
    dsn = database.create(admin_dsn, ws, faults & database.FAULTS)
    target._cleanups.append(lambda: database.drop(admin_dsn, dsn))
    backups = supabase_api.BackupsServer(faults & supabase_api.FAULTS).start()
    target._cleanups.append(backups.stop)
    services = server.start(ws, faults & (server.FAULTS | server.POST_FAULTS))
    target._cleanups.append(services.stop)
    target.variables.update(
        {
            "READINESS_LOCAL_WORKSPACE": str(ws),
            "READINESS_LOCAL_DB": dsn,
            "READINESS_LOCAL_SUPABASE_API": backups.url,
            **services.urls,
            # The workspace's commands say `python`: make it this interpreter, venv or not.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        }
    )
