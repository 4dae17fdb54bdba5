"""The shipped gates on a Vite/React-shaped app with real npm, Prettier, ESLint and Vitest:
a missing script or a crashing tool fails with the tool's own words, not a parse error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.check_project import run_gate

NODE_TOOLS = {"prettier": "3.10.1", "eslint": "9.39.5", "vitest": "3.2.7"}
SCRIPTS = {"build": "echo built", "dev": "vite", "lint": "eslint src", "test": "vitest run"}
NO_SCRIPT = 'package.json has no script "{}" (scripts: build, dev, lint, test)'
SET = "; set vars.{} to the command to run"
VITEST_JUNIT = "npx vitest run --reporter=junit --outputFile=reports/junit/unit.xml"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """prettier, eslint and vitest installed once per machine (cached in the temp folder)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    tag = "-".join(f"{name}{version}" for name, version in sorted(NODE_TOOLS.items()))
    root = Path(tempfile.gettempdir()) / f"pytest-readiness-node-tools-{tag}"
    if not (root / "node_modules" / ".bin" / "vitest").exists():
        root.mkdir(exist_ok=True)
        (root / "package.json").write_text('{"name": "tools", "private": true}')
        wanted = [f"{name}@{version}" for name, version in NODE_TOOLS.items()]
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", *wanted],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot install {', '.join(wanted)} from the npm registry")
    return root / "node_modules"


def make_app(pytester: pytest.Pytester, node_modules: Path | None = None) -> Path:
    """The workspace `ws`: a package.json with a Vite app's scripts, a src folder."""
    ws = pytester.path / "ws"
    (ws / "src").mkdir(parents=True)
    package = {"name": "app", "private": True, "type": "module", "scripts": SCRIPTS}
    (ws / "package.json").write_text(json.dumps(package))
    (ws / "src" / "main.ts").write_text("export const answer = 42;\n")
    if node_modules is not None:
        (ws / "node_modules").symlink_to(node_modules)
    return ws


@pytest.mark.parametrize(
    ("check", "script", "setting"),
    [
        ("test_unit_tests", "test:unit", "unit_test_command"),
        ("test_e2e_tests", "test:e2e", "e2e_test_command"),
        ("test_format", "fmt", "format_command"),
        ("test_accessibility", "test:a11y", "a11y_command"),
    ],
)
def test_a_default_command_whose_npm_script_is_missing_says_so_and_what_to_set(
    pytester: pytest.Pytester, check: str, script: str, setting: str
) -> None:
    make_app(pytester)
    item = run_gate(pytester, check)
    expected = NO_SCRIPT.format(script) + SET.format(setting)
    assert (item["outcome"], item["reason"]) == ("failed", expected)


@pytest.mark.parametrize(
    ("check", "settings"),
    [
        ("test_unit_tests", {"unit_test_command": "npm run test:unit"}),
        ("test_accessibility", {"a11y_command": "npm run axe", "a11y_report": "axe.json"}),
        ("test_format", {"format_command": "npm run format:check"}),
    ],
)
def test_a_configured_command_whose_npm_script_is_missing_says_so_listing_the_scripts(
    pytester: pytest.Pytester, check: str, settings: dict[str, str]
) -> None:
    make_app(pytester)
    item = run_gate(pytester, check, **settings)
    script = next(iter(settings.values())).split()[2]
    assert (item["outcome"], item["reason"]) == ("failed", NO_SCRIPT.format(script))


def test_a_missing_script_is_named_even_when_an_old_junit_report_is_left_over(
    pytester: pytest.Pytester,
) -> None:
    ws = make_app(pytester)
    old = ws / "reports" / "junit" / "unit.xml"
    old.parent.mkdir(parents=True)
    old.write_text('<testsuite><testcase classname="a" name="b"/></testsuite>')
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    item = run_gate(pytester, "test_unit_tests", unit_test_command="npm run test:unit")
    assert item["reason"] == NO_SCRIPT.format("test:unit")


def test_a_missing_lint_script_says_so_instead_of_lint_output_is_not_json(
    pytester: pytest.Pytester,
) -> None:
    make_app(pytester)
    item = run_gate(pytester, "test_lint", lint_command="npm run lint:ci -- --format json")
    assert item["reason"] == NO_SCRIPT.format("lint:ci")


def test_prettier_that_cannot_parse_a_file_names_the_file_line_and_error(
    pytester: pytest.Pytester, node_modules: Path
) -> None:
    ws = make_app(pytester, node_modules)
    (ws / "src" / "broken.ts").write_text("const x = {;\n")
    item = run_gate(pytester, "test_format", format_command="npx prettier --check src")
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "`npx prettier --check src` exited 2: "
        "[error] src/broken.ts: SyntaxError: Property assignment expected. (1:12)"
    )


def test_eslint_without_a_config_fails_with_eslints_own_message(
    pytester: pytest.Pytester, node_modules: Path
) -> None:
    make_app(pytester, node_modules)
    item = run_gate(pytester, "test_lint", lint_command="npx eslint src --format json")
    assert item["outcome"] == "failed"
    assert item["reason"].startswith("lint output is not JSON: ")
    assert item["reason"].endswith(
        "`npx eslint src --format json` exited 2: "
        "ESLint couldn't find an eslint.config.(js|mjs|cjs) file."
    )


def test_a_vitest_file_that_fails_to_import_is_named_once_with_vitests_error(
    pytester: pytest.Pytester, node_modules: Path
) -> None:
    ws = make_app(pytester, node_modules)
    (ws / "src" / "App.test.tsx").write_text(
        'import { thing } from "./missing";\n'
        'import { expect, test } from "vitest";\n'
        'test("renders", () => expect(thing).toBe(1));\n'
    )
    item = run_gate(pytester, "test_unit_tests", unit_test_command=VITEST_JUNIT)
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "1 failed of 1 test: src/App.test.tsx (Cannot find module './missing' imported from "
        f"'{ws / 'src' / 'App.test.tsx'}')"
    )
