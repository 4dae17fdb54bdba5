"""axe-core results: serious and critical violations counted per node, once per rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.probes import a11y
from pytest_readiness.probes.command import run_command
from tests.check_project import run_gate

STAND_IN = Path(__file__).resolve().parents[1] / "reference" / "app" / "tools" / "a11y_scan.py"


def violation(rule: str, impact: str, nodes: int) -> dict[str, Any]:
    """One entry of axe-core's `violations` array, as documented for axe.run results."""
    return {
        "id": rule,
        "impact": impact,
        "tags": ["wcag2a"],
        "description": f"{rule} description",
        "help": f"{rule} help",
        "helpUrl": f"https://dequeuniversity.com/rules/axe/4.8/{rule}",
        "nodes": [
            {
                "any": [],
                "all": [],
                "none": [],
                "impact": impact,
                "html": f"<img class='n{n}'>",
                "target": [f".n{n}"],
                "failureSummary": "Fix any of the following",
            }
            for n in range(nodes)
        ],
    }


def axe_result(*violations: dict[str, Any]) -> dict[str, Any]:
    return {
        "testEngine": {"name": "axe-core", "version": "4.8.2"},
        "url": "http://localhost:3000/",
        "timestamp": "2025-10-19T10:00:00.000Z",
        "passes": [],
        "incomplete": [],
        "inapplicable": [],
        "violations": list(violations),
    }


def test_each_node_counts_once_per_rule_and_minor_impacts_are_ignored() -> None:
    result = axe_result(
        violation("image-alt", "critical", 2),
        violation("color-contrast", "serious", 2),
        violation("region", "moderate", 7),
    )
    assert a11y.count_serious(result) == {"image-alt": 2, "color-contrast": 2}


def test_four_serious_violations_pass_with_a_warning() -> None:
    text = json.dumps(axe_result(violation("color-contrast", "serious", 4)))
    result = a11y.from_axe_json(text, max_serious=4)
    assert result.ok
    assert "color-contrast x4" in result.warnings[0]


def test_five_serious_violations_fail_listing_rules_and_counts() -> None:
    text = json.dumps(
        axe_result(violation("image-alt", "critical", 3), violation("label", "serious", 2))
    )
    result = a11y.from_axe_json(text, max_serious=4)
    assert not result.ok
    assert result.reason == (
        "5 serious/critical accessibility violations (max 4): image-alt x3, label x2"
    )


def test_the_cli_list_of_page_results_after_npm_banner_lines_is_read() -> None:
    pages = [axe_result(violation("link-name", "serious", 3)) for _ in range(2)]
    output = "\n> app@1.0.0 test:a11y\n> axe http://localhost:3000\n\n" + json.dumps(pages)
    result = a11y.from_axe_json(output, max_serious=4)
    assert not result.ok
    assert "6 serious/critical" in result.reason


def test_output_without_json_fails_clearly() -> None:
    result = a11y.from_axe_json("Error: Chrome not found")
    assert not result.ok
    assert result.reason.startswith("accessibility output is not axe-core JSON")


def incomplete(rule: str, nodes: int) -> dict[str, Any]:
    """An entry of axe-core's `incomplete` array: axe could not decide, a person must look."""
    return {**violation(rule, "serious", nodes), "impact": "serious"}


def test_an_error_object_instead_of_axe_results_fails() -> None:
    result = a11y.from_axe_json('{"error": "page did not load"}')
    assert not result.ok
    assert result.reason == (
        'accessibility report is not axe-core results: {"error": "page did not load"}'
    )


def test_an_empty_list_fails_saying_no_page_was_scanned() -> None:
    result = a11y.from_axe_json("[]")
    assert not result.ok
    assert result.reason == "no page scanned: the accessibility report is an empty list"


def test_an_empty_list_passes_with_a_warning_where_empty_is_expected() -> None:
    result = a11y.from_axe_json("[]", allow_empty=True)
    assert result.ok
    assert result.warnings == ("no page scanned: the accessibility report is an empty list",)


def test_one_page_that_did_not_load_among_scanned_ones_fails_naming_it() -> None:
    pages = [axe_result(), {"url": "http://localhost:3000/cart", "error": "timeout"}]
    result = a11y.from_axe_json(json.dumps(pages))
    assert not result.ok
    assert result.reason.startswith("accessibility report entry 2 of 2 is not axe-core results")


def test_a_page_where_axe_checked_nothing_fails_naming_its_url() -> None:
    blank = axe_result()
    result = a11y.from_axe_json(json.dumps([blank]))
    assert not result.ok
    assert result.reason == (
        "axe checked nothing on http://localhost:3000/ (no passes, violations or incomplete)"
    )


def test_the_number_of_pages_scanned_is_in_the_evidence() -> None:
    pages = [dict(axe_result(), passes=[violation("region", "moderate", 1)]) for _ in range(3)]
    result = a11y.from_axe_json(json.dumps(pages))
    assert result.ok, result.reason
    assert result.evidence[0].summary.startswith("3 pages scanned: 0 serious/critical")
    assert result.evidence[0].data["pages"] == 3


def test_incomplete_results_are_a_warning_with_their_count() -> None:
    page = dict(axe_result(), incomplete=[incomplete("color-contrast", 4)])
    result = a11y.from_axe_json(json.dumps(page))
    assert result.ok, result.reason
    assert result.warnings == (
        "4 nodes axe could not decide (incomplete, check by hand): color-contrast x4",
    )


def test_the_reference_stand_in_passes_on_its_site_and_fails_on_an_empty_one(
    tmp_path: Path,
) -> None:
    def scan(site: Path) -> str:
        command = [sys.executable, str(STAND_IN), str(site)]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    assert a11y.from_axe_json(scan(STAND_IN.parents[1] / "site")).ok
    result = a11y.from_axe_json(scan(tmp_path))
    assert result.reason == "no page scanned: the accessibility report is an empty list"


def test_the_accessibility_item_fails_when_the_scan_found_no_page(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "ws" / "site").mkdir(parents=True)
    command = f"{sys.executable} {STAND_IN} site"
    item = run_gate(pytester, "test_accessibility", a11y_command=command)
    assert item["outcome"] == "failed"
    assert item["reason"] == "no page scanned: the accessibility report is an empty list"


def test_output_without_json_from_a_failed_command_carries_its_error_line(tmp_path: Path) -> None:
    script = "echo 'Launching Chromium'; echo 'Error: Chrome not found at /usr/bin/chrome'; exit 1"
    ran = run_command(script, cwd=tmp_path, timeout=30)
    result = a11y.from_axe_json(ran.output, run=ran)
    assert result.reason == (
        "accessibility output is not axe-core JSON: no JSON document found in the output: "
        f"`{script}` exited 1: Error: Chrome not found at /usr/bin/chrome"
    )


def test_results_longer_than_the_kept_output_fail_saying_they_were_cut(tmp_path: Path) -> None:
    # axe-core's results for a few pages run to tens of kB: printed, their start is not kept.
    pages = [
        dict(axe_result(), passes=[violation("region", "moderate", 40)], url=f"http://x/{i}")
        for i in range(8)
    ]
    (tmp_path / "axe.json").write_text(json.dumps(pages))
    ran = run_command("cat axe.json", cwd=tmp_path, timeout=30)
    assert ran.cut and ran.ok
    result = a11y.from_axe_json(ran.output, run=ran)
    assert not result.ok
    assert "printed more than the" in result.reason
    assert "write the report to a file" in result.reason
    # The same results read whole are clean.
    assert a11y.from_axe_json((tmp_path / "axe.json").read_text()).ok
