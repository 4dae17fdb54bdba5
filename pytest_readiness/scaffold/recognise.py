"""Which shipped probe checks a runbook line, from the line's words and the repository.

Rules are tried in order and the first match wins, so the narrow ones come first
("Monitoring guides: Complete" is a docs line, not the monitoring probe). A line no rule
matches stays manual. Commands come from the repository (a package.json script, the test
runner and its JUnit reporter, the configured linter and formatter), else from the inline
code the line itself names, else a default the team adjusts in `vars`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_readiness.scaffold.repository import Repository


@dataclass(frozen=True)
class Recipe:
    """How one line is checked: a template kind, its defaults, and what to tell the team."""

    kind: str
    what: str
    settings: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)


Rule = tuple[re.Pattern[str], Callable[[str, Repository], Recipe]]

_CODE = re.compile(r"`([^`]+)`")
_PATH = re.compile(r"(?<![\w.:/])(/[\w./-]*)")
_LESS_THAN = re.compile(r"<\s*(\d+)")
_NUMBER = re.compile(r"\b(\d+)\b")
_FORMAT_WORDS = ("fmt", "format", "prettier")
_TYPES_WORDS = ("tsc", "type", "mypy")


def _literal(value: object) -> str:
    """`value` as Python source with double quotes, as formatters write it."""
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _inline_command(text: str, word: str) -> str | None:
    """A command the line names in backticks that mentions `word` ("`npm run test:unit`")."""
    for code in _CODE.findall(text):
        if word in code and (" " in code or code.startswith(("npm", "pnpm", "yarn"))):
            return str(code)
    return None


def _script_command(repo: Repository, names: tuple[str, ...]) -> str | None:
    return next((repo.script(name) for name in names if repo.has_script(name)), None)


def _build(text: str, repo: Repository) -> Recipe:
    command = _script_command(repo, ("build",)) or _inline_command(text, "build") or "npm run build"
    return Recipe(
        "build",
        f"`{command}` exits 0",
        ("vars.build_command",),
        {"build_command": _literal(command)},
    )


def _suite_of(text: str) -> str:
    lowered = text.casefold()
    if re.search(r"\b(e2e|end[- ]to[- ]end|functional|acceptance)\b", lowered):
        return "e2e"
    if "integration" in lowered:
        return "integration"
    return "unit"


def _test_command(text: str, repo: Repository, suite: str, junit: str) -> str:
    scripts = {
        "unit": ("test:unit", "test"),
        "integration": ("test:integration", "test:int"),
        "e2e": ("test:e2e", "e2e"),
    }[suite]
    script = next((name for name in scripts if repo.has_script(name)), None)
    if suite == "e2e" and repo.uses("@playwright/test"):
        base = repo.script_with_arguments(script) if script else "npx playwright test"
        return f"PLAYWRIGHT_JUNIT_OUTPUT_NAME={junit} {base} --reporter=junit"
    if repo.uses("vitest"):
        return f"{_vitest(repo, script)} --reporter=junit --outputFile={junit}"
    if repo.uses("jest") and repo.uses("jest-junit"):
        base = repo.script_with_arguments(script) if script else "npx jest --ci"
        return f"JEST_JUNIT_OUTPUT_FILE={junit} {base} --reporters=default --reporters=jest-junit"
    if repo.uses("pytest") and not repo.has_package_json:
        folder = f" tests/{suite}" if repo.folder(f"tests/{suite}") else ""
        return f"python -m pytest -q{folder} --junitxml={junit}"
    inline = _inline_command(text, "test")
    return inline or (repo.script(script) if script else f"npm run test:{suite}")


def _vitest(repo: Repository, script: str | None) -> str:
    """Vitest through the script, once: a bare `vitest` script would watch."""
    if script is None:
        return "npx vitest run"
    once = "" if re.search(r"\bvitest run\b|--run\b", repo.scripts[script]) else " --run"
    return f"{repo.script_with_arguments(script)}{once}"


def _tests(text: str, repo: Repository) -> Recipe:
    suite = _suite_of(text)
    junit = f"reports/junit/{suite}.xml"
    command = _test_command(text, repo, suite, junit)
    return Recipe(
        "tests",
        f"the {suite} suite ran and passed, read from its JUnit report {junit}",
        (f"vars.{suite}_test_command", f"vars.{suite}_junit"),
        {"suite": suite, "command": _literal(command), "junit": _literal(junit)},
    )


def _a11y(text: str, repo: Repository) -> Recipe:
    command = (
        _script_command(repo, ("test:a11y", "a11y"))
        or _inline_command(text, "a11y")
        or "npm run test:a11y"
    )
    below = _LESS_THAN.search(text)
    maximum = int(below.group(1)) - 1 if below else 0
    return Recipe(
        "a11y",
        f"axe results printed by `{command}` have at most {maximum} serious violations",
        ("vars.a11y_command", "thresholds.a11y_serious_max"),
        {"a11y_command": _literal(command), "maximum": str(maximum)},
    )


def _lint(text: str, repo: Repository) -> Recipe:
    report = "reports/lint.json"
    inline = _inline_command(text, "lint")
    node = repo.has_package_json or (inline or "").startswith(("npm", "pnpm", "yarn"))
    if repo.uses("eslint") or (node and not repo.uses("ruff")):
        tool = "eslint"
        if repo.has_script("lint"):
            base = repo.script_with_arguments("lint")
        else:
            base = f"{inline} --" if inline else "npx eslint ."
        command = f"{base} --format json --output-file {report}"
    else:
        tool = "ruff"
        command = f"ruff check --output-format json --output-file {report} ."
    return Recipe(
        "lint",
        f"{tool} reports no error and no warning ({report})",
        ("vars.lint_command", "vars.lint_report", "vars.lint_tool"),
        {
            "lint_command": _literal(command),
            "lint_report": _literal(report),
            "lint_tool": _literal(tool),
        },
    )


def _format(text: str, repo: Repository) -> Recipe:
    if repo.uses("prettier"):
        command = "npx prettier --check ."
    elif repo.uses("ruff"):
        command = "ruff format --check ."
    elif repo.uses("black"):
        command = "black --check ."
    else:
        script = _script_command(repo, ("format:check", "fmt:check", "fmt", "format"))
        inline = next(filter(None, (_inline_command(text, w) for w in _FORMAT_WORDS)), None)
        command = script or inline or "npx prettier --check ."
    return Recipe(
        "format",
        f"`{command}` finds every file formatted",
        ("vars.format_command",),
        {"format_command": _literal(command)},
    )


def _secrets(text: str, repo: Repository) -> Recipe:
    in_code = re.search(r"\b(in code|vault|env|\.env)\b", text.casefold())
    kind = "secrets_in_code" if in_code else "secrets"
    what = "detect-secrets finds no secret in tracked files"
    if in_code:
        what += ", and no .env file is tracked"
    return Recipe(kind, what, ("readiness/secrets baseline: see docs/probes.md",))


def _migrations_dir(repo: Repository) -> str:
    for folder in ("supabase/migrations", "migrations", "db/migrations"):
        if repo.folder(folder):
            return folder
    return "supabase/migrations"


def _migrations(text: str, repo: Repository) -> Recipe:
    folder = _migrations_dir(repo)
    if re.search(r"dry[- ]?run", text.casefold()):
        return Recipe(
            "dry_run",
            f"the pending migrations of {folder} apply inside a transaction that is rolled back",
            ("vars.migrations_dir", "allow_dry_run", "vars.dry_run_database_url"),
            {"migrations_dir": _literal(folder)},
        )
    return Recipe(
        "migrations_applied",
        f"every migration in {folder} is applied to database_url",
        ("vars.migrations_dir", "database_url"),
        {"migrations_dir": _literal(folder)},
    )


def _typecheck(text: str, repo: Repository) -> Recipe:
    names = ("typecheck", "type-check", "check-types", "types", "tsc")
    inline = next(filter(None, (_inline_command(text, w) for w in _TYPES_WORDS)), None)
    command = _script_command(repo, names) or inline
    if command is None:
        command = "mypy ." if repo.uses("mypy") else "npx tsc --noEmit"
    return Recipe(
        "command",
        f"`{command}` exits 0",
        ("vars.typecheck_command",),
        {"key": "typecheck_command", "command": _literal(command)},
    )


# Only commands whose name says they check something: a line "Deploy: `npm run deploy`"
# must never become a check that deploys.
_CHECKING_COMMAND = re.compile(
    r"^(?:(?:npm|pnpm|yarn)(?: run)?|npx|make|python -m|uv run|poetry run)\s+"
    r"(?P<name>[\w:.-]*(?:check|test|lint|type|verify|audit|scan|validate|ci)[\w:.-]*)"
)


def checking_command(text: str) -> str | None:
    """The first inline command of the line whose name says it checks (`npm run verify`)."""
    for code in _CODE.findall(text):
        if _CHECKING_COMMAND.match(code.strip()):
            return str(code).strip()
    return None


def _named_command(text: str, repo: Repository) -> Recipe:
    command = checking_command(text) or ""
    found = _CHECKING_COMMAND.match(command)
    name = found.group("name") if found else "check"
    key = re.sub(r"\W+", "_", name).strip("_").lower() + "_command"
    return Recipe(
        "command",
        f"`{command}` exits 0",
        (f"vars.{key}",),
        {"key": key, "command": _literal(command)},
    )


def _recipe(kind: str, what: str, *settings: str, **values: str) -> Callable[..., Recipe]:
    return lambda text, repo: Recipe(kind, what, settings, values)


def _github(text: str, repo: Repository) -> Recipe:
    return Recipe(
        "github_actions",
        "the latest run of every GitHub Actions workflow on the branch succeeded",
        ("vars.github_repo", "vars.github_branch", "vars.github_token"),
        {"github_repo": _literal(repo.github_repo)},
    )


def _health(text: str, repo: Repository) -> Recipe:
    paths = [path.rstrip(".,;") for path in _PATH.findall(" ".join(_CODE.findall(text)) or text)]
    paths = [path for path in paths if len(path) > 1] or ["/health"]
    return Recipe(
        "health",
        f"GET {', '.join(paths)} on base_url answer 200",
        ("health_paths", "base_url", "thresholds.health_timeout_s"),
        {"paths": _literal(paths)},
    )


def _dashboard(text: str, repo: Repository) -> Recipe:
    number = _NUMBER.search(text)
    tiles = number.group(1) if number else "8"
    return Recipe(
        "dashboard",
        f"the dashboard API returns {tiles} working tiles",
        ("vars.dashboard_path", "thresholds.dashboard_tiles"),
        {"tiles": tiles},
    )


def _ideas(text: str, repo: Repository) -> Recipe:
    numbers = [int(n) for n in _NUMBER.findall(text)] + [5, 1]
    return Recipe(
        "idea_pool",
        "the idea pool API returns the suggestions and wildcards the line names",
        ("vars.ideas_path", "thresholds.idea_suggestions", "thresholds.idea_wildcards"),
        {"suggestions": str(numbers[0]), "wildcards": str(numbers[1])},
    )


def _documents(key: str, folder: str, headings: list[str], kind: str) -> Callable[..., Recipe]:
    return _recipe(
        "documents",
        f"every {kind} in {folder} has the sections {', '.join(headings)} and no placeholder",
        f"vars.{key}_dir",
        f"vars.{key}_headings",
        key=key,
        folder=_literal(folder),
        headings=_literal(headings),
        label=_literal(kind),
    )


def _rule(pattern: str, make: Callable[[str, Repository], Recipe]) -> Rule:
    return (re.compile(pattern, re.IGNORECASE), make)


_DOCS_RULES: tuple[Rule, ...] = (
    _rule(
        r"monitoring guides?",
        _documents("monitoring", "docs/monitoring", ["Dashboards", "Alerts"], "monitoring guide"),
    ),
    _rule(
        r"troubleshooting",
        _documents(
            "troubleshooting",
            "docs/troubleshooting",
            ["Symptoms", "Resolution"],
            "troubleshooting guide",
        ),
    ),
    _rule(
        r"\bspec(s|ifications?)\b.*\bcomplete",
        _documents("specs", "docs/specs", ["Overview", "Acceptance Criteria"], "spec"),
    ),
    _rule(
        r"\brollback\b.*\b(documented|procedures?)\b",
        _recipe(
            "rollback_doc",
            "the rollback procedure in docs has ordered steps and no placeholder",
            "vars.rollback_docs",
            folder=_literal("docs"),
        ),
    ),
    _rule(
        r"\brunbooks?\b.*\b(updated|up[- ]to[- ]date|current|reviewed)\b",
        _recipe(
            "runbooks_fresh",
            "every runbook in docs/runbooks changed within docs_max_age_days",
            "vars.runbooks_dir",
            "thresholds.docs_max_age_days",
            folder=_literal("docs/runbooks"),
        ),
    ),
)

_GATE_RULES: tuple[Rule, ...] = (
    _rule(
        r"`(npm|pnpm|yarn) run build`|^build\b\s*[:\-\u2013]"
        r"|\bbuilds?\b.*\b(pass|passes|passing|succeeds|green)\b",
        _build,
    ),
    _rule(
        r"\b(unit|integration|e2e|end[- ]to[- ]end|functional|acceptance)(\*\*)?\s+"
        r"(tests?|suites?)\b",
        _tests,
    ),
    _rule(r"^\W*(accessibility|a11y)\b|\bserious violations\b|\baxe\b|test:a11y", _a11y),
    _rule(r"\blint(s|ers?|ing)?\b", _lint),
    _rule(r"\bformatt(ed|er|ing)\b|^\W*format\b|`[^`]*\b(fmt|prettier)\b[^`]*`", _format),
    _rule(
        r"\bsecrets?\b.*\b(detected|scan|none in code|in code|vault)\b|\bdetect-secrets\b",
        _secrets,
    ),
)

_DB_RULES: tuple[Rule, ...] = (
    _rule(
        r"\bmigrations?\b.*\b(applied|dry[- ]?run|pending|up[- ]to[- ]date)\b"
        r"|\bmigration dry[- ]?run\b",
        _migrations,
    ),
    _rule(
        r"\bRLS\b|row[- ]level security",
        _recipe(
            "rls",
            "row-level security is on for every table the anon role can reach",
            "vars.rls_schemas",
            "vars.rls_probe_role",
            rls_probe_role=_literal("anon"),
        ),
    ),
    _rule(
        r"\bdata integrity\b",
        _recipe(
            "integrity",
            "every SQL assertion in checks/sql/integrity returns no row",
            "vars.integrity_sql_dir",
        ),
    ),
    _rule(
        r"\bbackups?\b.*\b(exists?|verified|recent)\b",
        _recipe(
            "backup",
            "the Supabase project has a backup younger than backup_max_age_hours",
            "vars.supabase_project_ref",
            "vars.supabase_access_token",
            "thresholds.backup_max_age_hours",
        ),
    ),
)

_INFRA_RULES: tuple[Rule, ...] = (
    _rule(
        r"\bgithub actions\b|\bworkflows?\b.*\b(green|passing)\b|\bCI\b.*\b(green|passing)\b",
        _github,
    ),
    _rule(
        r"\b(staging|environment)\b.*\bdeployed\b",
        _recipe(
            "deployed_version",
            "the deployed app reports the commit checked out as its version",
            "vars.version_path",
            "vars.expected_version",
        ),
    ),
    _rule(r"\bhealth\b", _health),
    _rule(
        r"\bmonitoring\b.*\b(configured|alerting)\b|\balerts?\b.*\bconfigured\b",
        _recipe(
            "monitoring",
            "Prometheus has rules loaded and Alertmanager has receivers",
            "vars.prometheus_url",
            "vars.alertmanager_url",
        ),
    ),
)

_FEATURE_RULES: tuple[Rule, ...] = (
    _rule(r"\bdashboard\b.*\btiles?\b", _dashboard),
    _rule(
        r"\bapprovals?\b.*\b(hitl|flow)\b",
        _recipe(
            "approvals",
            "an approval can be created, approved and deleted (needs allow_writes)",
            "vars.approvals_path",
            "allow_writes",
        ),
    ),
    _rule(r"\bidea pool\b", _ideas),
    _rule(
        r"\banalytics\b.*\b(data|flowing)\b",
        _recipe(
            "analytics",
            "the analytics summary has data newer than analytics_max_age_minutes",
            "vars.analytics_path",
            "thresholds.analytics_max_age_minutes",
        ),
    ),
    _rule(
        r"\binventory\b.*\b(rop|reorder)\b",
        _recipe(
            "inventory",
            "every reorder point the inventory API returns matches its formula",
            "vars.inventory_path",
            "thresholds.rop_tolerance",
        ),
    ),
    _rule(
        r"\bchatwoot\b",
        _recipe(
            "chatwoot",
            "the Chatwoot inbox is listed and the app's integration is enabled",
            "vars.chatwoot_url",
            "vars.chatwoot_token",
            "vars.chatwoot_account_id",
            "vars.chatwoot_inbox",
        ),
    ),
    _rule(
        r"\bfeature flags?\b.*\bdocumented\b",
        _recipe(
            "feature_flags",
            "every flag the app serves is documented with its default",
            "vars.feature_flags_path",
            "vars.feature_flags_doc",
        ),
    ),
)

_TYPES_RULE = _rule(
    r"\btype[- ]?check(s|ing|ed)?\b|\btypes?\b.*\b(pass|passes|passing|clean)\b"
    r"|\btsc\b|\bmypy\b",
    _typecheck,
)

# Docs first: "Monitoring guides: Complete" is a document, not the monitoring probe. Last,
# any line naming a checking command in backticks ("`npm run verify`") runs that command.
RULES: tuple[Rule, ...] = (
    *_DOCS_RULES,
    *_GATE_RULES,
    _TYPES_RULE,
    *_DB_RULES,
    *_INFRA_RULES,
    *_FEATURE_RULES,
)


def recognise(text: str, repo: Repository) -> Recipe | None:
    """The recipe for the first rule the line's text matches, or None: the line stays manual."""
    for pattern, make in RULES:
        if pattern.search(text):
            return make(text, repo)
    if checking_command(text):
        return _named_command(text, repo)
    return None
