"""Plan what `readiness init` writes: each heading's phase, each line's check or sign-off.

Nothing is written here; `Plan` holds the text of every file and, per runbook line, whether
a check binds it or it stays manual, so the command can print, compare and then write.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_readiness.model import Category
from pytest_readiness.runbook import lines as runbook
from pytest_readiness.scaffold import source, templates
from pytest_readiness.scaffold.recognise import Recipe, recognise
from pytest_readiness.scaffold.repository import Repository

CHECKLIST = "checks"

# The phase a heading's words name, tried on the nearest heading first.
_HEADING_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bpost[- ]?(deploy|deployment|launch|release)\b|\bafter (the )?(deploy|release|launch)"
     r"|\bfirst (24 hours|hour|day|week)\b", runbook.POST),
    (r"\bdatabases?\b|\bdb\b|\bdata\b|\bmigrations?\b|\bschema\b|\bbackups?\b", Category.DB),
    (r"\bdocument|\bdocs\b|\brunbooks?\b|\breadme\b", Category.DOCS),
    (r"\bcode\b|\bquality\b|\btest|\bbuild|\blint|\bci\b|\bgates?\b", Category.GATE),
    (r"\bfeatures?\b|\bproduct\b|\bfunctional\b|\bux\b", Category.FEATURE),
    (r"\binfra|\boperations?\b|\bobservability\b|\bmonitoring\b|\bdeploy|\bplatform\b"
     r"|\bresilien|\bsecurity\b|\bcompliance\b|\bnetwork|\bcosts?\b|\bcloud\b|\breliab"
     r"|\bavailability\b|\bscal", Category.INFRA),
)  # fmt: skip

# The category a recognised kind belongs to, when the heading's words name none.
_KIND_CATEGORY: dict[str, str] = {
    **dict.fromkeys(
        ("build", "tests", "a11y", "lint", "format", "secrets", "command"), Category.GATE
    ),
    **dict.fromkeys(("migrations_applied", "dry_run", "rls", "integrity", "backup"), Category.DB),
    **dict.fromkeys(
        ("secrets_in_code", "github_actions", "deployed_version", "health", "monitoring"),
        Category.INFRA,
    ),
    **dict.fromkeys(("runbooks_fresh", "documents", "rollback_doc"), Category.DOCS),
}


@dataclass(frozen=True)
class PlannedLine:
    """One runbook line and what init does with it: a check (recipe) or a sign-off."""

    line: runbook.RunbookLine
    section: str
    recipe: Recipe | None = None
    check_file: str | None = None
    function: str | None = None
    why_manual: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading that holds checklist lines, the phase it maps to, and why."""

    title: str
    section: str
    why: str


@dataclass(frozen=True)
class Plan:
    """Every file init would write (relative path -> text) and what became of each line."""

    runbook_path: str
    config_path: str
    headings: tuple[Heading, ...]
    lines: tuple[PlannedLine, ...]
    files: dict[str, str] = field(default_factory=dict)
    orphans: tuple[runbook.RunbookLine, ...] = ()

    @property
    def bound(self) -> tuple[PlannedLine, ...]:
        """Lines a generated check binds."""
        return tuple(p for p in self.lines if p.recipe is not None)

    @property
    def manual(self) -> tuple[PlannedLine, ...]:
        """Lines of the pre-deploy checklist left for a human sign-off."""
        return tuple(p for p in self.lines if p.recipe is None and p.section != runbook.POST)

    @property
    def post(self) -> tuple[PlannedLine, ...]:
        """Lines after the deploy (`--stage=post`), all left manual by init."""
        return tuple(p for p in self.lines if p.section == runbook.POST)


def check_title(line: runbook.RunbookLine) -> str:
    """The marker title of the check generated for `line`: its plain text, which binds to it."""
    return line.text


def checklist_lines(book: runbook.Runbook) -> tuple[runbook.RunbookLine, ...]:
    """The lines every run lists: task lines and required steps (optional steps are left out)."""
    return tuple(line for line in book.lines if not line.optional)


