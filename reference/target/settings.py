"""The `[tool.readiness.envs.local]` settings the part-1 checks need for the reference app.

The same values belong in pyproject.toml; tests read them from here to run the commands.
"""

from __future__ import annotations

# The app's tests run with no third-party pytest plugins (ours included): faster, isolated.
_PYTEST = "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -m pytest -c pytest.ini -p no:cacheprovider -q"

VARS: dict[str, object] = {
    "build_command": "python tools/build.py",
    "unit_test_command": f"{_PYTEST} tests/unit --junitxml=reports/junit/unit.xml",
    "integration_test_command": (
        f"{_PYTEST} tests/integration --junitxml=reports/junit/integration.xml"
    ),
    "e2e_test_command": f"{_PYTEST} tests/e2e --junitxml=reports/junit/e2e.xml",
    "a11y_command": "python tools/a11y_scan.py site",
    "lint_command": (
        "python -m ruff check --no-cache --output-format json --output-file reports/lint.json"
        " src tests tools"
    ),
    "lint_report": "reports/lint.json",
    "format_command": "python -m ruff format --no-cache --check src tests tools",
    "rls_probe_role": "anon",
    "supabase_project_ref": "local",
}

THRESHOLDS: dict[str, float] = {
    "a11y_serious_max": 4,
    "backup_max_age_hours": 24,
    "docs_max_age_days": 90,
}

TOP_LEVEL: dict[str, object] = {"allow_dry_run": True}
