"""Sign-offs count only for their env and commit, and the file stays well-formed TOML."""

from __future__ import annotations

import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_readiness.model import Outcome
from pytest_readiness.probes import git as commits
from pytest_readiness.runbook import lines as runbook
from pytest_readiness.runbook import signoffs
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.runbook.signoffs import SignOff

SHIPPED = Path(__file__).parent / "data" / "production-deployment-runbook.md"
HEAD = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"
WHEN = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def lines() -> tuple[runbook.RunbookLine, ...]:
    return runbook.load(SHIPPED).checklist()


def ceo(**changes: object) -> SignOff:
    fields: dict[str, object] = {
        "item": "CEO approval required",
        "env": "production",
        "commit": HEAD,
        "by": "Justin",
        "role": "CEO",
        "when": WHEN,
        "note": "",
    }
    fields.update(changes)
    return SignOff(**fields)  # type: ignore[arg-type]


def test_a_sign_off_for_this_env_and_commit_signs_the_line_off(lines):
    review = signoffs.review([ceo()], lines, env="production", commit=HEAD)
    status = review.for_title("ceo approval required")
    assert status.outcome is Outcome.SIGNED_OFF
    assert status.reason == "signed off by Justin (CEO) on 2026-11-25 18:30 UTC"
    assert status.to_dict()["valid"]["when"] == "2026-11-25T18:30:00Z"


def test_a_line_without_sign_off_awaits_one(lines):
    status = signoffs.review([], lines, env="production", commit=HEAD).for_title(
        "CEO approval required"
    )
    assert (status.outcome, status.reason) == (Outcome.MANUAL, "awaiting sign-off")
    assert status.to_dict() is None


def test_a_sign_off_for_another_commit_does_not_count_and_says_so(lines):
    status = signoffs.review([ceo(commit=OTHER)], lines, env="production", commit=HEAD).for_title(
        "CEO approval required"
    )
    assert status.outcome is Outcome.MANUAL
    assert status.reason == (
        "awaiting sign-off (sign-off by Justin is for commit fedcba987654, not 0123456789ab)"
    )


def test_a_sign_off_for_another_env_does_not_count_and_says_so(lines):
    status = signoffs.review([ceo(env="staging")], lines, env="production", commit=HEAD).for_title(
        "CEO approval required"
    )
    assert status.outcome is Outcome.MANUAL
    assert "is for env 'staging', not 'production'" in status.reason
    assert status.to_dict()["rejected"][0]["env"] == "staging"


def test_a_valid_sign_off_wins_over_rejected_ones_and_both_are_reported(lines):
    review = signoffs.review(
        [ceo(commit=OTHER), ceo(by="Ana", when=WHEN.replace(hour=19))],
        lines,
        env="production",
        commit=HEAD,
    )
    status = review.for_title("CEO approval required")
    assert status.valid is not None and status.valid.by == "Ana"
    assert len(status.rejected) == 1


def test_a_sign_off_for_a_title_not_in_the_runbook_is_an_orphan_naming_the_closest(lines):
    review = signoffs.review([ceo(item="CEO approval")], lines, env="production", commit=HEAD)
    assert review.lines == {}
    [orphan] = review.orphans
    assert "'CEO approval' is not a runbook line" in orphan.reason
    assert "closest runbook line: 'CEO approval required'" in orphan.reason


def test_an_abbreviated_commit_counts_but_a_too_short_one_does_not():
    assert commits.same_commit(HEAD[:7], HEAD)
    assert not commits.same_commit(HEAD[:6], HEAD)
    assert not commits.same_commit(OTHER, HEAD)


def test_appended_sign_offs_read_back_exactly_even_with_quotes_and_newlines(tmp_path):
    path = tmp_path / "readiness" / "signoffs.toml"
    tricky = 'Said "ship it"\\ then\nleft\ttab \x7f \u00e9 \x01'
    signoffs.append(path, ceo(note=tricky))
    signoffs.append(path, ceo(by='O"Brien', env="staging"))
    assert path.read_text(encoding="utf-8").startswith("# Sign-offs for manual runbook lines")
    assert signoffs.load(path) == (ceo(note=tricky), ceo(by='O"Brien', env="staging"))
    assert len(tomllib.loads(path.read_text(encoding="utf-8"))["signoff"]) == 2


def test_appending_keeps_existing_comments_and_a_missing_final_newline(tmp_path):
    path = tmp_path / "signoffs.toml"
    path.write_text("# reviewed by the release manager", encoding="utf-8")
    signoffs.append(path, ceo())
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# reviewed by the release manager\n")
    assert signoffs.load(path) == (ceo(),)


def test_a_missing_file_has_no_sign_offs(tmp_path):
    assert signoffs.load(tmp_path / "absent.toml") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[signoff]\n", "malformed TOML"),
        (
            '[[signoff]]\nitem = "CEO approval required"\n',
            "entry 1 ('CEO approval required'): missing env",
        ),
        (
            '[[signoff]]\nitem = "x"\nenv = "p"\ncommit = "c"\nby = "b"\nrole = "r"\n'
            'when = "soon"\n',
            "entry 1 ('x'): when must be a date and time, got 'soon'",
        ),
        ('[[signoff]]\nitem = "x"\nwho = "b"\n', "entry 1 ('x'): unknown key 'who'"),
        ('[[signof]]\nitem = "x"\n', "unknown top-level key 'signof'"),
    ],
)
def test_a_malformed_sign_off_file_names_the_file_and_entry(tmp_path, text, message):
    path = tmp_path / "signoffs.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as raised:
        signoffs.load(path)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "T")
    (tmp_path / "app.py").write_text("print(1)\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "app")
    return tmp_path


def test_committing_only_the_sign_off_file_keeps_the_sign_off_valid(repo):
    signed = commits.head(repo)
    record = repo / "readiness" / "signoffs.toml"
    signoffs.append(record, ceo(commit=signed))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sign-off")
    counts_at = commits.code_unchanged_since(repo, [record])
    assert counts_at(signed, commits.head(repo))


def test_changing_code_after_the_sign_off_invalidates_it(repo):
    signed = commits.head(repo)
    (repo / "app.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "change")
    counts_at = commits.code_unchanged_since(repo, [repo / "readiness" / "signoffs.toml"])
    assert not counts_at(signed, commits.head(repo))
    assert not counts_at("not-a-commit", commits.head(repo))
