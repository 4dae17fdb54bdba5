"""Read a Markdown runbook's checklist and bind checks to its lines: the runbook is the truth.

Every task-list line (`- [ ] ...`, `- [x] ...`) under a heading becomes a `RunbookLine`,
and so does every numbered step that says "required" ("5. CEO approval required").
Other numbered steps, and bullets nested under a numbered step, are optional lines: listed
only when a check automates them.
Headings map to a category (`gate`, `db`, ...), to the stage `post`, or to `ignore`
through the `sections` table; the nearest mapped heading above a line decides, and that
heading is the line's phase.

A line's text is its rendered plain text: emphasis and code marks dropped, links as their
text, HTML comments and tags removed, whitespace collapsed; `markdown` keeps what the team
wrote. Matching a title to a line renders the title the same way and ignores whitespace,
case, trailing punctuation, inline code backticks and `**`. It also ignores a trailing
parenthesised part that contains inline code, because runbooks append the command there:
the line "Build: PASSING (`npm run build` exit code 0)" is matched by the title
"Build: PASSING". A parenthesised part without inline code ("(none in code)") is part of
the title. When the same text is a line under two headings, a title names one of them by
heading path: "Back-end > Other (treat as last resort)".
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_readiness.model import Category

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

POST = "post"
IGNORE = "ignore"

DEFAULT_SECTIONS: Mapping[str, str] = {
    "Code Quality Gates": Category.GATE,
    "Database Readiness": Category.DB,
    "Infrastructure Readiness": Category.INFRA,
    "Feature Completeness": Category.FEATURE,
    "Documentation Completeness": Category.DOCS,
    # Approvals such as "CEO approval required" come last, after every automated phase.
    "Deployment Steps": Category.DOCS,
    # Verification and monitoring happen in production after the deploy: `--stage=post`.
    "Phase 4: Verification (30 min)": POST,
    "Phase 5: Monitoring (30 min)": POST,
    "Post-Deployment": POST,
}
ROLLBACK_HEADING = "Rollback Procedure"

SECTION_VALUES: tuple[str, ...] = (*(str(c) for c in Category), POST, IGNORE)
# Between the headings and the text of a title that names one of several identical lines.
HEADING_SEPARATOR = " > "

_TASK = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+|$)")
_REQUIRED = re.compile(r"(?<!\bnot )\brequired\b", re.IGNORECASE)
_TRAILING_CODE_PARENS = re.compile(r"\s*\([^()]*`[^()]*\)\s*$")
_TRAILING_PUNCTUATION = ".,;:!?"
# Characters that may start Markdown inline markup; a title without them is plain already.
_MARKUP = re.compile(r"[`*_\[\]<>&\\!]")


class RunbookError(Exception):
    """A problem with the runbook or with how checks bind to it."""


class UnreadableRunbook(RunbookError):
    """The runbook file is not Markdown text: not UTF-8, or binary."""


class SectionsError(RunbookError):
    """The `sections` table maps a heading to something that is not a category or stage."""


class UnknownTitle(RunbookError):
    """A check (or sign-off, or waiver) names a title that matches no runbook line."""

    def __init__(self, message: str, title: str, closest: RunbookLine | None) -> None:
        super().__init__(message)
        self.title = title
        self.closest = closest


class UnboundCheck(UnknownTitle):
    """A check's marker title matches no runbook line."""

    def __init__(self, check: Check, closest: RunbookLine | None, where: str) -> None:
        super().__init__(
            f"check {check.nodeid} is titled {check.title!r}, which matches no line of the "
            f"runbook {where}; {describe_closest(closest)}",
            check.title,
            closest,
        )
        self.check = check


class DoubleBinding(RunbookError):
    """Two different test functions claim the same runbook line."""

    def __init__(self, line: RunbookLine, checks: Sequence[Check]) -> None:
        functions = ", ".join(sorted({c.function_id for c in checks}))
        super().__init__(
            f"runbook line {line.line_number} {line.text!r} is bound to more than one test "
            f"function ({functions}); only parametrizations of one test may share a line"
        )
        self.line = line
        self.checks = tuple(checks)


