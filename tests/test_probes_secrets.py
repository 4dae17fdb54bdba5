"""detect-secrets over git-tracked files: file, line and type named, never the secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.probes import secrets

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
