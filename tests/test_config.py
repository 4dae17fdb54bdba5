"""Config: environments, inheritance, interpolation, and usage errors naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_readiness.config import MissingVariable, load
from tests.conftest import ReadinessProject


def write(tmp_path: Path, text: str, name: str = "pyproject.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_an_environment_inherits_with_extends_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.readiness.envs.staging]
base_url = "https://staging.example.test"
timeout = 30
[tool.readiness.envs.staging.vars]
github_repo = "owner/app"
branch = "develop"
[tool.readiness.envs.staging.thresholds]
a11y_serious_max = 4

[tool.readiness.envs.production]
extends = "staging"
base_url = "https://example.test"
[tool.readiness.envs.production.vars]
branch = "main"
""",
    )
    production = load(tmp_path).resolve("production", environ={})
    assert production.base_url == "https://example.test"
    assert production.timeout == 30
    assert dict(production.vars) == {"github_repo": "owner/app", "branch": "main"}
    assert production.thresholds["a11y_serious_max"] == 4


def test_variables_are_interpolated_with_defaults(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.readiness.envs.staging]
base_url = "https://${HOST}/app"
database_url = "${DB_URL:-postgresql://localhost/app}"
[tool.readiness.envs.staging.vars]
token = "${TOKEN}"
""",
    )
    env = load(tmp_path).resolve(
        "staging", environ={"HOST": "staging.test", "TOKEN": "t0ken-value"}
    )
    assert env.base_url == "https://staging.test/app"
    assert env.database_url == "postgresql://localhost/app"
    assert env.vars["token"] == "t0ken-value"
    assert env.secrets == {"staging.test", "t0ken-value"}


def test_a_missing_variable_fails_only_where_it_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.readiness.envs.staging]
base_url = "https://staging.test"
database_url = "${STAGING_DB_URL}"
""",
    )
    env = load(tmp_path).resolve("staging", environ={})
    assert env.base_url == "https://staging.test"
    with pytest.raises(MissingVariable, match="STAGING_DB_URL is not set"):
        _ = env.database_url


def test_variables_named_public_are_not_secrets(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.readiness.envs.staging]
base_url = "${STAGING_URL}"
public = ["STAGING_URL"]
""",
    )
    env = load(tmp_path).resolve("staging", environ={"STAGING_URL": "https://s.test"})
    assert env.secrets == frozenset()


def test_the_password_of_every_url_or_dsn_value_is_a_secret(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.readiness.envs.staging]
database_url = "${STAGING_DB_URL}"
base_url = "https://deploy:literal-pw@staging.test"
public = ["PUBLIC_DSN"]
[tool.readiness.envs.staging.vars]
public_dsn = "${PUBLIC_DSN}"
""",
    )
    environ = {
        "STAGING_DB_URL": "postgresql://app:Sup3r secretpw@db.test:5432/app",
        "PUBLIC_DSN": "host=db.test password=pub-pw-1 user=app",
    }
    env = load(tmp_path).resolve("staging", environ=environ)
    assert env.secrets == {environ["STAGING_DB_URL"], "Sup3r secretpw", "literal-pw", "pub-pw-1"}


def test_readiness_toml_is_read_at_the_rootdir(tmp_path: Path) -> None:
    write(tmp_path, '[envs.qa]\nbase_url = "https://qa.test"\n', name="readiness.toml")
    config = load(tmp_path)
    assert config.source == tmp_path / "readiness.toml"
    assert config.resolve("qa", environ={}).base_url == "https://qa.test"


def test_the_local_environment_always_exists(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert "local" in config.envs
    assert config.resolve("local", environ={}).workspace == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[envs.staging\n", "malformed TOML"),
        ("[tool.readiness]\nchecklst = 'checks'\n", "unknown key tool.readiness.checklst"),
        (
            "[tool.readiness.envs.staging]\ntimeout = 'soon'\n",
            "tool.readiness.envs.staging.timeout must be a number of seconds, got str",
        ),
        (
            "[tool.readiness.envs.staging]\nbase_url = 3\n",
            "tool.readiness.envs.staging.base_url must be a URL string, got int",
        ),
        (
            "[tool.readiness.envs.staging]\nbase_urll = 'x'\n",
            "unknown key tool.readiness.envs.staging.base_urll",
        ),
        ("[tool.readiness]\nphases = ['gate']\n", "tool.readiness.phases must list each of"),
        (
            "[tool.readiness.envs.a]\nextends = 'b'\n[tool.readiness.envs.b]\nextends = 'a'\n",
            "makes a cycle",
        ),
    ],
    ids=[
        "toml",
        "unknown-key",
        "wrong-type",
        "wrong-type-str",
        "unknown-env-key",
        "phases",
        "cycle",
    ],
)
def test_bad_config_is_a_usage_error_naming_the_file_and_key(
    project: ReadinessProject, pytester: pytest.Pytester, text: str, message: str
) -> None:
    # pytest reads pyproject.toml itself and rejects malformed TOML there first.
    name = "readiness.toml" if "malformed" in message else "pyproject.toml"
    (pytester.path / name).write_text(text)
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    env = ["--env", "a"] if "cycle" in message else []
    result = project.run(*env)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: {pytester.path / name}*{message}*"])


