"""Which part of the full checklist a run executes.

A readiness run always collects the whole checklist folder, so the report knows every
check. What the command line narrows the run to (paths and node ids, `--ignore`, `-m`, `-k`,
`--deselect`, `--lf`, `--sw`) only decides which items run: the rest are reported
`not-selected`, and such a partial run is never GO. Paths and `--ignore` are taken over
from pytest here and applied to the collected items; the options pytest itself deselects by
are only named, and what they removed is read off the final item list.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytest's own narrowing options: (option dest, how the user wrote it).
_NAMED_OPTIONS = (
    ("keyword", "-k"),
    ("markexpr", "-m"),
    ("deselect", "--deselect"),
    ("lf", "--lf"),
    ("stepwise", "--sw"),
)


@dataclass(frozen=True)
class PathArgument:
    """One path or node id from the command line: `checks/test_a.py::TestX::test_y[1]`."""

    text: str
    path: Path
    parts: tuple[str, ...]

    def matches(self, item_path: Path, nodeid: str) -> bool:
        if item_path != self.path and self.path not in item_path.parents:
            return False
        item_parts = nodeid.split("::")[1:]
        if len(item_parts) < len(self.parts):
            return False
        return all(
            _part_matches(want, got) for want, got in zip(self.parts, item_parts, strict=False)
        )


@dataclass(frozen=True)
class Selection:
    """The user's narrowing of the checklist, as taken from the command line."""

    paths: tuple[PathArgument, ...] = ()
    ignored: tuple[Path, ...] = ()
    ignored_globs: tuple[str, ...] = ()
    described: tuple[str, ...] = ()

    def keeps(self, item_path: Path, nodeid: str) -> bool:
        """False for an item the paths do not name or `--ignore` excludes."""
        if self.paths and not any(arg.matches(item_path, nodeid) for arg in self.paths):
            return False
        if any(item_path == path or path in item_path.parents for path in self.ignored):
            return False
        return not any(fnmatch.fnmatch(str(item_path), glob) for glob in self.ignored_globs)


def take_selection(config: pytest.Config, checklist: Path) -> Selection:
    """Make pytest collect the whole checklist and return what the user narrowed it to.

    Call from `pytest_configure` in `--readiness` mode; a path outside the checklist folder
    is a usage error.
    """
    given = config.args if config.args_source is pytest.Config.ArgsSource.ARGS else []
    invocation = config.invocation_params.dir
    paths = tuple(_path_argument(invocation, arg, checklist) for arg in given)
    if any(arg.path == checklist and not arg.parts for arg in paths):
        paths = ()  # the whole checklist was named
    ignore = [str(p) for p in config.getoption("ignore") or ()]
    ignore_glob = [str(g) for g in config.getoption("ignore_glob") or ()]
    config.option.ignore, config.option.ignore_glob = [], []
    config.args = [str(checklist)]
    described = [arg.text for arg in paths]
    for dest, flag in _NAMED_OPTIONS:
        described += _described(flag, config.getoption(dest, None))
    described += _described("--ignore", ignore) + _described("--ignore-glob", ignore_glob)
    return Selection(
        paths,
        tuple((invocation / p).resolve() for p in ignore),
        tuple(str(invocation / g) for g in ignore_glob),
        tuple(described),
    )


def _described(flag: str, value: object) -> list[str]:
    if not value:
        return []
    if value is True:
        return [flag]
    if isinstance(value, list | tuple):
        return [part for each in value for part in (flag, str(each))]
    return [flag, str(value)]


def _path_argument(invocation: Path, arg: str, checklist: Path) -> PathArgument:
    base, bracket, parametrization = arg.partition("[")
    location, *parts = base.split("::")
    if bracket and parts:
        parts[-1] += bracket + parametrization
    path = (invocation / location).resolve()
    if not path.exists():
        raise pytest.UsageError(f"file or directory not found: {arg}")
    if path != checklist and checklist not in path.parents:
        raise pytest.UsageError(
            f"{arg} is outside the checklist folder {checklist}: --readiness runs only the "
            "checklist (run plain pytest for other tests)"
        )
    return PathArgument(arg, path, tuple(parts))


def _part_matches(want: str, got: str) -> bool:
    """`test_y` names every parametrization of test_y; `test_y[1]` only that one."""
    return want == got or ("[" not in want and got.split("[", 1)[0] == want)
