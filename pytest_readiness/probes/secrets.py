"""Scan a workspace's git-tracked files with detect-secrets, honouring `.secrets.baseline`.

The scan is memoised per (workspace, HEAD commit, tracked-file fingerprint) so the gate
"Security: 0 secrets detected" and the infrastructure item about secrets in code share it.
Evidence names file, line and secret type, never the secret itself.

Lockfiles (`LOCKFILES`) are full of integrity hashes that look like secrets (a pnpm app's
lockfile gives hundreds): a finding in one is dropped when its value is such a hash, and
whatever else a lockfile holds (a token in a registry URL) is still found. detect-secrets
itself skips some lockfiles whole; `include_lockfiles` scans all of them, hashes included.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import git as commits
from pytest_readiness.probes._text import counted, first

if TYPE_CHECKING:  # detect-secrets costs ~70 ms to import: only a run that scans pays it
    from detect_secrets.core.secrets_collection import SecretsCollection

BASELINE = ".secrets.baseline"
LOCKFILES = frozenset(
    {"package-lock.json", "pnpm-lock.yaml", "yarn.lock", "poetry.lock", "uv.lock"}
)
_WHOLE_LOCKFILE_FILTER = "detect_secrets.filters.heuristic.is_lock_file"
# What precedes a hash in a lockfile: `sha512-`, `sha256:`, `integrity `, `checksum: `, `hash = "`.
_BEFORE_HASH = re.compile(
    r"(?:\bsha(?:1|256|384|512)[-:]|\b(?:integrity|checksum|content-hash|hash)[\"']?\s*[:=]?\s*[\"']?)$"
)
_HASH_VALUE = re.compile(r"(?:sha(?:1|256|384|512)[-:])?[A-Za-z0-9+/=_-]+")


@dataclass(frozen=True)
class Finding:
    """One potential secret: where it is and what kind, without its value."""

    path: str
    line: int
    type: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.type})"


def tracked_files(workspace: Path) -> list[str]:
    """Paths git tracks in `workspace`, relative to it (raises if it is not a git work tree)."""
    return [name for name in commits.tracked_files(workspace) if name != BASELINE]


def scan_tracked_files(workspace: Path, *, include_lockfiles: bool = False) -> ProbeResult:
    """Pass when no tracked file holds a secret that the baseline does not already list.

    Lockfile integrity hashes are not secrets unless `include_lockfiles`.
    """
    try:
        key = _scan_key(workspace.resolve())
    except (OSError, commits.GitError) as exc:
        return ProbeResult.failed(f"cannot list git-tracked files in {workspace}: {exc}")
    return _scan(*key, include_lockfiles)


def clear_cache() -> None:
    """Forget memoised scans (tests that rewrite a workspace in place call this)."""
    _scan.cache_clear()


def _scan_key(workspace: Path) -> tuple[Path, str, str]:
    try:
        head = commits.head(workspace)
    except commits.GitError:
        head = ""  # a repository with no commit yet
    status = commits.git(workspace, "status", "--porcelain")
    return workspace, head, hashlib.sha256(status.encode()).hexdigest()


@lru_cache(maxsize=16)
def _scan(workspace: Path, head: str, status_digest: str, include_lockfiles: bool) -> ProbeResult:
    files = [name for name in tracked_files(workspace) if (workspace / name).is_file()]
    if not files:
        return ProbeResult.failed(f"no files scanned: git tracks no file in {workspace}")
    findings = _findings(workspace, files, include_lockfiles)
    scanned = counted(len(files), "tracked file")
    summary = f"detect-secrets scanned {scanned} at {head[:12] or 'no commit'}"
    evidence = [
        Evidence(
            "note",
            summary,
            detail="\n".join(str(f) for f in findings[:50]),
            data={
                "files_scanned": len(files),
                "baseline": (workspace / BASELINE).is_file(),
                "lockfile_hashes": "included" if include_lockfiles else "excluded",
                "findings": [{"file": f.path, "line": f.line, "type": f.type} for f in findings],
            },
        )
    ]
    if findings:
        return ProbeResult.failed(
            f"{counted(len(findings), 'secret')} detected: {first([str(f) for f in findings], 3)}",
            evidence,
        )
    return ProbeResult.passed(evidence)


def _findings(workspace: Path, files: list[str], include_lockfiles: bool) -> list[Finding]:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings, transient_settings

    baseline = _load_baseline(workspace / BASELINE)
    if baseline is None:
        with default_settings():
            found = _collect(workspace, files, include_lockfiles)
        return _as_findings(found)
    with transient_settings(baseline):
        found = _collect(workspace, files, include_lockfiles)
    known = {
        (filename, secret.secret_hash, secret.type)
        for filename, secret in SecretsCollection.load_from_baseline(baseline)
    }
    return [finding for finding, key in _as_findings_with_keys(found) if key not in known]


def _collect(workspace: Path, files: list[str], include_lockfiles: bool) -> SecretsCollection:
    """Scan `files` under the active settings; lockfile hashes dropped unless included."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import get_settings

    if include_lockfiles:
        get_settings().disable_filters(_WHOLE_LOCKFILE_FILTER)
    collection = SecretsCollection(root=str(workspace))
    for name in files:
        collection.scan_file(name)
    if not include_lockfiles:
        _drop_lockfile_hashes(collection, workspace)
    return collection


def _drop_lockfile_hashes(collection: SecretsCollection, workspace: Path) -> None:
    """Remove findings whose value is a lockfile's integrity hash (all else in it stays)."""
    for filename in [name for name in collection.files if Path(name).name in LOCKFILES]:
        lines = (workspace / filename).read_text(encoding="utf-8", errors="replace").splitlines()
        found = collection.data[filename]
        kept = {
            secret
            for secret in found
            if not _is_hash(secret.secret_value, secret.line_number, lines)
        }
        collection.data[filename] = kept


def _is_hash(value: str | None, line_number: int, lines: list[str]) -> bool:
    """True when `value` sits on its line where a lockfile puts a hash (after `integrity:` ...)."""
    if not value or not _HASH_VALUE.fullmatch(value) or not 0 < line_number <= len(lines):
        return False
    line = lines[line_number - 1]
    at = line.find(value)
    return at >= 0 and _BEFORE_HASH.search(line[:at]) is not None


def _load_baseline(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) and "results" in loaded else None


def _as_findings(collection: SecretsCollection) -> list[Finding]:
    return [finding for finding, _ in _as_findings_with_keys(collection)]


def _as_findings_with_keys(
    collection: SecretsCollection,
) -> list[tuple[Finding, tuple[str, str, str]]]:
    """Findings sorted by place, each with the (file, hash, type) key baselines compare on."""
    found = [
        (
            Finding(str(filename), int(secret.line_number or 0), str(secret.type)),
            (str(filename), str(secret.secret_hash), str(secret.type)),
        )
        for filename, secret in collection
    ]
    return sorted(found, key=lambda pair: (pair[0].path, pair[0].line, pair[0].type))
