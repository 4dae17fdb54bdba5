"""Supabase backups through a loopback server answering the Management API's documented shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes import backups

NOW = datetime(2025, 10, 19, 12, 0, tzinfo=UTC)
PATH = "/v1/projects/abcd1234/database/backups"


def answer(*entries: tuple[str, timedelta], pitr: bool = False) -> dict[str, object]:
    return {
        "region": "us-east-1",
        "walg_enabled": True,
        "pitr_enabled": pitr,
        "backups": [
            {
                "is_physical_backup": True,
                "status": status,
                "inserted_at": (NOW - age).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
            for status, age in entries
        ],
        "physical_backup_data": {},
    }


@pytest.fixture
def client(httpserver: HTTPServer) -> httpx.Client:
    return httpx.Client(base_url=httpserver.url_for("/"), timeout=5)


def test_a_completed_backup_from_three_hours_ago_passes(httpserver: HTTPServer, client) -> None:
    httpserver.expect_request(PATH, headers={"Authorization": "Bearer tok"}).respond_with_json(
        answer(("COMPLETED", timedelta(hours=3)), ("COMPLETED", timedelta(days=1, hours=3)))
    )
    client.headers["Authorization"] = "Bearer tok"
    result = backups.check_backups(client, "abcd1234", 24, now=NOW)
    assert result.ok, result.reason
    assert result.evidence[0].data["completed"] == 2


def test_only_an_old_completed_backup_fails_with_its_age(httpserver: HTTPServer, client) -> None:
    httpserver.expect_request(PATH).respond_with_json(
        answer(("PENDING", timedelta(hours=1)), ("COMPLETED", timedelta(hours=30)))
    )
    result = backups.check_backups(client, "abcd1234", 24, now=NOW)
    assert not result.ok
    assert result.reason == (
        "newest completed backup is 30.0 h old (2025-10-18 06:00 UTC), max 24 h"
    )


def test_no_completed_backup_fails(httpserver: HTTPServer, client) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer(("FAILED", timedelta(hours=1))))
    result = backups.check_backups(client, "abcd1234", 24, now=NOW)
    assert result.reason == "no completed backup among 1 listed"


def test_pitr_latest_recovery_point_counts(httpserver: HTTPServer, client) -> None:
    payload = answer(pitr=True)
    latest = int((NOW - timedelta(minutes=5)).timestamp())
    payload["physical_backup_data"] = {
        "earliest_physical_backup_date_unix": latest - 86400 * 7,
        "latest_physical_backup_date_unix": latest,
    }
    httpserver.expect_request(PATH).respond_with_json(payload)
    assert backups.check_backups(client, "abcd1234", 24, now=NOW).ok


def test_an_unauthorised_answer_fails_with_the_status(httpserver: HTTPServer, client) -> None:
    httpserver.expect_request(PATH).respond_with_json({"message": "Unauthorized"}, status=401)
    result = backups.check_backups(client, "abcd1234", 24, now=NOW)
    assert result.reason == f"GET {httpserver.url_for(PATH)} answered 401"


def test_a_refused_connection_is_a_one_line_failure() -> None:
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=2) as client:
        result = backups.check_backups(client, "abcd1234", 24, now=NOW)
    assert result.reason == f"GET http://127.0.0.1:9{PATH} failed: connection refused"
    assert "\n" not in result.reason
