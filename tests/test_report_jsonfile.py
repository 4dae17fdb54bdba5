"""The JSON report is strict JSON, whatever a check put into its evidence."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from typing import Any

import pytest

from pytest_readiness.model import Evidence, Item, Outcome, Report
from pytest_readiness.redact import Redactor
from pytest_readiness.report.jsonfile import render_json
from tests.conftest import ReadinessProject

NODE = shutil.which("node")


def strict_loads(text: str) -> Any:
    """`json.loads` that rejects NaN and Infinity, as `JSON.parse` and every other parser do."""

    def reject(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=reject)


def test_nan_and_infinity_in_evidence_are_null_in_a_report_node_can_parse(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    project.checks(
        """
        @pytest.mark.infra("Check performance metrics")
        def test_latency(evidence):
            evidence.add("note", "p95", p95=float("nan"), worst=[float("inf"), 1.5],
                         nested={"floor": float("-inf")})
        """
    )
    assert project.run().ret == 0
    text = (pytester.path / "reports" / "readiness-local.json").read_text()
    [item] = strict_loads(text)["items"]
    [entry] = item["evidence"]
    assert entry["data"] == {"p95": None, "worst": [None, 1.5], "nested": {"floor": None}}
    if NODE:
        parsed = subprocess.run(
            [
                NODE,
                "-e",
                "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))",
                str(pytester.path / "reports" / "readiness-local.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert parsed.returncode == 0, parsed.stderr


def test_a_value_json_does_not_know_becomes_its_text_instead_of_breaking_the_report() -> None:
    evidence = Evidence("note", "dates", data={"when": date(2026, 12, 1), (1, 2): "pair"})
    item = Item(
        id="a", title="A", category="gate", phase=1, outcome=Outcome.PASSED, evidence=(evidence,)
    )
    report = Report(
        env="local",
        items=(item,),
        phases=("gate",),
        started_at="2026-12-01T00:00:00Z",
        finished_at="2026-12-01T00:00:01Z",
    )
    [entry] = strict_loads(render_json(report, Redactor()))["items"][0]["evidence"]
    assert entry["data"] == {"when": "2026-12-01", "(1, 2)": "pair"}
