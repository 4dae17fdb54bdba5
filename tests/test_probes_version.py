"""The deployed version matches the workspace commit (full or abbreviated)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.version import head_commit, reports_version, same_version

COMMIT_EMPTY = ["commit", "-q", "--allow-empty", "-m", "x"]
SHA = "3daebb8c1f0e4c2a9b7d6e5f4a3b2c1d0e9f8a7b"


def test_a_full_commit_matches(httpserver: HTTPServer):
    httpserver.expect_request("/api/version").respond_with_json({"version": "1.0", "commit": SHA})
    client = httpx.Client(base_url=httpserver.url_for("/"))
    assert reports_version(client, "/api/version", SHA).ok


def test_a_short_commit_in_plain_text_matches(httpserver: HTTPServer):
    httpserver.expect_request("/version").respond_with_data(SHA[:7] + "\n")
    client = httpx.Client(base_url=httpserver.url_for("/"))
    assert reports_version(client, "/version", SHA).ok


def test_another_commit_fails_naming_both(httpserver: HTTPServer):
    httpserver.expect_request("/api/version").respond_with_json({"commit": "1" * 40})
    client = httpx.Client(base_url=httpserver.url_for("/"))
    result = reports_version(client, "/api/version", SHA)
    assert result.reason == f"/api/version reports version {'1' * 40}, expected {SHA}"


def test_an_answer_without_a_version_field_is_named(httpserver: HTTPServer):
    httpserver.expect_request("/api/version").respond_with_json({"name": "app"})
    client = httpx.Client(base_url=httpserver.url_for("/"))
    assert "has no commit / sha" in reports_version(client, "/api/version", SHA).reason


@pytest.mark.parametrize(
    ("reported", "expected", "same"),
    [
        (SHA, SHA.upper(), True),
        (SHA[:7], SHA, True),
        (SHA[:6], SHA, False),
        ("v1.2", "v1.3", False),
    ],
)
def test_versions_compare_by_abbreviation_of_at_least_seven(reported, expected, same):
    assert same_version(reported, expected) is same


def test_head_commit_reads_git(tmp_path: Path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@e", *COMMIT_EMPTY],
        cwd=tmp_path,
        check=True,
    )
    assert len(head_commit(tmp_path)) == 40


def test_head_commit_outside_git_is_one_line(tmp_path: Path):
    with pytest.raises(ValueError, match="git rev-parse HEAD failed in"):
        head_commit(tmp_path)


def test_an_empty_version_never_matches_even_an_empty_expectation(httpserver: HTTPServer):
    httpserver.expect_request("/version").respond_with_data("\n")
    client = httpx.Client(base_url=httpserver.url_for("/"))
    result = reports_version(client, "/version", "")
    assert not result.ok
    assert result.reason == "/version reports an empty version"
    assert not same_version("", "")
