"""The Python source of one generated check per recipe kind, wired to the shipped probes.

Each template is the body of a check function; `{name}` placeholders are the recipe's
defaults (written as Python literals), read at run time through `vars.<key>` or
`thresholds.<key>` so a team adjusts a setting in the config, not in the check.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """A check body, the fixtures it takes and the imports it needs."""

    fixtures: tuple[str, ...]
    imports: tuple[str, ...]
    body: str


_PROBE = "from pytest_readiness.probes import {}"
_EXIT = "from pytest_readiness.probes.exit_status import exit_status"
_FAILED = "from pytest_readiness import CheckFailed"
_ALL_OF = "from pytest_readiness.probes.combined import all_of"

TEMPLATES: dict[str, Template] = {
    "build": Template(
        ("readiness_env", "run", "evidence"),
        (_EXIT,),
        """\
    result = run(readiness_env.vars.get("build_command", {build_command}))
    evidence.expect(exit_status(result))
""",
    ),
    "command": Template(
        ("readiness_env", "run", "evidence"),
        (_EXIT,),
        """\
    result = run(readiness_env.vars.get("{key}", {command}))
    evidence.expect(exit_status(result))
""",
    ),
    "tests": Template(
        ("readiness_env", "run", "evidence"),
        ("import time", _PROBE.format("junit")),
        """\
    command = readiness_env.vars.get("{suite}_test_command", {command})
    junit_file = readiness_env.vars.get("{suite}_junit", {junit})
    started = time.time()
    result = run(command)
    report = readiness_env.workspace / junit_file
    evidence.expect(junit.from_test_run(command, result.returncode, report, not_before=started))
""",
    ),
    "a11y": Template(
        ("readiness_env", "run", "evidence"),
        (_PROBE.format("a11y"),),
        """\
    result = run(readiness_env.vars.get("a11y_command", {a11y_command}))
    maximum = int(readiness_env.thresholds.get("a11y_serious_max", {maximum}))
    evidence.expect(a11y.from_axe_json(result.output, maximum))
""",
    ),
    "lint": Template(
        ("readiness_env", "run", "evidence"),
        ("import time", _FAILED, _EXIT, _PROBE.format("lint")),
        """\
    command = readiness_env.vars.get("lint_command", {lint_command})
    name = readiness_env.vars.get("lint_report", {lint_report})
    started = time.time()
    result = run(command)
    report = readiness_env.workspace / name
    if not report.is_file() or report.stat().st_mtime < started - 1:
        last = (result.output.strip().splitlines() or ["(no output)"])[-1]
        raise CheckFailed(f"{{command}} did not write {{name}}: {{last}}")
    text = report.read_text(encoding="utf-8", errors="replace")
    tool = readiness_env.vars.get("lint_tool", {lint_tool})
    evidence.expect(
        lint.from_lint_json(text, tool, root=readiness_env.workspace, log=result.output)
    )
    evidence.expect(exit_status(result))
""",
    ),
    "format": Template(
        ("readiness_env", "run", "evidence"),
        (_PROBE.format("formatting"),),
        """\
    command = readiness_env.vars.get("format_command", {format_command})
    result = run(command)
    evidence.expect(formatting.from_format_check(result.returncode, result.output, command))
""",
    ),
    "secrets": Template(
        ("readiness_env", "evidence"),
        (_PROBE.format("secrets"),),
        """\
    evidence.expect(secrets.scan_tracked_files(readiness_env.workspace))
""",
    ),
    "secrets_in_code": Template(
        ("readiness_env", "evidence"),
        (_ALL_OF, _PROBE.format("env_files, secrets")),
        """\
    workspace = readiness_env.workspace
    evidence.expect(
        all_of(env_files.tracked_env_files(workspace), secrets.scan_tracked_files(workspace))
    )
""",
    ),
    "migrations_applied": Template(
        ("readiness_env", "db", "evidence"),
        (_PROBE.format("migrations"),),
        """\
    folder = readiness_env.workspace / readiness_env.vars.get("migrations_dir", {migrations_dir})
    evidence.expect(migrations.check_applied(db, folder))
