"""What a team's repository holds that decides the commands `init` writes: scripts, tools, folders.

Read once from files only (package.json, pyproject.toml, tool config files, .git/config);
nothing is run, so `init` is safe in any repository.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_GITHUB_REMOTE = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?\s*$", re.M)
_ESLINT_FILES = ("eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts")
_ESLINTRC = (".eslintrc", ".eslintrc.js", ".eslintrc.cjs", ".eslintrc.json", ".eslintrc.yml")
_PRETTIER_FILES = (".prettierrc", ".prettierrc.json", ".prettierrc.js", "prettier.config.js")


@dataclass(frozen=True)
class Repository:
    """The facts about one repository that pick commands and settings for generated checks."""

    root: Path
    scripts: dict[str, str] = field(default_factory=dict)
    node_packages: frozenset[str] = frozenset()
    runner: str = "npm"
    python_tools: frozenset[str] = frozenset()
    has_package_json: bool = False
    has_pyproject: bool = False
    github_repo: str | None = None

    def has_script(self, name: str) -> bool:
        """Whether package.json defines the npm script `name`."""
        return name in self.scripts

    def script(self, name: str) -> str:
        """The command that runs npm script `name` with the package manager the repo uses."""
        return f"{self.runner} run {name}"

    def script_with_arguments(self, name: str) -> str:
        """The script's command ready for extra arguments: npm needs `--`, pnpm and yarn not."""
        return f"{self.script(name)} --" if self.runner == "npm" else self.script(name)

    def uses(self, tool: str) -> bool:
        """Whether the repository depends on or configures `tool` (node or Python)."""
        return tool in self.node_packages or tool in self.python_tools

    def folder(self, relative: str) -> bool:
        """Whether `relative` is a folder of the repository."""
        return (self.root / relative).is_dir()


def inspect(root: Path) -> Repository:
    """Read the repository at `root`; missing or broken files just mean "not there"."""
    package = _json(root / "package.json")
    pyproject = _toml(root / "pyproject.toml")
    return Repository(
        root=root,
        scripts={str(k): str(v) for k, v in dict(package.get("scripts") or {}).items()},
        node_packages=frozenset(_node_packages(root, package)),
        runner=_package_runner(root),
        python_tools=frozenset(_python_tools(root, pyproject)),
        has_package_json=(root / "package.json").is_file(),
        has_pyproject=(root / "pyproject.toml").is_file(),
        github_repo=_github_repo(root),
    )


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _node_packages(root: Path, package: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        names.update(str(name) for name in dict(package.get(key) or {}))
    if any((root / name).is_file() for name in (*_ESLINT_FILES, *_ESLINTRC)):
        names.add("eslint")
    if any((root / name).is_file() for name in _PRETTIER_FILES) or "prettier" in package:
        names.add("prettier")
    if any(root.glob("vitest.config.*")):
        names.add("vitest")
    if any(root.glob("playwright.config.*")):
        names.add("@playwright/test")
    return names


def _package_runner(root: Path) -> str:
    if (root / "pnpm-lock.yaml").is_file():
        return "pnpm"
    if (root / "yarn.lock").is_file():
        return "yarn"
    return "npm"


def _python_tools(root: Path, pyproject: dict[str, Any]) -> set[str]:
    tools = {str(name) for name in dict(pyproject.get("tool") or {})}
    text = json.dumps(pyproject.get("project", {})) + json.dumps(
        pyproject.get("dependency-groups", {})
    )
    tools.update(name for name in ("pytest", "ruff", "black") if name in text)
    if (root / "ruff.toml").is_file() or (root / ".ruff.toml").is_file():
        tools.add("ruff")
    if (root / "pytest.ini").is_file() or (root / "conftest.py").is_file():
        tools.add("pytest")
    if "ini_options" in dict(dict(pyproject.get("tool") or {}).get("pytest") or {}):
        tools.add("pytest")
    return tools


def _github_repo(root: Path) -> str | None:
    try:
        text = (root / ".git" / "config").read_text(encoding="utf-8")
    except OSError:
        return None
    found = _GITHUB_REMOTE.search(text)
    return found.group("repo") if found else None
