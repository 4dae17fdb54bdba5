"""STAND-IN (branch issue-5 only): the gate's detect-secrets scan of the workspace's tracked files.

The real module is written on another branch for the gate item "Security: 0 secrets
detected"; at merge time keep THAT file and drop this one. Only `scan_tracked_files`
(memoised, so the scan runs once per session) is relied on by the infra Secrets check.
"""

from __future__ import annotations

import functools
from pathlib import Path

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes.env_files import tracked_files


def scan_tracked_files(workspace: Path) -> ProbeResult:
    """detect-secrets over `git ls-files`: file, line and type of each finding, never the value."""
    return _scan(workspace.resolve())


@functools.lru_cache(maxsize=8)
def _scan(workspace: Path) -> ProbeResult:
    try:
        files = [str(workspace / name) for name in tracked_files(workspace)]
    except ValueError as exc:
        return ProbeResult.failed(str(exc))
    found = SecretsCollection(root=str(workspace))
    with default_settings():
        found.scan_files(*[f for f in files if Path(f).is_file()])
    rows = [
        Evidence(
            "file",
            f"{name}:{secret.line_number}: {secret.type}",
            data={"path": name, "line": secret.line_number, "type": secret.type},
        )
        for name, secret in found
    ]
    if rows:
        first = rows[0].summary
        reason = f"detect-secrets found {len(rows)} secret(s), first {first}"
        return ProbeResult.failed(reason, rows)
    return ProbeResult.passed(
        [Evidence("note", f"detect-secrets: 0 secrets in {len(files)} files")]
    )
