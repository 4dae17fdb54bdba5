"""Load `[tool.readiness]` (or `readiness.toml`) once, validate it, resolve one environment.

Errors are `pytest.UsageError` naming the file and the key. Limits (timeouts, budgets) must
be positive and finite, since pytest-timeout reads 0 or a negative number as "no timeout".
Thresholds are finite numbers checked by name: durations (`_s`, `_hours`...) more than 0,
rates (`error_rate_max`) from 0 to 1, everything else 0 or more. Environment names become
file names, so they are limited to letters, digits, `.`, `_` and `-`.

`${VAR}` and `${VAR:-default}` are interpolated from the process environment; a default
may itself hold references (`${A:-${B}}`), and anything else after `${` is a usage error,
never left in a value as text. A missing variable is remembered, not raised, so only the
items that need that value fail (naming the variable, never a value).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.model import Category
from pytest_readiness.redact import credentials_in

DEFAULT_PHASES: tuple[str, ...] = tuple(str(c) for c in Category)
DEFAULT_ENV = "local"
DEFAULT_TIMEOUT = 60.0

_NUMBER = (int, float)

# key -> (accepted types, what the message says was expected)
TOP_LEVEL_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "checklist": ((str,), "a folder path string"),
    "reports": ((str,), "a folder path string"),
    "default_env": ((str,), "an environment name"),
    "phases": ((list,), "a list of category names"),
    "categories": ((list,), "a list of the team's own category names"),
    "envs": ((dict,), "a table of environments"),
    "runbook": ((str,), "a Markdown file path"),
    "sections": ((dict,), "a table of runbook heading = category"),
    "signoffs": ((str,), "a TOML file path"),
    "waivers": ((str,), "a TOML file path"),
    "phase_budgets": ((dict,), "a table of phase = seconds"),
    "history_keep": ((int,), "an integer"),
}

ENV_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "extends": ((str,), "an environment name"),
    "base_url": ((str,), "a URL string"),
    "database_url": ((str,), "a PostgreSQL URL string"),
    "workspace": ((str,), "a folder path string"),
    "timeout": (_NUMBER, "a number of seconds"),
    "statement_timeout": (_NUMBER, "a number of seconds"),
    "public": ((list,), "a list of environment variable names"),
    "vars": ((dict,), "a table of values for checks"),
    "thresholds": ((dict,), "a table of numbers"),
    "phase_budgets": ((dict,), "a table of phase = seconds"),
    "health_paths": ((list,), "a list of URL paths"),
    "allow_writes": ((bool,), "true or false"),
    "allow_test_alerts": ((bool,), "true or false"),
    "allow_dry_run": ((bool,), "true or false"),
    "manual_blocking": ((bool,), "true or false"),
}

# Settings that bound how long something may take: 0 or less would switch the bound off.
POSITIVE_SECONDS = ("timeout", "statement_timeout")

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class MissingVariable(Exception):
    """A setting needs an environment variable that is not set."""

    def __init__(self, variable: str, key: str) -> None:
        super().__init__(f"environment variable {variable} is not set (needed by {key})")
        self.variable = variable
        self.key = key


@dataclass(frozen=True)
class Unresolved:
    """A setting whose `${VAR}` could not be interpolated."""

    variable: str
    key: str

    def fail(self) -> MissingVariable:
        return MissingVariable(self.variable, self.key)


class Settings(Mapping[str, Any]):
    """A read-only table of settings; reading an unresolved value raises `MissingVariable`."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        if isinstance(value, Unresolved):
            raise value.fail()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({sorted(self._values)})"


