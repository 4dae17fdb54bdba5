"""detect-secrets over git-tracked files: file, line and type named, never the secret."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.probes import secrets
from tests.check_project import run_gate

# Split so that this repository itself carries no detectable key.
KIND = "RSA " + "PRIVATE KEY"
PRIVATE_KEY = f"-----BEGIN {KIND}-----\nkey-body-that-must-never-be-shown\n-----END {KIND}-----\n"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    secrets.clear_cache()
    git(tmp_path, "init", "-q")
    (tmp_path / "app.py").write_text("print('hello')\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "notes.md").write_text("Deploy notes\n\n" + PRIVATE_KEY)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "init")
    return tmp_path


def test_a_committed_private_key_fails_naming_file_line_and_type(repo: Path) -> None:
    result = secrets.scan_tracked_files(repo)
    assert not result.ok
    assert result.reason == "1 secret detected: deploy/notes.md:3 (Private Key)"
    assert result.evidence[0].data["findings"] == [
        {"file": "deploy/notes.md", "line": 3, "type": "Private Key"}
    ]


def test_the_secret_value_appears_nowhere_in_the_result(repo: Path) -> None:
    result = secrets.scan_tracked_files(repo)
    shown = json.dumps([e.to_dict() for e in result.evidence]) + result.reason
    assert "key-body-that-must-never-be-shown" not in shown


def test_untracked_files_are_not_scanned(repo: Path) -> None:
    git(repo, "rm", "-q", "--cached", "deploy/notes.md")
    git(repo, "commit", "-q", "-m", "untrack")
    result = secrets.scan_tracked_files(repo)
    assert result.ok
    assert result.evidence[0].data["files_scanned"] == 1


def test_a_secret_listed_in_the_baseline_is_accepted(repo: Path) -> None:
    baseline = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (repo / ".secrets.baseline").write_text(baseline)
    git(repo, "add", ".secrets.baseline")
    git(repo, "commit", "-q", "-m", "baseline")
    assert secrets.scan_tracked_files(repo).ok
    (repo / "second.pem").write_text(PRIVATE_KEY)
    git(repo, "add", "second.pem")
    git(repo, "commit", "-q", "-m", "another key")
    result = secrets.scan_tracked_files(repo)
    assert not result.ok
    assert "second.pem:1 (Private Key)" in result.reason
    assert "notes.md" not in result.reason


def test_the_scan_is_reused_for_the_same_commit(repo: Path) -> None:
    first = secrets.scan_tracked_files(repo)
    assert secrets.scan_tracked_files(repo) is first


def test_a_folder_outside_git_fails_clearly(tmp_path: Path) -> None:
    result = secrets.scan_tracked_files(tmp_path / "nowhere")
    assert not result.ok
    assert result.reason.startswith("cannot list git-tracked files in")


def test_a_repository_that_tracks_no_file_fails_saying_nothing_was_scanned(
    tmp_path: Path,
) -> None:
    secrets.clear_cache()
    git(tmp_path, "init", "-q")
    (tmp_path / "app.py").write_text("print('never added')\n")
    result = secrets.scan_tracked_files(tmp_path)
    assert not result.ok
    assert result.reason == f"no files scanned: git tracks no file in {tmp_path.resolve()}"


def integrity(package: str) -> str:
    """An npm integrity value (`sha512-` and base64), made here so this file holds none."""
    return "sha512-" + base64.b64encode(hashlib.sha512(package.encode()).digest()).decode()


# What pnpm 9 writes (`pnpm install --lockfile-only` for left-pad and is-number), its two
# integrity hashes made by `integrity`.
PNPM_LOCK = f"""lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      left-pad:
        specifier: 1.3.0
        version: 1.3.0

packages:

  is-number@7.0.0:
    resolution: {{integrity: {integrity("is-number@7.0.0")}}}
    engines: {{node: '>=0.12.0'}}

  left-pad@1.3.0:
    resolution: {{integrity: {integrity("left-pad@1.3.0")}}}
"""
# A GitHub token as detect-secrets recognises one, made so that this file carries none.
TOKEN = "ghp" + "_" + "".join("aB3dE5gH7jK9mN1pQ2"[i * 5 % 18] for i in range(36))


def lockfile_repo(root: Path, lock: str, name: str = "pnpm-lock.yaml") -> Path:
    secrets.clear_cache()
    git(root, "init", "-q")
    (root / "package.json").write_text('{"name": "app"}\n')
    (root / name).write_text(lock)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_lockfile_integrity_hashes_are_not_reported_as_secrets(tmp_path: Path) -> None:
    result = secrets.scan_tracked_files(lockfile_repo(tmp_path, PNPM_LOCK))
    assert result.ok, result.reason


def test_a_token_in_a_lockfile_is_still_found_next_to_the_hashes(tmp_path: Path) -> None:
    leaked = PNPM_LOCK + f"    tarball: https://npm.pkg.github.com/x.tgz?token={TOKEN}\n"
    result = secrets.scan_tracked_files(lockfile_repo(tmp_path, leaked))
    assert result.reason == "1 secret detected: pnpm-lock.yaml:19 (GitHub Token)"


def test_including_lockfiles_reports_their_hashes_too(tmp_path: Path) -> None:
    result = secrets.scan_tracked_files(lockfile_repo(tmp_path, PNPM_LOCK), include_lockfiles=True)
    assert result.reason == (
        "2 secrets detected: pnpm-lock.yaml:14 (Base64 High Entropy String), "
        "pnpm-lock.yaml:18 (Base64 High Entropy String)"
    )


def test_including_lockfiles_scans_the_ones_detect_secrets_skips_whole(tmp_path: Path) -> None:
    package_lock = json.dumps(
        {"packages": {"node_modules/x": {"resolved": f"https://r.example/x.tgz?t={TOKEN}"}}},
        indent=2,
    )
    repo = lockfile_repo(tmp_path, package_lock, "package-lock.json")
    assert secrets.scan_tracked_files(repo).ok
    secrets.clear_cache()
    result = secrets.scan_tracked_files(repo, include_lockfiles=True)
    assert result.reason == "1 secret detected: package-lock.json:4 (GitHub Token)"


@pytest.mark.parametrize(("include", "outcome"), [(False, "passed"), (True, "failed")])
def test_the_secrets_gate_includes_lockfiles_only_where_vars_say_so(
    pytester: pytest.Pytester, include: bool, outcome: str
) -> None:
    lockfile_repo(pytester.mkdir("ws"), PNPM_LOCK)
    item = run_gate(pytester, "test_secrets", secrets_include_lockfiles=include)
    assert item["outcome"] == outcome, item["reason"]