class AmbiguousTitle(UnknownTitle):
    """A title (of a sign-off, waiver or check) matches several runbook lines."""

    def __init__(self, title: str, candidates: Sequence[str], where: str) -> None:
        listed = "; ".join(repr(name) for name in candidates)
        super().__init__(
            f"{title!r} is the text of {len(candidates)} lines of {where}; name one by its "
            f"heading path: {listed}",
            title,
            None,
        )
        self.candidates = tuple(candidates)


@dataclass(frozen=True)
class RunbookLine:
    """One checklist line of the runbook, where it sits, and what it maps to."""

    text: str
    heading_path: tuple[str, ...]
    line_number: int
    section: str | None = None
    checked: bool = False
    step: bool = False
    heading_levels: tuple[int, ...] = ()
    # A numbered step that does not say "required": listed only when a check automates it.
    optional: bool = False
    # The line as the team wrote it (Markdown, without the task box); `text` is its plain text.
    markdown: str = ""
    # How many headings of `heading_path` lead to the mapped one: the line's phase heading.
    phase_depth: int = 0
    # The headings as the team wrote them (Markdown); `heading_path` is their plain text.
    heading_markdown: tuple[str, ...] = ()

    @property
    def category(self) -> str | None:
        """The category the line belongs to, or None for post-deploy and unmapped lines."""
        return None if self.section in (None, POST, IGNORE) else self.section

    @property
    def phase_path(self) -> tuple[str, ...]:
        """The headings down to the nearest mapped one (all of them when none is mapped)."""
        return self.heading_path[: self.phase_depth] if self.phase_depth else self.heading_path

    @property
    def stage(self) -> str | None:
        """`pre` for category lines, `post` for post-deploy lines, None when unmapped."""
        if self.section == POST:
            return POST
        return "pre" if self.category else None

    @property
    def key(self) -> str:
        """The text as compared with check titles (from the Markdown: code marks count)."""
        return normalise(self.markdown or self.text)

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """Every form a title may match: the Markdown's key and the plain text's."""
        return frozenset({self.key, normalise(self.text)})

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "markdown": self.markdown or self.text,
            "heading_path": list(self.heading_path),
            "line": self.line_number,
            "section": self.section,
            "checked": self.checked,
            "step": self.step,
        }


@dataclass(frozen=True)
class Runbook:
    """All checklist lines of one runbook file, in file order."""

    source: Path | None
    lines: tuple[RunbookLine, ...]

    @property
    def where(self) -> str:
        return str(self.source) if self.source else "(text)"

    def checklist(
        self, stage: str | None = None, *, optional: bool = False
    ) -> tuple[RunbookLine, ...]:
        """Mapped lines (not ignored, not unmapped), optionally only those of one stage.

        Optional numbered steps are left out unless `optional` is set (binding sets it).
        """
        mapped = (
            line
            for line in self.lines
            if (line.stage is not None or line.optional) and (optional or not line.optional)
        )
        return tuple(line for line in mapped if stage is None or line.stage in (stage, None))

    def rollback_steps(self) -> tuple[str, ...]:
        """The numbered steps under the "Rollback Procedure" heading, in order."""
        key = _heading_key(ROLLBACK_HEADING)
        return tuple(
            line.text
            for line in self.lines
            if line.step and any(_heading_key(h) == key for h in line.heading_path)
        )

    @property
    def unmapped(self) -> tuple[RunbookLine, ...]:
        """Lines under no mapped (or ignored) heading: worth a warning, the runbook drifted."""
        return tuple(line for line in self.lines if line.section is None and not line.optional)

    def find(self, title: str, lines: Sequence[RunbookLine] | None = None) -> RunbookLine | None:
        """The first line the title names (its text, or heading path and text)."""
        found = resolve(title, self.checklist() if lines is None else lines)
        return found[0] if found else None

    def line_of_check(self, title: str, category: str | None = None) -> RunbookLine | None:
        """The line a check with this title and category binds to (see `bind`)."""
        return _line_for(Check(title, "", category), self.checklist(optional=True))

    def closest(self, title: str, lines: Sequence[RunbookLine] | None = None) -> RunbookLine | None:
        """The line most similar to `title` (difflib), for "did you mean" messages."""
        pool = self.checklist() if lines is None else lines
        return closest_line(title, pool)

    def require(self, title: str) -> RunbookLine:
        """The one line `title` names; `UnknownTitle` names the closest line, and
        `AmbiguousTitle` lists every line it could mean by heading path."""
        pool = self.checklist()
        found = resolve(title, pool)
        if len(found) == 1:
            return found[0]
        if found:
            raise AmbiguousTitle(title, [name_of(line, pool) for line in found], self.where)
        near = self.closest(title)
        raise UnknownTitle(
            f"{title!r} is not a checklist line of {self.where}; {describe_closest(near)}",
            title,
            near,
        )


