"""Secrets in code: no `.env`-style file with values is tracked by git in the workspace."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import git as commits
from pytest_readiness.probes._text import counted

TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults")
_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>.*)$"
)


def is_env_file(path: str) -> bool:
    """`.env`, `.env.production`, `config/app.env`; not `.env.example` and friends."""
    name = PurePosixPath(path).name.lower()
    if name.endswith(TEMPLATE_SUFFIXES):
        return False
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def assigned_keys(text: str) -> list[str]:
    """The keys given a non-empty value in `.env` text (comments and `KEY=` skipped)."""
    keys: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match and match.group("value").strip().strip("'\""):
            keys.append(match.group("key"))
    return keys


def tracked_env_files(workspace: Path) -> ProbeResult:
    """Fail naming each tracked `.env`-style file that assigns values (keys shown, not values)."""
    try:
        tracked = commits.tracked_files(workspace)
    except ValueError as exc:
        return ProbeResult.failed(str(exc))
    if not tracked:
        return ProbeResult.failed(f"no files examined: git tracks no file in {workspace}")
    candidates = [path for path in tracked if is_env_file(path)]
    offenders: list[str] = []
    rows: list[Evidence] = []
    for path in candidates:
        keys = _keys_in(workspace / path)
        if keys:
            offenders.append(f"{path} ({len(keys)} value{'s' if len(keys) != 1 else ''})")
            rows.append(
                Evidence(
                    "file",
                    f"{path} is tracked with values",
                    ", ".join(keys),
                    {"path": path, "keys": keys},
                )
            )
    if offenders:
        return ProbeResult.failed(f"tracked .env file with values: {', '.join(offenders)}", rows)
    summary = (
        f"no tracked .env file with values ({counted(len(candidates), '.env-style file')} tracked)"
    )
    return ProbeResult.passed([Evidence("note", summary)])


def _keys_in(path: Path) -> list[str]:
    try:
        return assigned_keys(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