def test_an_unknown_environment_is_a_usage_error_listing_the_known_ones(
    project: ReadinessProject,
) -> None:
    project.config(
        """
        [tool.readiness.envs.staging]
        base_url = "https://s.test"
        [tool.readiness.envs.production]
        base_url = "https://p.test"
        """
    )
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    result = project.run("--env", "prod")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["ERROR: unknown environment 'prod'; known environments: local, production, staging"]
    )


def test_a_bad_config_does_not_break_plain_pytest(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "pyproject.toml").write_text("[tool.readiness]\nchecklst = 1\n")
    pytester.makepyfile(test_own="def test_own(): pass")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


BAD_VALUES = {
    "timeout-zero": (".envs.staging]\ntimeout = 0", "envs.staging.timeout must be a positive"),
    "timeout-negative": (".envs.staging]\ntimeout = -1", "envs.staging.timeout must be a positive"),
    "timeout-nan": (".envs.staging]\ntimeout = nan", "envs.staging.timeout must be a positive"),
    "timeout-inf": (".envs.staging]\ntimeout = inf", "envs.staging.timeout must be a positive"),
    "timeout-bool": (".envs.staging]\ntimeout = true", "envs.staging.timeout must be a number"),
    "statement-timeout-zero": (
        ".envs.staging]\nstatement_timeout = 0",
        "envs.staging.statement_timeout must be a positive",
    ),
    "threshold-word": (
        '.envs.staging.thresholds]\na11y_serious_max = "four"',
        "envs.staging.thresholds.a11y_serious_max must be a number (0 or more), got str",
    ),
    "threshold-negative": (
        ".envs.staging.thresholds]\na11y_serious_max = -1",
        "envs.staging.thresholds.a11y_serious_max must be a number (0 or more), got -1",
    ),
    "threshold-nan": (
        ".envs.staging.thresholds]\nrop_tolerance = nan",
        "envs.staging.thresholds.rop_tolerance must be a number (0 or more), got nan",
    ),
    "threshold-bool": (
        ".envs.staging.thresholds]\ndashboard_tiles = true",
        "envs.staging.thresholds.dashboard_tiles must be a number (0 or more), got bool",
    ),
    "threshold-duration-zero": (
        ".envs.staging.thresholds]\nhealth_timeout_s = 0",
        "envs.staging.thresholds.health_timeout_s must be a positive, finite number (a duration)",
    ),
    "threshold-rate-as-percent": (
        ".envs.staging.thresholds]\nerror_rate_max = 5",
        "envs.staging.thresholds.error_rate_max must be a fraction from 0 to 1 (0.005 is 0.5%)",
    ),
    "env-budget-zero": (
        ".envs.staging.phase_budgets]\ngate = 0",
        "envs.staging.phase_budgets.gate must be a positive",
    ),
    "budget-nan": (".phase_budgets]\ngate = nan", "tool.readiness.phase_budgets.gate must be"),
    "history-keep-zero": ("]\nhistory_keep = 0", "tool.readiness.history_keep must be a whole"),
    "unsafe-env-name": (
        '.envs."../../escape"]\nbase_url = "https://x.test"',
        "environment name '../../escape'",
    ),
    "unknown-extends-unused": (
        '.envs.production]\nextends = "stagign"',
        "envs.production.extends names unknown environment 'stagign'",
    ),
    "unclosed-variable": (
        '.envs.staging]\nbase_url = "https://${HOST"',
        ".envs.staging.base_url: ${ at character 9 is not closed",
    ),
    "bad-variable-name": (
        '.envs.staging.vars]\ncommand = "echo ${1X}"',
        "envs.staging.vars.command: ${ at character 6 must be followed by",
    ),
}