def resolve(title: str, lines: Iterable[RunbookLine]) -> tuple[RunbookLine, ...]:
    """Every line `title` names: by its text, else by "Heading > ... > text".

    The headings of such a title must appear in the line's heading path in that order;
    the nearest one alone is usually enough.
    """
    pool = tuple(lines)
    key = normalise(title)
    found = tuple(line for line in pool if key in line.keys)
    if found or HEADING_SEPARATOR not in title:
        return found
    parts = title.split(HEADING_SEPARATOR)
    named: list[RunbookLine] = []
    for cut in range(1, len(parts)):
        headings = [_heading_key(part) for part in parts[:cut]]
        text = normalise(HEADING_SEPARATOR.join(parts[cut:]))
        named += (
            line
            for line in pool
            if text in line.keys and _under(line, headings) and line not in named
        )
    return tuple(named)


def name_of(line: RunbookLine, lines: Iterable[RunbookLine]) -> str:
    """The shortest title naming only `line`: its text, else nearest headings > text."""
    pool = tuple(lines)
    if resolve(line.text, pool) == (line,):
        return line.text
    for depth in range(1, len(line.heading_path) + 1):
        name = HEADING_SEPARATOR.join((*line.heading_path[-depth:], line.text))
        if resolve(name, pool) == (line,):
            return name
    return HEADING_SEPARATOR.join((*line.heading_path, line.text))


def _under(line: RunbookLine, headings: Sequence[str]) -> bool:
    """True when `headings` (keys) appear in the line's heading path, in order."""
    path = iter(_heading_key(heading) for heading in line.heading_path)
    return all(any(key == step for step in path) for key in headings)


@functools.lru_cache(maxsize=16384)  # every report asks again for every item's title
def normalise(text: str) -> str:
    """The comparable form of a title: see the module docstring for what is ignored."""
    flat = " ".join(_key_text(text).split())
    flat = _TRAILING_CODE_PARENS.sub("", flat)
    flat = flat.replace("`", "").replace("**", "")
    flat = " ".join(flat.split()).casefold()
    return flat.rstrip(_TRAILING_PUNCTUATION + " ")


def plain_text(text: str) -> str:
    """A title as plain text: Markdown marks, link targets, HTML tags and comments gone."""
    return _rendered(text, code_marks=False)


@functools.lru_cache(maxsize=4096)
def _key_text(text: str) -> str:
    """The title rendered as Markdown inline text, inline code kept in backticks."""
    return _rendered(text, code_marks=True)


def _rendered(text: str, *, code_marks: bool) -> str:
    if not _MARKUP.search(text):
        return text
    tokens = _markdown().parseInline(text)
    return _plain(tokens[0].children or (), code_marks=code_marks) if tokens else text


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only runs that have a runbook pay for the parser

    return MarkdownIt("commonmark")


def _plain(children: Sequence[Token], *, code_marks: bool = False) -> str:
    """Rendered plain text of inline tokens: marks, link targets, HTML tags and comments gone."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special"):
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(f"`{child.content}`" if code_marks else child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child.children or (), code_marks=code_marks))
    return " ".join("".join(parts).split())


def closest_line(title: str, lines: Iterable[RunbookLine]) -> RunbookLine | None:
    """The line whose normalised text is most similar to the title's."""
    key = normalise(title)
    best: tuple[float, RunbookLine] | None = None
    for line in lines:
        ratio = difflib.SequenceMatcher(None, key, line.key).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, line)
    return best[1] if best else None


