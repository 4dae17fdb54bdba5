"""axe-core results: serious and critical violations counted per node, once per rule."""

from __future__ import annotations

import json
from typing import Any

from pytest_readiness.probes import a11y


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