@pytest.mark.parametrize(("table", "message"), BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_value_that_would_switch_a_limit_off_or_escape_is_a_usage_error_naming_file_and_key(
    project: ReadinessProject, pytester: pytest.Pytester, table: str, message: str
) -> None:
    """Under `timeout = 0` pytest-timeout would time nothing out; the run must not start."""
    (pytester.path / "pyproject.toml").write_text(f"[tool.readiness{table}\n")
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: {pytester.path / 'pyproject.toml'}: *{message}*"])
    assert not (pytester.path / "reports" / "readiness-local.json").exists()


def test_thresholds_of_zero_and_fractions_are_accepted(tmp_path: Path) -> None:
    """A maximum of 0 ("no serious violation at all") and a rate like 0.005 are real limits;
    a duration (`_s`, `_minutes`, `_hours`, `_days`) must be more than 0."""
    write(
        tmp_path,
        "[tool.readiness.envs.staging.thresholds]\n"
        "a11y_serious_max = 0\nerror_rate_max = 0.005\nrop_tolerance = 0\n"
        "backup_max_age_hours = 24\nhealth_timeout_s = 0.5\naccurate_skus_min = 12\n",
    )
    env = load(tmp_path).resolve("staging", environ={})
    expected = {
        "a11y_serious_max": 0,
        "error_rate_max": 0.005,
        "rop_tolerance": 0,
        "backup_max_age_hours": 24,
        "health_timeout_s": 0.5,
        "accurate_skus_min": 12,  # "rate" inside a word is not a rate
    }
    assert dict(env.thresholds) == expected


NESTED = '[tool.readiness.envs.staging]\nbase_url = "https://${A:-${B}}/x"\n'


def test_a_default_may_itself_name_a_variable(tmp_path: Path) -> None:
    write(tmp_path, NESTED)
    config = load(tmp_path)
    assert config.resolve("staging", environ={"A": "a.test"}).base_url == "https://a.test/x"
    assert config.resolve("staging", environ={"B": "b.test"}).base_url == "https://b.test/x"
    env = config.resolve("staging", environ={"B": "b.test"})
    assert env.secrets == {"b.test"}


def test_a_nested_default_that_is_not_set_is_a_missing_variable_not_its_literal(
    tmp_path: Path,
) -> None:
    write(tmp_path, NESTED)
    env = load(tmp_path).resolve("staging", environ={})
    with pytest.raises(MissingVariable, match="environment variable B is not set"):
        _ = env.base_url


def test_defaults_nest_and_may_be_empty(tmp_path: Path) -> None:
    write(
        tmp_path,
        "[tool.readiness.envs.staging.vars]\n"
        'deep = "${A:-${B:-${C:-plain}}}"\nempty = "[${A:-}]"\nbraces = "{x} ${A:-{y}}"\n',
    )
    env = load(tmp_path).resolve("staging", environ={})
    assert dict(env.vars) == {"deep": "plain", "empty": "[]", "braces": "{x} {y}"}


def test_a_readiness_toml_that_is_not_utf8_is_a_usage_error_naming_the_file(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "readiness.toml").write_bytes(
        '[envs.local]\nbase_url = "café"\n'.encode("latin-1")
    )
    project.checks('@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n')
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: {pytester.path / 'readiness.toml'}: not UTF-8 text*"])


def test_a_team_declares_its_own_categories_after_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.readiness]\ncategories = ["perf", "sec"]\n')
    config = load(tmp_path)
    assert config.categories == ("gate", "db", "infra", "feature", "docs", "perf", "sec")
    assert config.phases == config.categories


@pytest.mark.parametrize(
    ("categories", "message"),
    [
        ('["post"]', "'post' cannot be a category"),
        ('["skip"]', "'skip' cannot be a category"),
        ('["load test"]', "'load test' cannot be a category"),
        ('["db"]', "'db' is listed twice or is shipped"),
        ('["perf", "perf"]', "'perf' is listed twice"),
        ("[3]", "tool.readiness.categories must be a list of strings"),
    ],
)
def test_a_category_that_cannot_be_a_marker_is_refused(
    tmp_path: Path, categories: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.readiness]\ncategories = {categories}\n")
    with pytest.raises(pytest.UsageError, match=re.escape(message)):
        load(tmp_path)


def test_configured_phases_must_list_the_teams_categories_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.readiness]\ncategories = ["perf"]\n'
        'phases = ["gate", "db", "infra", "feature", "docs"]\n'
    )
    with pytest.raises(pytest.UsageError, match="docs, perf exactly once"):
        load(tmp_path)
