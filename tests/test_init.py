"""`readiness init` on real runbooks, then `pytest --readiness` on what it wrote.

Each runbook shape is initialised in a throwaway repository by the real console script, and
the checklist it wrote is run by a real `pytest --readiness` subprocess: the report must list
every checklist line, be NO-GO while manual lines are unsigned, and never be a usage error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.runbook import lines as runbook
from pytest_readiness.scaffold import plan as scaffold_plan
from pytest_readiness.scaffold.recognise import recognise
from pytest_readiness.scaffold.repository import Repository, inspect
from tests.test_cli import readiness

WORKTREE = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

TEAM_RUNBOOK = """\
# Storefront release checklist

Read the LATO guide<!-- unless not doing a LATO -->.

## Before the release

### Quality

- [ ] **Build**: passes (`npm run build`)
- [ ] [Unit tests](https://wiki.example.com/tests) pass
- [ ] Lint: *no* errors <!-- eslint -->
- [ ] Format: all files formatted
- [ ] Secrets: none detected by the scan
- [ ] Sign the <em>release notes</em>

### Service

- [ ] Health: `/healthz` and `/api/status` answer 200
- [ ] Dependencies
  - [ ] Database migrations applied on staging
  - [ ] Other (treat as last resort)

## Release steps

1. Tag the release: `git tag v1`
2. Product owner approval required
3. Announce in #releases

## After the release

- [ ] Other (treat as last resort)
- [ ] Watch the error rate for an hour
"""

VITE_PACKAGE = {
    "name": "storefront",
    "scripts": {"build": "vite build", "dev": "vite", "lint": "eslint .", "test": "vitest"},
    "devDependencies": {"vite": "^5", "vitest": "^1", "eslint": "^9", "prettier": "^3"},
}


def run_readiness(repo: Path) -> tuple[int, dict[str, Any], str]:
    """`pytest --readiness` in `repo`: exit status, the JSON report and the output."""
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}
    env.pop("READINESS_LOCAL_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness", "-p", "no:randomly", "-q"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = repo / "reports" / "readiness-local.json"
    assert report.is_file(), done.stdout + done.stderr
    return done.returncode, json.loads(report.read_text(encoding="utf-8")), done.stdout


def a_repository(tmp_path: Path, runbook_file: Path | None = None, text: str = "") -> Path:
    repo = tmp_path / "team-repo"
    repo.mkdir()
    target = repo / "docs" / "runbook.md"
    target.parent.mkdir()
    if runbook_file is not None:
        shutil.copyfile(runbook_file, target)
    else:
        target.write_text(text, encoding="utf-8")
    return repo


def checklist_texts(path: Path) -> list[str]:
    """The lines every run lists: task lines and required steps, before the deploy."""
    book = runbook.load(path)
    return [
        line.text
        for line in scaffold_plan.checklist_lines(book)
        if line.section != runbook.POST and not _post_heading(line)
    ]


def _post_heading(line: runbook.RunbookLine) -> bool:
    return any("after" in h.casefold() or "post" in h.casefold() for h in line.heading_path)


def bound_count(output: str) -> tuple[int, int]:
    """(bound, manual) from init's summary line."""
    found = re.search(r"^bound: (\d+) lines? to checks; manual: (\d+) line", output, re.M)
    assert found is not None, output
    return int(found.group(1)), int(found.group(2))


def test_init_on_the_shipped_runbook_binds_all_30_task_lines(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")

    done = readiness(repo, "init", "docs/runbook.md")

    assert done.returncode == 0, done.stderr
    assert bound_count(done.stdout) == (30, 1)
    assert "CEO approval required" in done.stdout
    status, report, output = run_readiness(repo)
    assert status == 1, output
    assert report["complete"] is True and report["verdict"] == "NO-GO"
    titles = [item["title"] for item in report["items"]]
    assert sorted(titles) == sorted(checklist_texts(repo / "docs" / "runbook.md"))
    manual = [item["title"] for item in report["items"] if item["outcome"] == "manual"]
    assert manual == ["CEO approval required"]


@pytest.mark.parametrize(
    "name",
    ["microservice-production-readiness-checklist.md", "prc-release-foundations.md"],
)
def test_init_on_a_public_checklist_lists_every_line_and_is_never_a_usage_error(
    tmp_path: Path, name: str
) -> None:
    repo = a_repository(tmp_path, DATA / name)

    done = readiness(repo, "init", "docs/runbook.md")

    assert done.returncode == 0, done.stderr
    bound, manual = bound_count(done.stdout)
    status, report, output = run_readiness(repo)
    assert status == 1, output
    assert report["complete"] is True and report["verdict"] == "NO-GO"
    texts = checklist_texts(repo / "docs" / "runbook.md")
    assert sorted(item["title"] for item in report["items"]) == sorted(texts)
    outcomes = [item["outcome"] for item in report["items"]]
    assert outcomes.count("manual") == manual
    assert len(outcomes) - outcomes.count("manual") == bound
    print(f"{name}: bound {bound}, manual {manual}")


def test_init_on_a_team_runbook_with_steps_nesting_links_and_comments(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, text=TEAM_RUNBOOK)
    (repo / "package.json").write_text(json.dumps(VITE_PACKAGE), encoding="utf-8")

    done = readiness(repo, "init", "docs/runbook.md")

    assert done.returncode == 0, done.stderr
    assert bound_count(done.stdout) == (7, 4)
    config = tomllib.loads((repo / "readiness.toml").read_text(encoding="utf-8"))
    assert config["sections"] == {
        "Quality": "gate",
        "Service": "infra",
        "Release steps": "gate",
        "After the release": "post",
    }
    assert config["envs"]["local"]["base_url"] == "${READINESS_LOCAL_URL:-http://localhost:5173}"
    checks = (repo / "checks" / "test_quality.py").read_text(encoding="utf-8")
    assert '"npm run build"' in checks
    assert "npm run test -- --run --reporter=junit --outputFile=reports/junit/unit.xml" in checks
    assert "npm run lint -- --format json --output-file reports/lint.json" in checks
    assert '"npx prettier --check ."' in checks
    service = (repo / "checks" / "test_service.py").read_text(encoding="utf-8")
    assert '["/healthz", "/api/status"]' in service
    status, report, output = run_readiness(repo)
    assert status == 1, output
    items = {item["title"]: item for item in report["items"]}
    assert set(items) == set(checklist_texts(repo / "docs" / "runbook.md"))
    assert items["Product owner approval required"]["outcome"] == "manual"
    assert items["Sign the release notes"]["outcome"] == "manual"  # titles are plain text
    assert items["Database migrations applied on staging"]["outcome"] == "error"


def test_init_appends_to_pyproject_and_keeps_what_was_there(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    (repo / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")

    done = readiness(repo, "init", "docs/runbook.md")

    assert done.returncode == 0, done.stderr
    written = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert written["project"] == {"name": "app"}
    assert written["tool"]["readiness"]["runbook"] == "docs/runbook.md"
    assert written["tool"]["readiness"]["sections"]["Code Quality Gates"] == "gate"
    assert not (repo / "readiness.toml").exists()


def test_init_never_overwrites_without_force_and_shows_the_change(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    assert readiness(repo, "init", "docs/runbook.md").returncode == 0
    gates = repo / "checks" / "test_code_quality_gates.py"
    gates.write_text("# our own edits\n", encoding="utf-8")

    refused = readiness(repo, "init", "docs/runbook.md")

    assert refused.returncode == 2
    assert "nothing written" in refused.stderr and "--force" in refused.stderr
    assert "-# our own edits" in refused.stderr
    assert gates.read_text(encoding="utf-8") == "# our own edits\n"
    forced = readiness(repo, "init", "docs/runbook.md", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "@pytest.mark.gate" in gates.read_text(encoding="utf-8")


def test_init_with_force_replaces_only_the_readiness_tables_of_pyproject(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.readiness]\nrunbook = "old.md"\n\n'
        '[tool.readiness.envs.old]\nbase_url = "x"\n\n[tool.ruff]\nline-length = 90\n',
        encoding="utf-8",
    )

    assert readiness(repo, "init", "docs/runbook.md").returncode == 2
    assert readiness(repo, "init", "docs/runbook.md", "--force").returncode == 0

    written = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert written["tool"]["ruff"] == {"line-length": 90}
    assert written["tool"]["readiness"]["runbook"] == "docs/runbook.md"
    assert set(written["tool"]["readiness"]["envs"]) == {"local"}


def test_pytest_readiness_init_does_the_same_as_the_console_script(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness-init", "docs/runbook.md"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "bound: 30 lines to checks" in done.stdout
    assert (repo / "checks" / "test_database_readiness.py").is_file()


def test_readiness_help_offers_init(tmp_path: Path) -> None:
    done = readiness(tmp_path, "--help")

    assert "init" in done.stdout and "sign-off" in done.stdout


def test_init_without_a_runbook_names_where_it_looked(tmp_path: Path) -> None:
    done = readiness(tmp_path, "init")

    assert done.returncode == 2
    assert "no runbook given and none found" in done.stderr


def _repo(
    tmp_path: Path, package: dict[str, Any] | None = None, files: tuple[str, ...] = ()
) -> Repository:
    if package is not None:
        (tmp_path / "package.json").write_text(json.dumps(package), encoding="utf-8")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    return inspect(tmp_path)


def test_jest_with_jest_junit_gets_its_junit_reporter(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"scripts": {"test:unit": "jest"}, "devDependencies": {"jest": "1", "jest-junit": "1"}},
    )

    recipe = recognise("Unit tests: 100% passing", repo)

    assert recipe is not None and recipe.kind == "tests"
    assert (
        "JEST_JUNIT_OUTPUT_FILE=reports/junit/unit.xml npm run test:unit --"
        in recipe.values["command"]
    )


def test_a_python_repository_gets_pytest_ruff_and_ruff_format(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ruff]\n[tool.pytest.ini_options]\n", encoding="utf-8"
    )
    repo = _repo(tmp_path, files=("tests/unit/test_x.py",))

    tests = recognise("Unit tests pass", repo)
    lint = recognise("Linting: clean", repo)
    fmt = recognise("Code formatted", repo)

    assert (
        tests is not None
        and "python -m pytest -q tests/unit --junitxml=" in tests.values["command"]
    )
    assert lint is not None and lint.values["lint_tool"] == '"ruff"'
    assert fmt is not None and fmt.values["format_command"] == '"ruff format --check ."'


def test_lines_that_only_mention_a_word_stay_manual(tmp_path: Path) -> None:
    repo = _repo(tmp_path)

    for text in (
        "Build applications with **Multi-tenancy** in mind",
        "**Database** integration with Backup Tooling - test regularly your restore process",
        "Resource limits in the agreed format.",
        "A mandatory legal, privacy, payment, accessibility, safety requirement is unmet.",
        "CEO approval required",
    ):
        assert recognise(text, repo) is None, text


def test_supabase_migrations_and_dry_run_are_recognised(tmp_path: Path) -> None:
    repo = _repo(tmp_path, files=("supabase/migrations/001_init.sql",))

    applied = recognise("Staging migrations: Applied successfully", repo)
    dry = recognise("Migration dry-run: Completed on staging", repo)

    assert applied is not None and applied.kind == "migrations_applied"
    assert dry is not None and dry.kind == "dry_run"
    assert applied.values["migrations_dir"] == '"supabase/migrations"'


def test_a_line_naming_a_checking_command_runs_it_but_a_deploy_stays_manual(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path)

    verify = recognise("Contracts verified (`npm run verify:contracts`)", repo)
    deploy = recognise("Deployed: `npm run deploy`", repo)

    assert verify is not None and verify.kind == "command"
    assert verify.values == {
        "key": "verify_contracts_command",
        "command": '"npm run verify:contracts"',
    }
    assert deploy is None


def test_type_checking_runs_the_script_the_repository_has(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path, {"scripts": {"typecheck": "tsc -b"}, "devDependencies": {"typescript": "5"}}
    )

    recipe = recognise("Type check: 0 errors", repo)

    assert recipe is not None and recipe.values["command"] == '"npm run typecheck"'


@pytest.mark.parametrize(
    "name",
    [
        "production-deployment-runbook.md",
        "microservice-production-readiness-checklist.md",
        "prc-release-foundations.md",
        None,
    ],
)
def test_the_checks_init_writes_pass_the_teams_formatter_and_linter(
    tmp_path: Path, name: str | None
) -> None:
    repo = a_repository(tmp_path, DATA / name if name else None, TEAM_RUNBOOK)
    assert readiness(repo, "init", "docs/runbook.md").returncode == 0
    ruff = [sys.executable, "-m", "ruff"]

    formatted = subprocess.run(
        [*ruff, "format", "--isolated", "--check", "checks"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    linted = subprocess.run(
        [*ruff, "check", "--isolated", "--select", "E4,E7,E9,F,I,UP,B", "checks"],
        cwd=repo,
        capture_output=True,
        text=True,
    )

    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    assert linted.returncode == 0, linted.stdout


PYTHON_RUNBOOK = """\
# Release checklist

## Code Quality Gates

- [ ] Unit tests: 100% passing
- [ ] Lint: 0 errors, 0 warnings
- [ ] Format: All files formatted (`ruff format --check`)
- [ ] Security: 0 secrets detected
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_init_on_a_clean_python_repository_is_go_with_its_own_tools(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, text=PYTHON_RUNBOOK)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.ruff]\nline-length = 88\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        encoding="utf-8",
    )
    (repo / "tests" / "unit").mkdir(parents=True)
    (repo / "tests" / "unit" / "test_app.py").write_text(
        "def test_adds() -> None:\n    assert 1 + 1 == 2\n", encoding="utf-8"
    )
    (repo / ".gitignore").write_text("reports/\n.ruff_cache/\n__pycache__/\n", encoding="utf-8")
    assert readiness(repo, "init", "docs/runbook.md").returncode == 0
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "app")

    status, report, output = run_readiness(repo)

    assert status == 0, output
    assert report["verdict"] == "GO"
    assert {item["outcome"] for item in report["items"]} == {"passed"}
    assert len(report["items"]) == 4


def test_pnpm_gets_its_arguments_without_a_double_dash_and_vitest_runs_once(
    tmp_path: Path,
) -> None:
    package = {
        "scripts": {"lint": "eslint .", "test:unit": "vitest run"},
        "devDependencies": {"eslint": "9", "vitest": "1"},
    }
    repo = _repo(tmp_path, package, files=("pnpm-lock.yaml",))

    lint = recognise("Lint: clean", repo)
    tests = recognise("Unit tests: passing", repo)

    assert lint is not None and lint.values["lint_command"] == (
        '"pnpm run lint --format json --output-file reports/lint.json"'
    )
    assert tests is not None and tests.values["command"] == (
        '"pnpm run test:unit --reporter=junit --outputFile=reports/junit/unit.xml"'
    )


def test_init_warns_when_the_checklist_folder_already_holds_other_checks(
    tmp_path: Path,
) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    (repo / "checks").mkdir()
    (repo / "checks" / "test_ours.py").write_text("", encoding="utf-8")

    done = readiness(repo, "init", "docs/runbook.md")

    assert done.returncode == 0, done.stderr
    assert "checks/ also holds checks/test_ours.py" in done.stdout


def test_pytest_readiness_init_refuses_like_the_console_script(tmp_path: Path) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")
    (repo / "readiness.toml").write_text('runbook = "other.md"\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--readiness-init", "docs/runbook.md"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 4, done.stdout
    assert "nothing written: readiness.toml" in done.stdout
    assert (repo / "readiness.toml").read_text(encoding="utf-8") == 'runbook = "other.md"\n'
    assert not (repo / "checks").exists()


def test_the_checklist_readme_lists_each_manual_line_and_how_to_sign_it_off(
    tmp_path: Path,
) -> None:
    repo = a_repository(tmp_path, DATA / "production-deployment-runbook.md")

    assert readiness(repo, "init", "docs/runbook.md").returncode == 0

    readme = (repo / "checks" / "README.md").read_text(encoding="utf-8")
    assert "readiness sign-off" in readme
    assert "CEO approval required" in readme
    assert "Weekly retrospective (after the deploy: `--stage=post`)" in readme
    assert "Build: PASSING" not in readme


VITE_APP = {
    "package.json": json.dumps(
        {
            "name": "viteapp",
            "private": True,
            "type": "module",
            "scripts": {"build": "vite build", "dev": "vite", "lint": "eslint .", "test": "vitest"},
            "devDependencies": {
                "vite": "^5.4.0",
                "vitest": "^2.1.0",
                "eslint": "^9.9.0",
                "@eslint/js": "^9.9.0",
                "prettier": "^3.3.0",
            },
        },
        indent=2,
    )
    + "\n",  # as npm and prettier write it
    "index.html": "<!doctype html>\n<html>\n  <head>\n    <title>app</title>\n  </head>\n"
    '  <body>\n    <script type="module" src="/src/sum.js"></script>\n  </body>\n</html>\n',
    "src/sum.js": "export function sum(a, b) {\n  return a + b;\n}\n",
    "src/sum.test.js": 'import { expect, test } from "vitest";\nimport { sum } from "./sum.js";\n\n'
    'test("adds", () => {\n  expect(sum(1, 2)).toBe(3);\n});\n',
    "eslint.config.js": 'import js from "@eslint/js";\n\nexport default [\n'
    '  js.configs.recommended,\n  { ignores: ["dist/", "reports/", "node_modules/"] },\n];\n',
    ".prettierignore": "dist/\nreports/\nnode_modules/\n",
    ".gitignore": "node_modules/\ndist/\nreports/\n",
}

VITE_RUNBOOK = """\
# Release

## Code Quality Gates

- [ ] Build: PASSING (`npm run build` exit code 0)
- [ ] Unit tests: 100% passing (`npm run test:unit`)
- [ ] Lint: 0 errors, 0 warnings (`npm run lint`)
- [ ] Format: All files formatted (`npm run fmt`)
- [ ] Security: 0 secrets detected
"""


@pytest.mark.slow
def test_init_on_a_vite_app_runs_the_scripts_and_tools_it_has_and_is_go(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    repo = a_repository(tmp_path, text=VITE_RUNBOOK)
    for name, text in VITE_APP.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    installed = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installed.returncode != 0:
        pytest.skip(f"npm install failed (registry unreachable?): {installed.stderr[-300:]}")
    assert readiness(repo, "init", "docs/runbook.md").returncode == 0
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "app")

    status, report, output = run_readiness(repo)

    assert status == 0, output
    commands = " ".join(e["summary"] for item in report["items"] for e in item["evidence"])
    assert "npm run test -- --run --reporter=junit --outputFile=reports/junit/unit.xml" in commands
    assert "npm run lint -- --format json --output-file reports/lint.json" in commands
    assert "npx prettier --check ." in commands
    assert {item["outcome"] for item in report["items"]} == {"passed"}