""",
    ),
    "dry_run": Template(
        ("readiness_env", "evidence"),
        ("import psycopg", "import pytest", _PROBE.format("migrations")),
        """\
    if not readiness_env.get("allow_dry_run", False):
        pytest.skip(f"allow_dry_run is not set for {{readiness_env.name}}: the dry-run writes")
    url = readiness_env.vars.get("dry_run_database_url") or readiness_env.database_url
    folder = readiness_env.workspace / readiness_env.vars.get("migrations_dir", {migrations_dir})
    with psycopg.connect(url, connect_timeout=10) as conn:
        evidence.expect(migrations.dry_run(conn, folder))
""",
    ),
    "rls": Template(
        ("readiness_env", "db", "evidence"),
        (_PROBE.format("rls"),),
        """\
    schemas = readiness_env.vars.get("rls_schemas", ["public"])
    role = readiness_env.vars.get("rls_probe_role", {rls_probe_role})
    evidence.expect(rls.check_rls(db, schemas, role))
""",
    ),
    "integrity": Template(
        ("readiness_env", "db", "evidence"),
        (_PROBE.format("integrity"),),
        """\
    folder = readiness_env.workspace / readiness_env.vars.get(
        "integrity_sql_dir", "checks/sql/integrity"
    )
    evidence.expect(integrity.check_integrity(db, integrity.assertion_files(folder)))
""",
    ),
    "backup": Template(
        ("readiness_env", "http_client", "evidence"),
        (_FAILED, _PROBE.format("backups")),
        """\
    project = readiness_env.vars.get("supabase_project_ref")
    token = readiness_env.vars.get("supabase_access_token")
    if not project or not token:
        raise CheckFailed("set vars.supabase_project_ref and vars.supabase_access_token")
    base_url = readiness_env.vars.get("supabase_api_url", "https://api.supabase.com")
    client = http_client(base_url, headers={{"Authorization": f"Bearer {{token}}"}})
    max_age = float(readiness_env.thresholds.get("backup_max_age_hours", 24))
    evidence.expect(backups.check_backups(client, project, max_age))
""",
    ),
    "github_actions": Template(
        ("readiness_env", "http_client", "evidence"),
        (_FAILED, _PROBE.format("github_actions")),
        """\
    settings = readiness_env.vars
    repo = settings.get("github_repo", {github_repo})
    if not repo:
        raise CheckFailed(f"vars.github_repo is not set for environment {{readiness_env.name!r}}")
    api = http_client(
        settings.get("github_api", "https://api.github.com"),
        headers=github_actions.headers(settings.get("github_token")),
    )
    branch = settings.get("github_branch", "main")
    evidence.expect(github_actions.workflows_green(api, repo, branch))
""",
    ),
    "deployed_version": Template(
        ("readiness_env", "http", "evidence"),
        (_FAILED, _PROBE.format("version")),
        """\
    expected = readiness_env.vars.get("expected_version")
    if not expected:
        try:
            expected = version.head_commit(readiness_env.workspace)
        except ValueError as exc:
            raise CheckFailed(str(exc)) from None
    path = readiness_env.vars.get("version_path", "/api/version")
    evidence.expect(version.reports_version(http, path, expected))
""",
    ),
    "health": Template(
        ("readiness_env", "http_client", "evidence"),
        (_PROBE.format("health"),),
        """\
    timeout = float(readiness_env.thresholds.get("health_timeout_s", readiness_env.timeout))
    client = http_client(readiness_env.base_url, timeout=timeout)
    paths = readiness_env.get("health_paths", {paths})
    evidence.expect(health.health_paths(client, paths, timeout=timeout))
""",
    ),
    "monitoring": Template(
        ("readiness_env", "http_client", "evidence"),
        (_FAILED, _PROBE.format("monitoring")),
        """\
    keys = ("prometheus_url", "alertmanager_url")
    urls = [readiness_env.vars.get(key) for key in keys]
    if not all(urls):
        raise CheckFailed("set vars.prometheus_url and vars.alertmanager_url")
    prometheus, alertmanager = (http_client(url) for url in urls)
    evidence.expect(monitoring.monitoring_configured(prometheus, alertmanager))
""",
    ),
    "dashboard": Template(
        ("readiness_env", "http", "evidence"),
        (_PROBE.format("dashboard"),),
        """\
    path = readiness_env.vars.get("dashboard_path", "/api/dashboard")
    expected = int(readiness_env.thresholds.get("dashboard_tiles", {tiles}))
    evidence.expect(dashboard.dashboard_tiles(http, path, expected))