@dataclass(frozen=True)
class Environment:
    """One resolved target environment, as checks see it through `readiness_env`."""

    name: str
    root: Path
    settings: Settings
    secrets: frozenset[str] = field(default=frozenset(), repr=False)  # -l shows reprs

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level setting (raises `MissingVariable` if it needs an unset variable)."""
        return self.settings.get(key, default)

    def require(self, key: str) -> Any:
        """A setting the calling check cannot do without."""
        if key not in self.settings:
            raise MissingSetting(self.name, key)
        return self.settings[key]

    @property
    def base_url(self) -> str:
        return str(self.require("base_url"))

    @property
    def database_url(self) -> str:
        return str(self.require("database_url"))

    @property
    def workspace(self) -> Path:
        return (self.root / str(self.get("workspace", "."))).resolve()

    @property
    def timeout(self) -> float:
        return float(self.get("timeout", DEFAULT_TIMEOUT))

    @property
    def vars(self) -> Settings:
        return _table(self.settings, "vars")

    @property
    def thresholds(self) -> Settings:
        return _table(self.settings, "thresholds")

    @property
    def public(self) -> tuple[str, ...]:
        return tuple(self.get("public", ()))


def _table(settings: Settings, key: str) -> Settings:
    value = settings.get(key, {})
    return value if isinstance(value, Settings) else Settings(value)


class MissingSetting(Exception):
    """A check needs a setting the environment does not define."""

    def __init__(self, env: str, key: str) -> None:
        super().__init__(f"environment {env!r} does not set {key!r}")


@dataclass(frozen=True)
class ReadinessConfig:
    """The validated `[tool.readiness]` table."""

    source: Path | None
    root: Path
    checklist: Path
    reports: Path
    default_env: str
    phases: tuple[str, ...]
    envs: Mapping[str, Mapping[str, Any]]
    raw: Mapping[str, Any] = field(default_factory=dict)
    # The shipped categories and the team's own (`categories`); each is a marker.
    categories: tuple[str, ...] = DEFAULT_PHASES

    def phase_of(self, category: str) -> int:
        """1-based run order of a category."""
        return self.phases.index(category) + 1

    def resolve(self, name: str, environ: Mapping[str, str] | None = None) -> Environment:
        """Merge `extends` chains and interpolate `${VAR}` from `environ`."""
        if name not in self.envs:
            known = ", ".join(sorted(self.envs)) or "(none)"
            raise pytest.UsageError(f"unknown environment {name!r}; known environments: {known}")
        merged = self.chain(name)
        environ = os.environ if environ is None else environ
        public = set(merged.get("public", ()))
        secrets: set[str] = set()
        values = {
            key: _interpolate(value, f"envs.{name}.{key}", environ, public, secrets)
            for key, value in merged.items()
            if key != "extends"
        }
        # A password is secret however it got into the config, a public variable included.
        secrets.update(*(credentials_in(text) for text in _strings(values)))
        return Environment(name, self.root, Settings(values), frozenset(secrets))

    def chain(self, name: str) -> dict[str, Any]:
        """The environment's table with its `extends` chain merged in (usage error if broken)."""
        return self._merged(name, ())

    def _merged(self, name: str, seen: tuple[str, ...]) -> dict[str, Any]:
        if name in seen:
            chain = " -> ".join((*seen, name))
            raise pytest.UsageError(f"{self._where()}: envs.{name}.extends makes a cycle: {chain}")
        table = dict(self.envs[name])
        parent = table.get("extends")
        if parent is None:
            return table
        if parent not in self.envs:
            raise pytest.UsageError(
                f"{self._where()}: envs.{name}.extends names unknown environment {parent!r}"
            )
        merged = self._merged(parent, (*seen, name))
        for key, value in table.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return merged

    def _where(self) -> str:
        return str(self.source) if self.source else "[tool.readiness]"


def load(root: Path) -> ReadinessConfig:
    """Read and validate the readiness config found at `root`."""
    source, table, prefix = _read(root)
    where = f"{source}" if source else "[tool.readiness]"
    _check_keys(table, TOP_LEVEL_KEYS, where, prefix)
    envs = table.get("envs", {})
    for env_name, env_table in envs.items():
        _check_env(env_name, env_table, where, f"{prefix}envs.{env_name}")
    envs = {DEFAULT_ENV: {}, **envs}
    categories = (*DEFAULT_PHASES, *_own_categories(table.get("categories", []), where, prefix))
    phases = table.get("phases", list(categories))
    _check_phases(phases, categories, where, f"{prefix}phases")
    _check_numbers(table.get("phase_budgets", {}), where, f"{prefix}phase_budgets")
    if "history_keep" in table and table["history_keep"] < 1:
        raise pytest.UsageError(
            f"{where}: {prefix}history_keep must be a whole number of runs, 1 or more, "
            f"got {table['history_keep']!r}"
        )
    default_env = table.get("default_env", DEFAULT_ENV)
    loaded = ReadinessConfig(
        source=source,
        root=root,
        checklist=(root / table.get("checklist", "checks")).resolve(),
        reports=(root / table.get("reports", "reports")).resolve(),
        default_env=default_env,
        phases=tuple(phases),
        envs=envs,
        raw=table,
        categories=categories,
    )
    for env_name in envs:
        loaded.chain(env_name)  # an unknown `extends` or a cycle fails now, used or not
    return loaded


def _check_env(name: str, table: Any, where: str, key: str) -> None:
    """One `envs.<name>` table: a safe name, known keys, types, limits and `${...}` syntax."""
    if not _ENV_NAME.fullmatch(name):
        raise pytest.UsageError(
            f"{where}: environment name {name!r} ({key}) may use only letters, digits, '.', "
            "'_' and '-', start with a letter or digit, and be at most 64 characters"
        )
    if not isinstance(table, dict):
        raise pytest.UsageError(f"{where}: {key} must be a table")
    _check_keys(table, ENV_KEYS, where, f"{key}.")
    for limit in POSITIVE_SECONDS:
        if limit in table:
            _check_positive_seconds(table[limit], where, f"{key}.{limit}")
    _check_list_of_str(table.get("public", []), where, f"{key}.public")
    _check_list_of_str(table.get("health_paths", []), where, f"{key}.health_paths")
    _check_numbers(table.get("phase_budgets", {}), where, f"{key}.phase_budgets")
    _check_thresholds(table.get("thresholds", {}), where, f"{key}.thresholds")
    _check_templates(table, where, key)


