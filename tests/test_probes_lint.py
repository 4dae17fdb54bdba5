"""Lint JSON: ESLint's formatter output and ruff's, zero errors and zero warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.probes import lint
from pytest_readiness.probes.command import run_command
from tests.check_project import run_gate

RUFF_CHECK = (sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated")
RUFF_CHECK += ("--output-format", "json")

# ESLint's documented `--format json` shape: one object per linted file.
ESLINT_OUTPUT = [
    {
        "filePath": "/app/src/Dashboard.tsx",
        "messages": [
            {
                "ruleId": "no-unused-vars",
                "severity": 2,
                "message": "'tile' is defined but never used.",
                "line": 12,
                "column": 7,
                "nodeType": "Identifier",
            },
            {
                "ruleId": "eqeqeq",
                "severity": 1,
                "message": "Expected '===' and instead saw '=='.",
                "line": 30,
                "column": 12,
            },
        ],
        "suppressedMessages": [],
        "errorCount": 1,
        "fatalErrorCount": 0,
        "warningCount": 1,
        "fixableErrorCount": 0,
        "fixableWarningCount": 0,
        "usedDeprecatedRules": [],
    },
    {
        "filePath": "/app/src/clean.ts",
        "messages": [],
        "errorCount": 0,
        "warningCount": 0,
    },
]


def test_eslint_errors_and_warnings_fail_naming_files_and_rules() -> None:
    result = lint.from_lint_json(json.dumps(ESLINT_OUTPUT))
    assert not result.ok
    assert result.reason == (
        "1 error, 1 warning: /app/src/Dashboard.tsx:12 no-unused-vars, "
        "/app/src/Dashboard.tsx:30 eqeqeq"
    )


def test_a_warning_alone_fails() -> None:
    only_warning = [dict(ESLINT_OUTPUT[0], messages=ESLINT_OUTPUT[0]["messages"][1:])]
    result = lint.from_eslint_json(json.dumps(only_warning))
    assert not result.ok
    assert result.reason.startswith("0 errors, 1 warning:")


def test_clean_eslint_output_after_npm_banner_passes() -> None:
    output = "\n> app@1.0.0 lint\n> eslint . --format json\n\n" + json.dumps(ESLINT_OUTPUT[1:])
    assert lint.from_lint_json(output).ok


def test_real_ruff_json_output_fails_naming_the_file_and_code(tmp_path: Path) -> None:
    (tmp_path / "leftover.py").write_text("import os\n")
    output = subprocess.run(
        [*RUFF_CHECK, "leftover.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    result = lint.from_ruff_json(output)
    assert not result.ok
    assert "leftover.py:1 F401" in result.reason
    assert lint.from_lint_json(output).reason == result.reason


def test_an_empty_list_from_a_declared_ruff_passes_as_clean() -> None:
    result = lint.from_lint_json("[]", tool="ruff")
    assert result.ok, result.reason
    assert result.evidence[0].summary == "ruff: 0 errors, 0 warnings"


def test_an_empty_eslint_report_fails_saying_no_files_were_linted() -> None:
    # `eslint nomatch --no-error-on-unmatched-pattern --format json` writes exactly this.
    result = lint.from_lint_json("[]\n")
    assert not result.ok
    assert result.reason == "no files linted: the lint report is an empty list"
    assert "ruff" not in result.reason + "".join(e.summary for e in result.evidence)
    assert "declare the tool as ruff" in result.evidence[0].detail


def test_an_empty_report_passes_with_a_warning_where_empty_is_expected() -> None:
    result = lint.from_lint_json("[]", allow_empty=True)
    assert result.ok
    assert result.warnings == ("no files linted: the lint report is an empty list",)


def test_real_ruff_on_a_folder_without_python_files_fails_saying_no_files_were_linted(
    tmp_path: Path,
) -> None:
    (tmp_path / "src").mkdir()
    done = subprocess.run(
        [*RUFF_CHECK, "--output-file", "lint.json", "src"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    report = (tmp_path / "lint.json").read_text()
    result = lint.from_lint_json(report, tool="ruff", log=done.stdout + done.stderr)
    assert not result.ok
    assert result.reason == (
        "no files linted: ruff: warning: No Python files found under the given path(s)"
    )


def test_real_clean_ruff_output_passes_when_ruff_is_declared(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    done = subprocess.run([*RUFF_CHECK, "clean.py"], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
    assert lint.from_lint_json(done.stdout, tool="ruff", log=done.stderr).ok


def test_an_eslint_report_counts_the_files_it_linted() -> None:
    result = lint.from_lint_json(json.dumps(ESLINT_OUTPUT[1:] * 2))
    assert result.ok, result.reason
    assert result.evidence[0].summary == "eslint: 2 files, 0 errors, 0 warnings"


def test_a_list_that_is_neither_eslint_nor_ruff_fails_naming_no_tool() -> None:
    result = lint.from_lint_json('[{"error": "config not found"}]')
    assert not result.ok
    assert result.reason == (
        'lint report is neither ESLint nor ruff JSON: {"error": "config not found"}'
    )


def test_output_that_is_not_json_fails_clearly() -> None:
    result = lint.from_lint_json("sh: eslint: command not found")
    assert not result.ok
    assert result.reason.startswith("lint output is not JSON")


def test_paths_are_named_relative_to_the_workspace(tmp_path: Path) -> None:
    output = json.dumps(
        [
            {
                "filename": str(tmp_path / "src" / "app.py"),
                "code": "F401",
                "location": {"row": 3, "column": 1},
                "message": "`os` imported but unused",
            }
        ]
    )
    result = lint.from_lint_json(output, root=tmp_path)
    assert result.reason == "1 error, 0 warnings: src/app.py:3 F401"


def test_the_lint_item_fails_when_ruff_found_no_python_files(pytester: pytest.Pytester) -> None:
    (pytester.path / "ws" / "src").mkdir(parents=True)
    command = " ".join([*RUFF_CHECK, "--output-file", "lint.json", "src"])
    item = run_gate(
        pytester, "test_lint", lint_command=command, lint_report="lint.json", lint_tool="ruff"
    )
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "no files linted: ruff: warning: No Python files found under the given path(s)"
    )


def test_a_lint_command_that_crashed_fails_with_its_error_not_just_not_json(
    tmp_path: Path,
) -> None:
    ran = run_command("echo 'sh: 1: eslint: not found' >&2; exit 127", cwd=tmp_path, timeout=30)
    result = lint.from_lint_json(ran.output, run=ran)
    assert result.reason.startswith("lint output is not JSON: no JSON document found")
    assert result.reason.endswith("exited 127: sh: 1: eslint: not found")


def test_a_report_longer_than_the_kept_output_fails_saying_it_was_cut(tmp_path: Path) -> None:
    # ESLint's JSON for a real app's 128 files is 35 kB: on stdout its start is not kept.
    results = [
        {"filePath": f"/app/src/module_{i:03d}.tsx", "messages": [], "errorCount": 0}
        for i in range(600)
    ]
    (tmp_path / "report.json").write_text(json.dumps(results))
    ran = run_command("cat report.json", cwd=tmp_path, timeout=30)
    assert ran.cut and ran.ok
    result = lint.from_lint_json(ran.output, run=ran)
    assert not result.ok
    assert "printed more than the" in result.reason
    assert "write the report to a file" in result.reason
    # The same report read whole (from the file) is clean.
    assert lint.from_lint_json((tmp_path / "report.json").read_text()).ok


def test_a_short_unreadable_output_is_not_said_to_be_cut(tmp_path: Path) -> None:
    ran = run_command("echo '[{\"filePath\": '", cwd=tmp_path, timeout=30)
    assert not ran.cut
    result = lint.from_lint_json(ran.output, run=ran)
    assert "lint output is not JSON" in result.reason and "printed more" not in result.reason
