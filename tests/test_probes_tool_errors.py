"""The tool's own error line: the line a reader needs, not npm's log path or ESLint's URL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.probes import tool_errors
from pytest_readiness.probes.command import CommandResult, run_command

# Captured from real runs (npm 11, pnpm 9.15, yarn 1.22, Prettier 3.10, ESLint 9.39);
# yarn 4's and npm 6's lines are their documented wording.
NPM_MISSING = """npm error Missing script: "test:unit"
npm error
npm error To see a list of scripts, run:
npm error   npm run
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log
"""
PRETTIER_CRASH = """Checking formatting...
[error] src/x.ts: SyntaxError: Property assignment expected. (1:12)
[error] > 1 | const x = {;
[error]     |            ^
[error]   2 |
Error occurred when checking code style in the above file.
"""
ESLINT_NO_CONFIG = """
Oops! Something went wrong! :(

ESLint: 9.39.5

ESLint couldn't find an eslint.config.(js|mjs|cjs) file.

From ESLint v9.0.0, the default configuration file is now eslint.config.js.
https://eslint.org/chat/help to chat with the team.
"""
VITE_IMPORT = """ FAIL  src/App.test.tsx [ src/App.test.tsx ]
Error: Failed to resolve import "./Missing" from "src/App.test.tsx". Does the file exist?
  Plugin: vite:import-analysis
 Test Files  1 failed (1)
"""

# tsc 5.8 (the second error added), and vite 6 build with an import it cannot resolve.
TSC_ERRORS = """src/x.ts(1,12): error TS1136: Property assignment expected.
src/y.ts(2,1): error TS2322: Type 'string' is not assignable to type 'number'.
"""
VITE_BUILD = """vite v6.4.6 building for production...
transforming...
\u2713 3 modules transformed.
\u2717 Build failed in 93ms
error during build:
Could not resolve "./nope" from "src/main.ts"
file: /app/src/main.ts
    at getRollupError (file:///app/node_modules/rollup/dist/es/shared/parseAst.js:355:41)
"""
# Vitest 3 with a vitest.config.ts it cannot parse (captured; stack trimmed).
VITEST_CONFIG = """\u2718 [ERROR] Expected identifier but found ";"

    vitest.config.ts:1:267:

failed to load config from /app/vitest.config.ts

\u23af\u23af Startup Error \u23af\u23af
Error: Build failed with 1 error:
vitest.config.ts:1:267: ERROR: Expected identifier but found ";"
    at failureErrorWithLog (/app/node_modules/esbuild/lib/main.js:1752:15)
"""


@pytest.mark.parametrize(
    ("output", "line"),
    [
        (NPM_MISSING, 'npm error Missing script: "test:unit"'),
        (PRETTIER_CRASH, "[error] src/x.ts: SyntaxError: Property assignment expected. (1:12)"),
        (ESLINT_NO_CONFIG, "ESLint couldn't find an eslint.config.(js|mjs|cjs) file."),
        (
            VITE_IMPORT,
            'Error: Failed to resolve import "./Missing" from "src/App.test.tsx". '
            "Does the file exist?",
        ),
        ("compiling\nsh: 1: vitest: not found\n", "sh: 1: vitest: not found"),
        (TSC_ERRORS, "src/x.ts(1,12): error TS1136: Property assignment expected."),
        (VITE_BUILD, 'error during build: Could not resolve "./nope" from "src/main.ts"'),
        (
            VITEST_CONFIG,
            "Error: Build failed with 1 error: "
            'vitest.config.ts:1:267: ERROR: Expected identifier but found ";"',
        ),
        ("step one\nstep two\n", "step two"),
        ("", ""),
    ],
)
def test_the_line_that_says_why_is_found_by_the_tools_shape(output: str, line: str) -> None:
    assert tool_errors.why_failed(output) == line


def test_a_python_traceback_gives_its_exception_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import no_such_module_here"], capture_output=True, text=True
    )
    assert tool_errors.why_failed(done.stderr) == (
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    )


@pytest.mark.parametrize(
    "output",
    [
        NPM_MISSING,
        "npm ERR! missing script: test:unit\n\nnpm ERR! A complete log of this run is in:\n",
        "\u2009ERR_PNPM_NO_SCRIPT\u2009 Missing script: test:unit\n\n"
        'Command "test:unit" not found.\n',
        'yarn run v1.22.22\nerror Command "test:unit" not found.\ninfo Visit https://yarnpkg.com\n',
        'Usage Error: Couldn\'t find a script named "test:unit".\n',
    ],
)
def test_every_package_managers_missing_script_lists_the_scripts_there_are(
    tmp_path: Path, output: str
) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": "x", "build": "y"}}))
    assert tool_errors.missing_script(output, tmp_path) == (
        'package.json has no script "test:unit" (scripts: build, test)'
    )


def test_a_real_npm_run_of_a_missing_script_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"dev": "vite"}}))
    result = run_command("npm run test:unit", cwd=tmp_path, timeout=60)
    assert result.failure() == 'package.json has no script "test:unit" (scripts: dev)'


def test_a_timeout_names_the_command_and_what_it_said_last() -> None:
    ran = CommandResult("npm run e2e", -9, "Error: browser not ready\n", 5.0, True, 5.0)
    assert ran.failure() == "`npm run e2e` timed out after 5 s: Error: browser not ready"
    assert ran.explain("no JUnit report at e2e.xml") == (
        "no JUnit report at e2e.xml: `npm run e2e` timed out after 5 s: Error: browser not ready"
    )


def test_the_shells_notice_of_our_kill_is_not_what_a_timed_out_command_said() -> None:
    output = "compiling 120 modules\nsh: line 1: 4242 Killed                  sleep 300\n"
    assert tool_errors.why_failed(output, killed=True) == "compiling 120 modules"
    assert tool_errors.why_failed("Killed\n", killed=True) == ""
    assert tool_errors.why_failed("Killed\n") == "Killed"  # the kernel's OOM kill is news
