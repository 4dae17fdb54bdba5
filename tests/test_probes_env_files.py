"""Tracked `.env`-style files with values are named; templates and untracked files are not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_readiness.probes.env_files import assigned_keys, is_env_file, tracked_env_files


def repo_with(tmp_path: Path, files: dict[str, str], track: bool = True) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        if track:
            subprocess.run(["git", "add", "-f", name], cwd=tmp_path, check=True)
    return tmp_path


def test_a_tracked_env_file_with_values_is_named_with_keys_not_values(tmp_path: Path):
    repo = repo_with(tmp_path, {"config/.env.production": "API_URL=https://x\nSECRET=s3cr3t\n"})
    result = tracked_env_files(repo)
    assert result.reason == "tracked .env file with values: config/.env.production (2 values)"
    assert result.evidence[0].data["keys"] == ["API_URL", "SECRET"]
    assert "s3cr3t" not in repr(result)


def test_templates_and_empty_assignments_pass(tmp_path: Path):
    repo = repo_with(tmp_path, {".env.example": "TOKEN=changeme\n", ".env": "# comment\nTOKEN=\n"})
    assert tracked_env_files(repo).ok


def test_untracked_env_files_are_not_the_repository_s_problem(tmp_path: Path):
    repo = repo_with(tmp_path, {"README.md": "app\n"})
    (repo / ".env").write_text("TOKEN=abc\n")
    assert tracked_env_files(repo).ok


def test_a_repository_that_tracks_no_file_fails_saying_nothing_was_examined(tmp_path: Path):
    repo = repo_with(tmp_path, {".env": "TOKEN=abc\n"}, track=False)
    result = tracked_env_files(repo)
    assert not result.ok
    assert result.reason == f"no files examined: git tracks no file in {repo}"


def test_a_workspace_that_is_not_a_repository_fails_in_one_line(tmp_path: Path):
    assert tracked_env_files(tmp_path).reason.startswith(f"git ls-files -z failed in {tmp_path}")


@pytest.mark.parametrize(
    ("path", "env"),
    [
        (".env", True),
        ("a/.env.local", True),
        ("prod.env", True),
        (".env.sample", False),
        ("environment.py", False),
        (".envrc", False),
    ],
)
def test_which_names_count_as_env_files(path: str, env: bool):
    assert is_env_file(path) is env


def test_keys_with_values_ignore_comments_exports_and_quotes():
    text = "# X=1\nexport A=1\nB=''\nC = \"v\"\nnot a line\n"
    assert assigned_keys(text) == ["A", "C"]