def declared_categories(root: Path) -> tuple[str, ...]:
    """The team's own categories, read leniently: markers plain `pytest` must know too."""
    try:
        return load(root).categories[len(DEFAULT_PHASES) :]
    except pytest.UsageError:
        return ()


def checklist_folder(root: Path) -> Path:
    """The checklist folder, read leniently: plain `pytest` must not fail on a bad config."""
    try:
        return load(root).checklist
    except pytest.UsageError:
        return (root / "checks").resolve()


def _read(root: Path) -> tuple[Path | None, dict[str, Any], str]:
    standalone = root / "readiness.toml"
    if standalone.is_file():
        return standalone, _parse(standalone), ""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _parse(pyproject).get("tool", {}).get("readiness")
        if table is not None:
            if not isinstance(table, dict):
                raise pytest.UsageError(f"{pyproject}: tool.readiness must be a table")
            return pyproject, table, "tool.readiness."
    return None, {}, ""


def _parse(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise pytest.UsageError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise pytest.UsageError(f"{path}: not UTF-8 text (offset {exc.start})") from None


def _check_keys(
    table: Mapping[str, Any],
    schema: Mapping[str, tuple[tuple[type, ...], str]],
    where: str,
    prefix: str,
) -> None:
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise pytest.UsageError(f"{where}: unknown key {prefix}{key} (known keys: {known})")
        types, expected = schema[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise pytest.UsageError(
                f"{where}: {prefix}{key} must be {expected}, got {type(value).__name__}"
            )


def _check_list_of_str(values: list[Any], where: str, key: str) -> None:
    if not all(isinstance(v, str) for v in values):
        raise pytest.UsageError(f"{where}: {key} must be a list of strings")


def _check_numbers(table: Mapping[str, Any], where: str, key: str) -> None:
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            raise pytest.UsageError(f"{where}: {key}.{name} must be a number of seconds")
        _check_positive_seconds(value, where, f"{key}.{name}")


def _check_positive_seconds(value: float, where: str, key: str) -> None:
    """0, a negative number, NaN or infinity would turn a time limit off."""
    if not (math.isfinite(value) and value > 0):
        raise pytest.UsageError(
            f"{where}: {key} must be a positive, finite number of seconds, got {value!r}"
        )


def _check_thresholds(table: Mapping[str, Any], where: str, key: str) -> None:
    """Thresholds are limits checks compare with; what a valid one is depends on its name."""
    for name, value in table.items():
        expected = _threshold_rule(name)
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            got = type(value).__name__
        elif not (math.isfinite(value) and expected.accepts(value)):
            got = repr(value)
        else:
            continue
        raise pytest.UsageError(f"{where}: {key}.{name} must be {expected.text}, got {got}")


@dataclass(frozen=True)
class ThresholdRule:
    """The range a threshold's value must lie in (it is finite in every case)."""

    text: str
    low: float
    high: float = math.inf
    low_included: bool = True

    def accepts(self, value: float) -> bool:
        above = value >= self.low if self.low_included else value > self.low
        return above and value <= self.high


DURATION = ThresholdRule("a positive, finite number (a duration)", 0, low_included=False)
FRACTION = ThresholdRule("a fraction from 0 to 1 (0.005 is 0.5%)", 0, 1)
LIMIT = ThresholdRule("a number (0 or more)", 0)  # a maximum of 0 means "none at all"
_DURATION_SUFFIXES = ("_s", "_seconds", "_minutes", "_hours", "_days")


def _threshold_rule(name: str) -> ThresholdRule:
    """By name: `*_s`/`_minutes`/`_hours`/`_days` are durations, a `rate` word a fraction."""
    if name.endswith(_DURATION_SUFFIXES):
        return DURATION
    if "rate" in name.split("_"):
        return FRACTION
    return LIMIT


def _check_templates(value: Any, where: str, key: str) -> None:
    """Every `${...}` in the table's strings parses, so none can reach a check as text."""
    if isinstance(value, dict):
        for name, inner in value.items():
            _check_templates(inner, where, f"{key}.{name}")
    elif isinstance(value, list):
        for inner in value:
            _check_templates(inner, where, key)
    elif isinstance(value, str):
        try:
            _template(value)
        except TemplateError as exc:
            raise pytest.UsageError(f"{where}: {key}: {exc}") from None


def _check_phases(phases: list[Any], categories: tuple[str, ...], where: str, key: str) -> None:
    known = set(categories)
    unknown = [p for p in phases if p not in known]
    if unknown or len(set(phases)) != len(phases) or set(phases) != known:
        raise pytest.UsageError(
            f"{where}: {key} must list each of {', '.join(categories)} exactly once"
        )


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a resolved setting (tables and lists walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for each in value.values():
            yield from _strings(each)
    elif isinstance(value, list):
        for each in value:
            yield from _strings(each)


# Words a category cannot be: section values with another meaning, and pytest's own marks.
_RESERVED_CATEGORIES = frozenset(
    {"post", "ignore", "skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings"}
)


def _own_categories(value: Any, where: str, prefix: str) -> tuple[str, ...]:
    """The team's `categories`: marker names, new, each once."""
    key = f"{prefix}categories"
    _check_list_of_str(value, where, key)
    for name in value:
        if not name.isidentifier() or name in _RESERVED_CATEGORIES or name.startswith("readiness"):
            raise pytest.UsageError(
                f"{where}: {key}: {name!r} cannot be a category; a category is a marker name "
                "(letters, digits, '_'), not post, ignore or one of pytest's own marks"
            )
        if name in DEFAULT_PHASES or value.count(name) > 1:
            raise pytest.UsageError(f"{where}: {key}: {name!r} is listed twice or is shipped")
    return tuple(value)


def _interpolate(
    value: Any, key: str, environ: Mapping[str, str], public: set[str], secrets: set[str]
) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{key}.{k}", environ, public, secrets) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, key, environ, public, secrets) for v in value]
    if not isinstance(value, str):
        return value
    try:
        parts = _template(value)
    except TemplateError as exc:
        raise pytest.UsageError(f"{key}: {exc}") from None
    missing: list[str] = []
    result = _expand(parts, environ, public, secrets, missing)
    return Unresolved(missing[0], key) if missing else result


class TemplateError(ValueError):
    """A `${` that does not start `${NAME}` or `${NAME:-default}`."""


@dataclass(frozen=True)
class Reference:
    """`${name}`, or `${name:-default}` whose default may hold references itself."""

    name: str
    default: tuple[str | Reference, ...] | None = None


def _template(text: str) -> tuple[str | Reference, ...]:
    """Split a setting into literal text and `${...}` references."""
    parts, _ = _parse_parts(text, 0, inside_default=False)
    return parts


def _parse_parts(
    text: str, start: int, *, inside_default: bool
) -> tuple[tuple[str | Reference, ...], int]:
    """Parts from `start` to the end, or (in a default) to its closing `}`; and where it ended.

    Plain braces inside a default pair up, so `${A:-{x}}` has the default `{x}`.
    """
    parts: list[str | Reference] = []
    literal: list[str] = []
    depth, index = 0, start
    while index < len(text):
        if text.startswith("${", index):
            reference, index = _parse_reference(text, index)
            parts += ["".join(literal), reference]
            literal = []
            continue
        char = text[index]
        if inside_default and char == "}":
            if depth == 0:
                break
            depth -= 1
        elif inside_default and char == "{":
            depth += 1
        literal.append(char)
        index += 1
    parts.append("".join(literal))
    return tuple(part for part in parts if part != ""), index


def _parse_reference(text: str, start: int) -> tuple[Reference, int]:
    """The reference starting at `start` (its `${`) and the index just after its `}`."""
    where = f"${{ at character {start + 1}"
    name = _VARIABLE_NAME.match(text, start + 2)
    if name is None:
        raise TemplateError(f"{where} must be followed by a variable name, then }} or :-default")
    index = name.end()
    if text.startswith("}", index):
        return Reference(name.group()), index + 1
    if not text.startswith(":-", index):
        if index >= len(text):
            raise TemplateError(f"{where} is not closed")
        raise TemplateError(f"{where} must be followed by a variable name, then }} or :-default")
    default, index = _parse_parts(text, index + 2, inside_default=True)
    if index >= len(text):
        raise TemplateError(f"{where} is not closed")
    return Reference(name.group(), default), index + 1


def _expand(
    parts: tuple[str | Reference, ...],
    environ: Mapping[str, str],
    public: set[str],
    secrets: set[str],
    missing: list[str],
) -> str:
    """The text with every reference replaced; unset variables without a default go to `missing`."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        found = environ.get(part.name, "")
        if found:
            if part.name not in public:
                secrets.add(found)
            out.append(found)
        elif part.default is not None:
            out.append(_expand(part.default, environ, public, secrets, missing))
        elif part.name not in environ:
            missing.append(part.name)
    return "".join(out)