def heading_sections(lines: Sequence[runbook.RunbookLine], repo: Repository) -> tuple[Heading, ...]:
    """Each nearest heading holding lines, mapped by the defaults, its words, or its lines."""
    found: dict[str, list[runbook.RunbookLine]] = {}
    for line in lines:
        if line.heading_path:
            found.setdefault(line.heading_path[-1], []).append(line)
    return tuple(_heading(title, under, repo) for title, under in found.items())


def _heading(title: str, under: list[runbook.RunbookLine], repo: Repository) -> Heading:
    first = under[0]
    if first.section is not None:
        return Heading(title, first.section, "the default mapping")
    for heading in reversed(first.heading_path):
        for pattern, section in _HEADING_WORDS:
            if re.search(pattern, heading, re.IGNORECASE):
                return Heading(title, str(section), f"the heading {heading!r} says so")
    kinds = Counter(
        _KIND_CATEGORY.get(recipe.kind, Category.FEATURE)
        for recipe in (recognise(line.text, repo) for line in under)
        if recipe is not None
    )
    if kinds:
        return Heading(title, str(kinds.most_common(1)[0][0]), "most of its lines are")
    return Heading(title, str(Category.GATE), "no word names a phase: adjust")


def make_plan(book: runbook.Runbook, runbook_path: str, repo: Repository, config_path: str) -> Plan:
    """Recognise each line and group the checks per heading into files (config comes after)."""
    lines = checklist_lines(book)
    headings = heading_sections(lines, repo)
    sections = {h.title: h.section for h in headings}
    planned = _plan_lines(lines, sections, repo)
    return Plan(
        runbook_path,
        config_path,
        headings,
        planned,
        {**dict(_check_files(planned)), f"{CHECKLIST}/README.md": _readme(planned)},
        tuple(line for line in lines if not line.heading_path),
    )


def _plan_lines(
    lines: Sequence[runbook.RunbookLine], sections: dict[str, str], repo: Repository
) -> tuple[PlannedLine, ...]:
    planned: list[PlannedLine] = []
    taken: dict[str, runbook.RunbookLine] = {}
    names: set[tuple[str, str]] = set()
    for line in lines:
        section = sections.get(line.heading_path[-1], "") if line.heading_path else ""
        planned.append(_plan_line(line, section, repo, taken, names))
    return tuple(planned)


def _plan_line(
    line: runbook.RunbookLine,
    section: str,
    repo: Repository,
    taken: dict[str, runbook.RunbookLine],
    names: set[tuple[str, str]],
) -> PlannedLine:
    if section in ("", runbook.POST, runbook.IGNORE):
        return PlannedLine(line, section, why_manual="after the deploy" if section else "")
    if line.key in taken:
        first = taken[line.key]
        why = f"same text as line {first.line_number}, whose check binds first"
        return PlannedLine(line, section, why_manual=why)
    recipe = recognise(line.text, repo)
    if recipe is None:
        return PlannedLine(line, section, why_manual="no probe recognises its words")
    taken[line.key] = line
    check_file = f"{CHECKLIST}/test_{_slug(line.heading_path[-1], 40)}.py"
    function = _unique(f"test_{_slug(line.text, 48)}", check_file, names)
    return PlannedLine(line, section, recipe, check_file, function)


def _readme(planned: Sequence[PlannedLine]) -> str:
    """The checklist folder's guide: which lines are automated, how to take the others."""
    rows = [
        "# The readiness checklist",
        "",
        "`readiness init` wrote one check per runbook line it recognised (each file is one",
        "heading). `pytest --readiness` runs them; docs/init.md says what init recognises.",
        "",
        "Every other line is **manual**: the report lists it as awaiting sign-off (blocking",
        "unless the environment sets `manual_blocking = false`). For each one, either record",
        "the approval for the commit checked out:",
        "",
        '    readiness sign-off "<the line>" --env staging --by "<name>" --role "<role>"',
        "",
        "or automate it: add a test here marked with its category and the line's text,",
        '`@pytest.mark.gate("<the line>")` (docs/writing-checks.md).',
        "",
        "## Manual lines",
        "",
    ]
    manual = [p for p in planned if p.recipe is None]
    rows += [_readme_row(p) for p in manual] or ["(none)"]
    return "\n".join(rows) + "\n"


