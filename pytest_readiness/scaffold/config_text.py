"""The `[tool.readiness]` config `readiness init` writes, as commented TOML text.

In pyproject.toml the tables are `[tool.readiness...]`; in a standalone readiness.toml (a
repository without pyproject.toml) the same tables drop the `tool.readiness.` prefix.
"""

from __future__ import annotations

import json

from pytest_readiness.scaffold.plan import CHECKLIST, Plan
from pytest_readiness.scaffold.repository import Repository

_DB_KINDS = frozenset(("migrations_applied", "dry_run", "rls", "integrity"))


def render(plan: Plan, repo: Repository, *, pyproject: bool) -> str:
    """The whole config block for `plan`, ready to append to pyproject or write alone."""
    prefix = "tool.readiness." if pyproject else ""
    top = "[tool.readiness]\n" if pyproject else ""
    parts = [
        f"# Written by `readiness init`: edit freely. Reference: docs/configuration.md.\n{top}"
        f"runbook = {_string(plan.runbook_path)}\n"
        f'checklist = "{CHECKLIST}"\n'
        'reports = "reports"\n'
        'default_env = "local"\n',
        _sections(plan, prefix),
        _local(plan, repo, prefix),
        _commented_envs(prefix),
    ]
    return "\n".join(parts)


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sections(plan: Plan, prefix: str) -> str:
    rows = [
        "# Every heading of the runbook that holds checklist lines, mapped to a phase: gate, db,",
        '# infra, feature, docs, "post" (after the deploy: --stage=post) or "ignore" (left out).',
        f"[{prefix}sections]",
    ]
    for heading in plan.headings:
        under = [p for p in plan.lines if p.line.heading_path[-1:] == (heading.title,)]
        checked = sum(1 for p in under if p.recipe is not None)
        count = f"{len(under)} line{'s' if len(under) != 1 else ''}, {checked} with a check"
        rows.append(
            f"{_string(heading.title)} = {_string(heading.section)}  # {count}; {heading.why}"
        )
    return "\n".join(rows) + "\n"


def _base_url(repo: Repository) -> str:
    if repo.uses("vite"):
        return "http://localhost:5173"
    if repo.uses("next") or repo.has_package_json:
        return "http://localhost:3000"
    return "http://localhost:8000"


def _local(plan: Plan, repo: Repository, prefix: str) -> str:
    rows = [
        "# `local`: this checkout. Commands run here; the app and database are your local ones.",
        f"[{prefix}envs.local]",
        'workspace = "."',
        f'base_url = "${{READINESS_LOCAL_URL:-{_base_url(repo)}}}"',
    ]
    if any(p.recipe and p.recipe.kind in _DB_KINDS for p in plan.lines):
        rows.append('database_url = "${READINESS_LOCAL_DB_URL}"')
        rows.append("allow_dry_run = true")
    rows.append('public = ["READINESS_LOCAL_URL"]')
    rows.append("")
    rows.append("# Settings the checks read (each check's comment names its own); defaults are in")
    rows.append("# the checks, a value here wins.")
    rows.append(f"[{prefix}envs.local.vars]")
    if repo.github_repo:
        rows.append(f"github_repo = {_string(repo.github_repo)}")
    return "\n".join(rows) + "\n"


def _commented_envs(prefix: str) -> str:
    return (
        "# Deployed environments: uncomment, then `pytest --readiness --env=staging`.\n"
        f"# [{prefix}envs.staging]\n"
        '# base_url = "${STAGING_URL}"\n'
        '# database_url = "${STAGING_DB_URL}"\n'
        '# workspace = "."\n'
        "#\n"
        f"# [{prefix}envs.production]\n"
        '# extends = "staging"\n'
        '# base_url = "${PRODUCTION_URL}"\n'
        '# database_url = "${PRODUCTION_DB_URL}"\n'
        "# allow_dry_run = false\n"
    )
