"""Workspace faults for the infrastructure items, applied to the reference workspace's git copy.

`workspace.build(dest, faults)` calls `WORKSPACE_FAULTS[name](dest)` for each named fault it
does not handle itself, after the first commit.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

# Harmless values on purpose: the file is wrong because it is tracked with values, and
# nothing in it should look like a secret to detect-secrets (that would be another item).
TRACKED_ENV_FILE = ".env.production"
_ENV_TEXT = "APP_ENV=production\nLOG_LEVEL=info\nDEFAULT_LOCALE=en-US\n"


def apply_tracked_env_file(workspace: Path) -> None:
    """Commit a `.env.production` that assigns values: the Secrets item must name it."""
    (workspace / TRACKED_ENV_FILE).write_text(_ENV_TEXT, encoding="utf-8")
    _git(workspace, "add", "--force", TRACKED_ENV_FILE)
    _git(workspace, "commit", "--quiet", "--no-verify", "-m", "Add production env file")


WORKSPACE_FAULTS: Mapping[str, Callable[[Path], None]] = {
    "tracked-env-file": apply_tracked_env_file,
}


def _git(workspace: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Readiness Reference",
            "-c",
            "user.email=reference@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=workspace,
        check=True,
        capture_output=True,
    )