""",
    ),
    "approvals": Template(
        ("readiness_env", "http", "evidence"),
        ("import pytest", _PROBE.format("approvals")),
        """\
    if not readiness_env.get("allow_writes", False):
        pytest.skip("not run: allow_writes is not set; this item creates a test approval")
    path = readiness_env.vars.get("approvals_path", "/api/approvals")
    evidence.expect(approvals.hitl_flow(http, path, reviewer="readiness-check"))
""",
    ),
    "idea_pool": Template(
        ("readiness_env", "http", "evidence"),
        (_PROBE.format("idea_pool"),),
        """\
    path = readiness_env.vars.get("ideas_path", "/api/ideas")
    limits = readiness_env.thresholds
    suggestions = int(limits.get("idea_suggestions", {suggestions}))
    wildcards = int(limits.get("idea_wildcards", {wildcards}))
    evidence.expect(idea_pool.idea_pool(http, path, suggestions=suggestions, wildcards=wildcards))
""",
    ),
    "analytics": Template(
        ("readiness_env", "http", "evidence"),
        (_PROBE.format("analytics"),),
        """\
    path = readiness_env.vars.get("analytics_path", "/api/analytics/summary")
    max_age = float(readiness_env.thresholds.get("analytics_max_age_minutes", 60))
    evidence.expect(analytics.analytics_fresh(http, path, max_age_minutes=max_age))
""",
    ),
    "inventory": Template(
        ("readiness_env", "http", "evidence"),
        (_PROBE.format("inventory"),),
        """\
    path = readiness_env.vars.get("inventory_path", "/api/inventory")
    tolerance = float(readiness_env.thresholds.get("rop_tolerance", 0))
    evidence.expect(inventory.reorder_points(http, path, tolerance=tolerance))
""",
    ),
    "chatwoot": Template(
        ("readiness_env", "http", "http_client", "evidence"),
        (_FAILED, _ALL_OF, _PROBE.format("chatwoot")),
        """\
    settings = readiness_env.vars
    needed = ("chatwoot_url", "chatwoot_token", "chatwoot_account_id", "chatwoot_inbox")
    missing = [key for key in needed if not settings.get(key)]
    if missing:
        raise CheckFailed("set " + ", ".join(f"vars.{{key}}" for key in missing))
    api = http_client(
        settings["chatwoot_url"], headers=chatwoot.headers(settings["chatwoot_token"])
    )
    account, inbox = settings["chatwoot_account_id"], settings["chatwoot_inbox"]
    integrations = settings.get("integrations_path", "/api/integrations")
    evidence.expect(
        all_of(
            chatwoot.inbox_listed(api, account, inbox),
            chatwoot.integration_enabled(http, integrations, "chatwoot"),
        )
    )
""",
    ),
    "feature_flags": Template(
        ("readiness_env", "http", "evidence"),
        (_PROBE.format("feature_flags"),),
        """\
    path = readiness_env.vars.get("feature_flags_path", "/api/feature-flags")
    document = readiness_env.workspace / readiness_env.vars.get(
        "feature_flags_doc", "docs/feature-flags.md"
    )
    evidence.expect(feature_flags.flags_documented(http, path, document))
""",
    ),
    "runbooks_fresh": Template(
        ("readiness_env", "evidence"),
        (_PROBE.format("docs"),),
        """\
    max_age = float(readiness_env.thresholds.get("docs_max_age_days", 90))
    folder = readiness_env.workspace / readiness_env.vars.get("runbooks_dir", {folder})
    evidence.expect(docs.check_runbooks(folder, max_age, root=readiness_env.workspace))
""",
    ),
    "documents": Template(
        ("readiness_env", "evidence"),
        (_PROBE.format("docs"),),
        """\
    folder = readiness_env.workspace / readiness_env.vars.get("{key}_dir", {folder})
    headings = readiness_env.vars.get("{key}_headings", {headings})
    evidence.expect(
        docs.check_documents(folder, headings, {label}, root=readiness_env.workspace)
    )
""",
    ),
    "rollback_doc": Template(
        ("readiness_env", "evidence"),
        (_PROBE.format("docs"),),
        """\
    where = readiness_env.workspace / readiness_env.vars.get("rollback_docs", {folder})
    evidence.expect(docs.check_rollback(where, root=readiness_env.workspace))
""",
    ),
}
