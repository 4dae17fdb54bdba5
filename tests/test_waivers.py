"""Waivers turn a failing line into `waived` until they expire, and bad ones are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pytest_readiness.model import Outcome
from pytest_readiness.runbook import lines as runbook
from pytest_readiness.runbook import waivers
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.runbook.waivers import Waiver

SHIPPED = Path(__file__).parent / "data" / "production-deployment-runbook.md"
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def lines() -> tuple[runbook.RunbookLine, ...]:
    return runbook.load(SHIPPED).checklist()


def a11y(**changes: object) -> Waiver:
    fields: dict[str, object] = {
        "item": "Accessibility: <5 serious violations",
        "env": "production",
        "justification": "two known modal issues, fix in 1.1",
        "accepted_by": "Justin (CEO)",
        "expires": date(2026, 12, 1),
    }
    fields.update(changes)
    return Waiver(**fields)  # type: ignore[arg-type]


def decide(outcome: Outcome, *ws: Waiver, today: date = TODAY, env: str = "production"):
    return waivers.decide(
        outcome, ws, title="Accessibility: <5 serious violations", env=env, today=today
    )


def test_a_failing_line_under_a_valid_waiver_is_waived():
    decision = decide(Outcome.FAILED, a11y())
    assert decision.outcome is Outcome.WAIVED
    assert decision.status == "applied"
    assert decision.note == (
        "waived until 2026-12-01 by Justin (CEO): two known modal issues, fix in 1.1"
    )
    assert decision.to_dict()["expires"] == "2026-12-01"


def test_a_waiver_holds_through_its_expiry_day_and_not_a_day_longer():
    assert decide(Outcome.FAILED, a11y(), today=date(2026, 12, 1)).outcome is Outcome.WAIVED
    expired = decide(Outcome.FAILED, a11y(), today=date(2026, 12, 2))
    assert expired.outcome is Outcome.FAILED
    assert (expired.status, expired.note) == ("expired", "waiver expired on 2026-12-01")


def test_a_waiver_for_a_passing_line_is_reported_as_unnecessary():
    decision = decide(Outcome.PASSED, a11y())
    assert decision.outcome is Outcome.PASSED
    assert (decision.status, decision.note) == ("unnecessary", "waiver unnecessary: item passed")


def test_a_waiver_for_another_env_does_nothing():
    decision = decide(Outcome.FAILED, a11y(env="staging"))
    assert decision.outcome is Outcome.FAILED
    assert decision.to_dict() is None


def test_a_current_waiver_wins_over_an_expired_one():
    decision = decide(Outcome.ERROR, a11y(expires=date(2026, 1, 1)), a11y())
    assert decision.outcome is Outcome.WAIVED
    assert decision.waiver is not None and decision.waiver.expires == date(2026, 12, 1)


def test_an_unsigned_manual_line_can_be_waived():
    decision = waivers.decide(
        Outcome.MANUAL,
        [a11y(item="CEO approval required")],
        title="CEO approval required",
        env="production",
        today=TODAY,
    )
    assert decision.outcome is Outcome.WAIVED
    assert decision.note.startswith("sign-off waived until 2026-12-01")


def test_waivers_are_matched_by_normalised_title():
    decisions = waivers.decide_all(
        {"Accessibility: <5 serious violations (`npm run test:a11y`)": Outcome.FAILED},
        [a11y(item="accessibility: <5 serious violations.")],
        env="production",
        today=TODAY,
    )
    assert [d.outcome for d in decisions.values()] == [Outcome.WAIVED]


GOOD = """
[[waiver]]
item = "Accessibility: <5 serious violations"
env = "production"
justification = "two known modal issues, fix in 1.1"
accepted_by = "Justin (CEO)"
expires = 2026-12-01
"""


def test_a_waiver_file_is_read_with_toml_dates_or_date_strings(tmp_path, lines):
    path = tmp_path / "waivers.toml"
    path.write_text(GOOD + GOOD.replace("2026-12-01", '"2026-12-01"'), encoding="utf-8")
    loaded = waivers.load(path, lines, envs={"production", "staging"})
    assert [w.expires for w in loaded] == [date(2026, 12, 1), date(2026, 12, 1)]
    assert [w.entry for w in loaded] == [1, 2]
    assert waivers.load(tmp_path / "absent.toml", lines) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("Accessibility: <5 serious violations", "Acessibility: <5 violations"),
            "entry 2 ('Acessibility: <5 violations'): unknown runbook line; closest runbook line: "
            "'Accessibility: <5 serious violations (npm run test:a11y)' (line 15)",
        ),
        (
            ("expires = 2026-12-01", 'expires = "next week"'),
            "entry 2 ('Accessibility: <5 serious violations'): expires must be a date such as "
            "2026-12-31, got 'next week'",
        ),
        (("expires = 2026-12-01", 'expires = "2026-13-01"'), "got '2026-13-01'"),
        (
            ('justification = "two known modal issues, fix in 1.1"\n', ""),
            "entry 2 ('Accessibility: <5 serious violations'): missing justification",
        ),
        (
            ('justification = "two known modal issues, fix in 1.1"', 'justification = "  "'),
            "justification must be a non-empty string",
        ),
        (('env = "production"', 'env = "prod"'), "unknown env 'prod' (known: production, staging)"),
        (("expires = 2026-12-01", ""), "missing expires"),
        (("expires = 2026-12-01", "expires = 2026-12-01\nreason = 'x'"), "unknown key 'reason'"),
    ],
)
def test_a_bad_waiver_names_the_file_and_the_entry(tmp_path, lines, change, message):
    path = tmp_path / "waivers.toml"
    path.write_text(GOOD + GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(RecordError) as raised:
        waivers.load(path, lines, envs={"production", "staging"})
    assert str(raised.value).startswith(f"{path}: entry 2")
    assert message in str(raised.value)
    assert raised.value.path == path and raised.value.entry == 2