def _readme_row(item: PlannedLine) -> str:
    when = " (after the deploy: `--stage=post`)" if item.section == runbook.POST else ""
    return f"- line {item.line.line_number}: {item.line.text}{when}"


def _slug(text: str, limit: int) -> str:
    words = re.findall(r"[a-z0-9]+", runbook.normalise(re.sub(r"\(.*?\)|\[|\]", " ", text)))
    slug = "_".join(words)[:limit].strip("_")
    return slug or "line"


def _unique(name: str, check_file: str, names: set[tuple[str, str]]) -> str:
    candidate, number = name, 2
    while (check_file, candidate) in names:
        candidate, number = f"{name}_{number}", number + 1
    names.add((check_file, candidate))
    return candidate


def _check_files(planned: Sequence[PlannedLine]) -> list[tuple[str, str]]:
    by_file: dict[str, list[PlannedLine]] = {}
    for item in planned:
        if item.check_file:
            by_file.setdefault(item.check_file, []).append(item)
    return [(name, _check_module(items)) for name, items in by_file.items()]


def _check_module(items: Sequence[PlannedLine]) -> str:
    heading = items[0].line.heading_path[-1]
    used = [templates.TEMPLATES[item.recipe.kind] for item in items if item.recipe]
    about = (
        f"Heading: {json.dumps(heading, ensure_ascii=False)}. Each marker's title is the "
        "runbook line it checks. Adjust a check through the setting its comment names, under "
        "[tool.readiness.envs.<env>.vars] (or `.thresholds`)."
    )
    header = (
        '"""Checks `readiness init` wrote for one heading of the runbook.\n\n'
        + textwrap.fill(about, source.LINE_LENGTH, break_long_words=False)
        + '\n"""\n'
    )
    imports = _import_blocks([imp for template in used for imp in template.imports])
    checks = "\n".join(_check_source(item) for item in items)
    return source.wrap(f"{header}\n{imports}\n\n{checks}")


def _import_blocks(imports: Sequence[str]) -> str:
    """Import lines sorted and grouped as isort does in the team's repository.

    There pytest_readiness is a third-party package, in one block with pytest and psycopg.
    """
    modules = sorted({imp for imp in imports if imp.startswith("import ")} | {"import pytest"})
    names: dict[str, set[str]] = {}
    for imp in imports:
        if imp.startswith("from "):
            module, _, listed = imp.removeprefix("from ").partition(" import ")
            names.setdefault(module, set()).update(n.strip() for n in listed.split(","))
    ours = [_from_import(module, sorted(names[module])) for module in sorted(names)]
    stdlib = [m for m in modules if m not in _THIRD_PARTY]
    third = [m for m in modules if m in _THIRD_PARTY]
    third_party = [*third, *ours]
    blocks = [
        "from __future__ import annotations",
        *("\n".join(b) for b in (stdlib, third_party) if b),
    ]
    return "\n\n".join(blocks)


def _from_import(module: str, names: Sequence[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 88:
        return line
    listed = "".join(f"    {name},\n" for name in names)
    return f"from {module} import (\n{listed})"


_THIRD_PARTY = frozenset(("import psycopg", "import pytest"))


def _check_source(item: PlannedLine) -> str:
    recipe = item.recipe
    assert recipe is not None and item.function is not None
    template = templates.TEMPLATES[recipe.kind]
    settings = ", ".join(recipe.settings) if recipe.settings else "none"
    comment = textwrap.fill(
        f"Checks: {recipe.what}. Adjust: {settings}.",
        source.LINE_LENGTH,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return (
        f"\n{comment}\n"
        f"@pytest.mark.{item.section}({json.dumps(check_title(item.line), ensure_ascii=False)})\n"
        f"def {item.function}({', '.join(template.fixtures)}):\n"
        + template.body.format(**recipe.values)
    )