def describe_closest(line: RunbookLine | None) -> str:
    """ "closest runbook line: '...' (line N)", for a title that matched nothing."""
    if line is None:
        return "the runbook has no checklist lines"
    return f"closest runbook line: {line.text!r} (line {line.line_number})"


def sections_from_config(
    table: Mapping[str, object] | None, categories: Iterable[str] = ()
) -> dict[str, str]:
    """Defaults overlaid with the config's `sections` table, validated.

    `categories` are the team's own (config key `categories`), accepted besides the shipped.
    """
    values = section_values(categories)
    merged = {heading: str(value) for heading, value in DEFAULT_SECTIONS.items()}
    for heading, value in (table or {}).items():
        if not isinstance(value, str) or value not in values:
            raise SectionsError(
                f"sections.{heading!r} must be one of {', '.join(values)}, got {value!r}"
            )
        merged[heading] = value
    return merged


def section_values(categories: Iterable[str] = ()) -> tuple[str, ...]:
    """What a heading may map to: the shipped and the team's categories, `post`, `ignore`."""
    own = tuple(c for c in categories if c not in SECTION_VALUES)
    return (*SECTION_VALUES[:-2], *own, POST, IGNORE)


def parse(
    text: str, sections: Mapping[str, str] | None = None, source: Path | None = None
) -> Runbook:
    """Every task-list line and required numbered step of a Markdown runbook, in order."""
    mapping = {_heading_key(k): str(v) for k, v in (sections or DEFAULT_SECTIONS).items()}
    tokens = _markdown().parse(text)
    lines: list[RunbookLine] = []
    path: list[tuple[int, str, str]] = []
    lists: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1:])
            heading = tokens[index + 1]
            path = [entry for entry in path if entry[0] < level]
            path.append((level, _plain(heading.children or ()), heading.content.strip()))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(token.type)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open":
            # A bullet nested under a numbered step is a step too ("2. Manual verification:").
            ordered = lists[-1] == "ordered_list_open" or "ordered_list_open" in lists[:-1]
            found = _list_line(tokens, index, ordered, path, mapping)
            if found is not None:
                lines.append(found)
    return Runbook(source, tuple(lines))


def load(path: Path, sections: Mapping[str, str] | None = None) -> Runbook:
    """Parse the runbook file at `path`; `UnreadableRunbook` if it is not UTF-8 text."""
    return parse(read_text(path), sections, path)


