"""Run `readiness init`: plan, refuse to overwrite (showing the change), write, summarise.

Writing is all or nothing: if any file init would write exists (or pyproject.toml already
has `[tool.readiness]`), nothing is written unless `force` is set, and the message shows a
diff of what would change.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.runbook import lines as runbook
from pytest_readiness.scaffold import config_text, repository
from pytest_readiness.scaffold.plan import CHECKLIST, Plan, PlannedLine, make_plan

_READINESS_TABLE = re.compile(r"^\s*\[\[?\s*tool\.readiness\s*[.\]]")
_ANY_TABLE = re.compile(r"^\s*\[")
_RUNBOOK_NAMES = ("runbook.md", "RUNBOOK.md", "docs/runbook.md", "docs/RUNBOOK.md")


class InitRefused(Exception):
    """init cannot do what was asked (no runbook, unreadable, files exist); says why."""


@dataclass(frozen=True)
class Written:
    """What one init run wrote (or would have written), and its summary for the terminal."""

    plan: Plan
    paths: tuple[str, ...]
    message: str


def init(root: Path, runbook_arg: str | None, *, force: bool = False) -> Written:
    """Write the config and check stubs for the runbook into the repository at `root`."""
    path = _runbook_path(root, runbook_arg)
    try:
        book = runbook.load(path)
    except runbook.UnreadableRunbook as exc:
        raise InitRefused(str(exc)) from None
    repo = repository.inspect(root)
    config_name = _config_name(root)
    plan = make_plan(book, _relative(path, root), repo, config_name)
    block = config_text.render(plan, repo, pyproject=config_name == "pyproject.toml")
    contents = {**plan.files, config_name: _config_content(root / config_name, block)}
    clashes = _clashes(root, contents, config_name)
    if clashes and not force:
        raise InitRefused(_refusal(root, contents, clashes))
    others = _other_checks(root, contents)
    for name, text in contents.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    message = summary(plan, tuple(contents))
    if others:
        message += (
            f"\nnote: {CHECKLIST}/ also holds {', '.join(others)}: a line bound by one of "
            "them and by a new check is a double binding (exit 4); delete one of the two"
        )
    return Written(plan, tuple(contents), message)


def _other_checks(root: Path, contents: dict[str, str]) -> list[str]:
    folder = root / CHECKLIST
    found = sorted(folder.rglob("test_*.py")) if folder.is_dir() else []
    names = [path.relative_to(root).as_posix() for path in found]
    return [name for name in names if name not in contents]


def _runbook_path(root: Path, given: str | None) -> Path:
    if given:
        path = Path(given) if Path(given).is_absolute() else root / given
        if not path.is_file():
            raise InitRefused(f"runbook {given} does not exist ({path})")
        return path.resolve()
    found = [root / name for name in _RUNBOOK_NAMES if (root / name).is_file()]
    if not found:
        raise InitRefused(
            "no runbook given and none found (looked for "
            + ", ".join(_RUNBOOK_NAMES)
            + "): run `readiness init path/to/runbook.md`"
        )
    return found[0].resolve()


def _relative(path: Path, root: Path) -> str:
    root = root.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _config_name(root: Path) -> str:
    """pyproject.toml when the repository has one (and no readiness.toml), else readiness.toml."""
    if (root / "readiness.toml").is_file() or not (root / "pyproject.toml").is_file():
        return "readiness.toml"
    return "pyproject.toml"


def _config_content(path: Path, block: str) -> str:
    """The config file's new text: pyproject keeps everything but its old readiness tables."""
    if path.name != "pyproject.toml":
        return block
    kept = _without_readiness_tables(path.read_text(encoding="utf-8"))
    return kept.rstrip("\n") + "\n\n" + block if kept.strip() else block


def _without_readiness_tables(text: str) -> str:
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if _ANY_TABLE.match(line):
            inside = bool(_READINESS_TABLE.match(line))
        if not inside:
            kept.append(line)
    return "".join(kept)


def _clashes(root: Path, contents: dict[str, str], config_name: str) -> list[str]:
    clashes = []
    for name in contents:
        target = root / name
        if not target.exists():
            continue
        if name != "pyproject.toml" or _has_readiness_table(target):
            clashes.append(name)
    return clashes


def _has_readiness_table(path: Path) -> bool:
    return any(_READINESS_TABLE.match(line) for line in path.read_text("utf-8").splitlines())


def _refusal(root: Path, contents: dict[str, str], clashes: list[str]) -> str:
    rows = [
        f"nothing written: {', '.join(clashes)} already exist"
        f"{'s' if len(clashes) == 1 else ''}; run again with --force to overwrite. "
        "What would change:"
    ]
    for name in clashes:
        old = (root / name).read_text(encoding="utf-8").splitlines(keepends=True)
        new = contents[name].splitlines(keepends=True)
        diff = difflib.unified_diff(old, new, f"{name} (now)", f"{name} (init)")
        rows.append("".join(diff).rstrip("\n") or f"{name}: unchanged")
    return "\n".join(rows)


def summary(plan: Plan, paths: tuple[str, ...]) -> str:
    """What init wrote and what each line became: checks, manual lines with how to sign off."""
    rows = [f"readiness init: {plan.runbook_path}: {_lines(len(plan.lines))} to check"]
    rows += [f"  wrote {name}" for name in paths]
    rows.append(
        f"bound: {_lines(len(plan.bound))} to checks; manual: {_lines(len(plan.manual))}; "
        f"after the deploy (--stage=post): {_lines(len(plan.post))}"
    )
    if plan.manual:
        rows.append(
            'manual lines: record each approval with `readiness sign-off "<line>" --env <env> '
            "--by <name> --role <role>`, or automate it with a check in checks/ marked with "
            "the line's text (docs/writing-checks.md):"
        )
        rows += [_manual_row(item) for item in plan.manual]
    rows += [
        f"  line {line.line_number} {line.text!r} is under no heading: add a heading and map it"
        for line in plan.orphans
    ]
    rows.append("next: pytest --readiness")
    return "\n".join(rows)


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _manual_row(item: PlannedLine) -> str:
    heading = item.line.heading_path[-1] if item.line.heading_path else "no heading"
    text = item.line.text if len(item.line.text) <= 90 else item.line.text[:89] + "\u2026"
    return f"  line {item.line.line_number} [{heading}] {text} ({item.why_manual})"
