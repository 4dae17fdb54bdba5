"""`readiness sign-off`, run as a real subprocess in a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.runbook import signoffs

WORKTREE = Path(__file__).resolve().parents[1]
RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
PYPROJECT = """
[tool.readiness]
runbook = "docs/runbook.md"

[tool.readiness.envs.staging]
base_url = "https://staging.example.com"

[tool.readiness.envs.production]
extends = "staging"
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def readiness(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}
    return subprocess.run(
        [sys.executable, "-m", "pytest_readiness.cli", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    shutil.copy(RUNBOOK, tmp_path / "docs" / "runbook.md")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "T")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    return tmp_path


SIGN = ("sign-off", "CEO approval required", "--env", "production", "--by", "Justin")


def test_sign_off_appends_one_entry_for_head(repo):
    done = readiness(repo, *SIGN, "--role", "CEO", "--note", 'checked the "GO" report')
    assert done.returncode == 0, done.stderr
    head = git(repo, "rev-parse", "HEAD")
    assert f"at commit {head[:12]}" in done.stdout
    assert "readiness/signoffs.toml" in done.stdout
    [entry] = signoffs.load(repo / "readiness" / "signoffs.toml")
    assert (entry.item, entry.env, entry.commit) == ("CEO approval required", "production", head)
    assert (entry.by, entry.role, entry.note) == ("Justin", "CEO", 'checked the "GO" report')


def test_a_second_sign_off_is_appended_after_the_first(repo):
    assert readiness(repo, *SIGN, "--role", "CEO").returncode == 0
    again = readiness(
        repo,
        "sign-off",
        "All specs: Complete",
        "--env",
        "staging",
        "--by",
        "Ana",
        "--role",
        "PM",
        "--commit",
        git(repo, "rev-parse", "--short=8", "HEAD"),
    )
    assert again.returncode == 0, again.stderr
    entries = signoffs.load(repo / "readiness" / "signoffs.toml")
    assert [e.item for e in entries] == ["CEO approval required", "All specs: Complete"]


def test_the_runbook_line_is_recorded_as_its_plain_text(repo):
    done = readiness(
        repo, "sign-off", "build: passing", "--env", "staging", "--by", "A", "--role", "QA"
    )
    assert done.returncode == 0, done.stderr
    [entry] = signoffs.load(repo / "readiness" / "signoffs.toml")
    assert entry.item == "Build: PASSING (npm run build exit code 0)"


def test_a_title_not_in_the_runbook_is_refused_naming_the_closest_line(repo):
    done = readiness(
        repo, "sign-off", "CEO approval", "--env", "production", "--by", "J", "--role", "CEO"
    )
    assert done.returncode == 2
    assert "'CEO approval' is not a checklist line" in done.stderr
    assert "closest runbook line: 'CEO approval required' (line 64)" in done.stderr
    assert not (repo / "readiness" / "signoffs.toml").exists()


def test_a_runbook_that_is_not_utf8_is_refused_naming_the_file(repo):
    (repo / "docs" / "runbook.md").write_bytes(
        "- [ ] CEO approval required caf\u00e9\n".encode("latin-1")
    )
    done = readiness(repo, *SIGN, "--role", "CEO")
    assert done.returncode == 2
    assert f"{repo / 'docs' / 'runbook.md'}: not UTF-8 text" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_commit_that_is_not_head_is_refused(repo):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "more")
    done = readiness(repo, *SIGN, "--role", "CEO", "--commit", first)
    assert done.returncode == 2
    assert f"commit {first} is not HEAD" in done.stderr
    assert not (repo / "readiness" / "signoffs.toml").exists()


def test_an_unknown_environment_is_refused_listing_the_known_ones(repo):
    done = readiness(
        repo, "sign-off", "CEO approval required", "--env", "prod", "--by", "J", "--role", "CEO"
    )
    assert done.returncode == 2
    assert "unknown environment 'prod'; known environments: local, production, staging" in (
        done.stderr
    )


def test_without_a_runbook_a_title_that_is_no_checks_is_refused(repo):
    (repo / "pyproject.toml").write_text("[tool.readiness]\n", encoding="utf-8")
    done = readiness(repo, *SIGN, "--role", "CEO")
    assert done.returncode == 2
    assert "is not the title of a check in" in done.stderr
    assert "(no runbook is configured, so a sign-off names a check)" in done.stderr


def test_without_a_runbook_a_check_title_is_signed_off_as_the_check_writes_it(repo):
    (repo / "pyproject.toml").write_text("[tool.readiness.envs.production]\n", encoding="utf-8")
    (repo / "checks").mkdir()
    (repo / "checks" / "test_approvals.py").write_text(
        "import pytest\n\n"
        '@pytest.mark.docs("CEO approval required")\n'
        'def test_ceo(): pytest.skip("a person approves")\n'
    )
    done = readiness(repo, "sign-off", "ceo approval required", *SIGN[2:], "--role", "CEO")
    assert done.returncode == 0, done.stderr
    [entry] = signoffs.load(repo / "readiness" / "signoffs.toml")
    assert entry.item == "CEO approval required"


def test_outside_a_git_repository_the_sign_off_is_refused(tmp_path):
    (tmp_path / "docs").mkdir()
    shutil.copy(RUNBOOK, tmp_path / "docs" / "runbook.md")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    done = readiness(tmp_path, *SIGN, "--role", "CEO")
    assert done.returncode == 2
    assert "cannot tell which commit is checked out" in done.stderr


def test_a_broken_sign_off_file_is_not_appended_to(repo):
    record = repo / "readiness" / "signoffs.toml"
    record.parent.mkdir()
    record.write_text("[[signoff]\n", encoding="utf-8")
    done = readiness(repo, *SIGN, "--role", "CEO")
    assert done.returncode == 2
    assert "not appending to a broken sign-off file" in done.stderr
    assert record.read_text(encoding="utf-8") == "[[signoff]\n"


def test_missing_options_are_a_usage_error(repo):
    done = readiness(repo, "sign-off", "CEO approval required")
    assert done.returncode == 2
    assert "--env" in done.stderr