def read_text(path: Path) -> str:
    """The runbook's text, or `UnreadableRunbook` naming the file and the first bad byte."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableRunbook(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save the runbook as UTF-8 Markdown"
        ) from None
    except OSError as exc:
        raise UnreadableRunbook(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if "\x00" in text:
        raise UnreadableRunbook(f"{path}: a binary file, not Markdown text (it holds NUL bytes)")
    return text


def _list_line(
    tokens: Sequence[Token],
    index: int,
    ordered: bool,
    path: Sequence[tuple[int, str, str]],
    mapping: Mapping[str, str],
) -> RunbookLine | None:
    if index + 2 >= len(tokens) or tokens[index + 1].type != "paragraph_open":
        return None
    inline = tokens[index + 2]
    content = " ".join(inline.content.split())
    task = _TASK.match(content)
    if task is None and not ordered:
        return None
    markdown = content[task.end() :] if task else content
    plain = _plain(inline.children or ())
    plain_task = _TASK.match(plain) if task else None
    text = plain[plain_task.end() :].strip() if plain_task else plain
    if not text:
        return None
    headings = tuple(title for _, title, _ in path)
    depth, section = _section_for(headings, mapping)
    return RunbookLine(
        heading_levels=tuple(level for level, _, _ in path),
        text=text,
        heading_path=headings,
        line_number=_line_of(inline),
        section=section,
        checked=bool(task and task.group("mark") in "xX"),
        step=task is None,
        optional=task is None and not _REQUIRED.search(text),
        markdown=markdown,
        phase_depth=depth,
        heading_markdown=tuple(written for _, _, written in path),
    )


def _section_for(headings: Sequence[str], mapping: Mapping[str, str]) -> tuple[int, str | None]:
    """The nearest mapped heading: how deep it sits, and what it maps to."""
    for depth in range(len(headings), 0, -1):
        value = mapping.get(_heading_key(headings[depth - 1]))
        if value is not None:
            return depth, value
    return 0, None


def _heading_key(heading: str) -> str:
    return normalise(heading)


def _line_of(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


@dataclass(frozen=True)
class Check:
    """A collected check as binding sees it: its marker title and its test id."""

    title: str
    nodeid: str
    category: str | None = None
    function: str | None = None

    @property
    def function_id(self) -> str:
        """The test function: parametrizations of one function share it."""
        return self.function or self.nodeid.split("[", 1)[0]


@dataclass(frozen=True)
class BoundLine:
    """A runbook line and the checks automating it (none: a manual line)."""

    line: RunbookLine
    checks: tuple[Check, ...] = ()

    @property
    def automated(self) -> bool:
        return bool(self.checks)

    def describe(self) -> str:
        """One line for `--collect-only`: the line and its binding."""
        where = self.line.heading_path[-1] if self.line.heading_path else "runbook"
        if self.checks:
            tests = ", ".join(c.nodeid for c in self.checks)
            return f"[{where}] {self.line.text} -- automated by {tests}"
        return f"[{where}] {self.line.text} -- manual: not automated, needs sign-off"


@dataclass(frozen=True)
class Binding:
    """Runbook lines in runbook order with their checks, plus everything that did not fit."""

    lines: tuple[BoundLine, ...]
    errors: tuple[RunbookError, ...] = ()
    line_of: Mapping[str, RunbookLine] = field(default_factory=dict)

    @property
    def manual(self) -> tuple[RunbookLine, ...]:
        return tuple(bound.line for bound in self.lines if not bound.automated)

    def errors_for(self, nodeid: str) -> tuple[RunbookError, ...]:
        """The binding errors that concern one collected check."""
        return tuple(error for error in self.errors if nodeid in _nodeids_of(error))


def bind(runbook: Runbook, checks: Iterable[Check], stage: str | None = None) -> Binding:
    """Bind each check to its runbook line; lines without checks are manual.

    A title matching several identical lines binds to the first one in the check's
    category (else the first one); the others stay manual. A check's category and its
    line's heading may differ: the heading decides the phase, the marker the category.
    """
    lines = runbook.checklist(optional=True)
    claimed: dict[RunbookLine, list[Check]] = {}
    errors: list[RunbookError] = []
    line_of: dict[str, RunbookLine] = {}
    for check in checks:
        line = _line_for(check, lines)
        if line is None:
            errors.append(UnboundCheck(check, closest_line(check.title, lines), runbook.where))
            continue
        claimed.setdefault(line, []).append(check)
        line_of[check.nodeid] = line
    for line, bound in claimed.items():
        if len({c.function_id for c in bound}) > 1:
            errors.append(DoubleBinding(line, bound))
    selected = tuple(
        line
        for line in lines
        if (stage is None or line.stage in (stage, None)) and (line in claimed or not line.optional)
    )
    bound_lines = tuple(BoundLine(line, tuple(claimed.get(line, ()))) for line in selected)
    return Binding(bound_lines, tuple(errors), line_of)


def _line_for(check: Check, lines: Sequence[RunbookLine]) -> RunbookLine | None:
    matches = resolve(check.title, lines)
    same_category = [line for line in matches if line.category == check.category]
    preferred = same_category or list(matches)
    return preferred[0] if preferred else None


def _nodeids_of(error: RunbookError) -> tuple[str, ...]:
    if isinstance(error, UnboundCheck):
        return (error.check.nodeid,)
    if isinstance(error, DoubleBinding):
        return tuple(c.nodeid for c in error.checks)
    return ()
