"""Documentation checks over Markdown, parsed with markdown-it-py.

Freshness comes from `git log -1 --format=%ct -- FILE` (the file's mtime outside git);
placeholders are the words TBD and TODO outside code; headings are matched without case.
A file with nothing but headings, or a required heading with nothing under it, was written
but says nothing: it fails like a missing one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pytest_readiness.model import Evidence, ProbeResult
from pytest_readiness.probes import git as commits
from pytest_readiness.probes._text import counted, first

PLACEHOLDER = re.compile(r"\b(TBD|TODO)\b")
_CONTENT = ("inline", "fence", "code_block", "html_block")
_SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Placeholder:
    """A TBD/TODO left in a document, with its line."""

    path: str
    line: int
    word: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.text.strip()!r}"


def markdown_files(location: Path) -> list[Path]:
    """A Markdown file itself, or every `*.md` under a folder, sorted."""
    if location.is_file():
        return [location]
    return sorted(location.rglob("*.md")) if location.is_dir() else []


def parse(path: Path) -> list[Token]:
    """markdown-it tokens for one file (CommonMark plus tables)."""
    return MarkdownIt("commonmark").enable("table").parse(path.read_text(encoding="utf-8"))


def placeholders(path: Path, shown_as: str | None = None) -> list[Placeholder]:
    """Every TBD/TODO in the document's prose (code spans and blocks are ignored)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    name = shown_as or str(path)
    found = []
    for line_no, text in _prose(parse(path)):
        for match in PLACEHOLDER.finditer(text):
            source = lines[line_no - 1] if 0 < line_no <= len(lines) else text
            found.append(Placeholder(name, line_no, match.group(1), source))
    return found


def headings(path: Path) -> list[str]:
    """The text of every heading, in order."""
    tokens = parse(path)
    return [
        tokens[i + 1].content
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open" and i + 1 < len(tokens)
    ]


def last_changed(path: Path) -> float:
    """Unix time of the last commit touching `path`, else its modification time."""
    try:
        out = commits.git(path.parent, "log", "-1", "--format=%ct", "--", path.name)
    except commits.GitError:
        out = ""
    return float(out) if out.isdigit() else path.stat().st_mtime


def check_runbooks(
    location: Path, max_age_days: float = 90, now: float | None = None, root: Path | None = None
) -> ProbeResult:
    """Each runbook changed within `max_age_days` and free of placeholders."""
    files = markdown_files(location)
    if not files:
        return ProbeResult.failed(f"no runbooks found at {_show(location, root)}")
    now = time.time() if now is None else now
    stale = []
    ages = {}
    for path in files:
        age = (now - last_changed(path)) / _SECONDS_PER_DAY
        ages[_show(path, root)] = round(age, 1)
        if age > max_age_days:
            stale.append(f"{_show(path, root)} ({counted(round(age), 'day')} old)")
    holes = [h for path in files for h in placeholders(path, _show(path, root))]
    evidence = [
        Evidence(
            "file",
            f"{counted(len(files), 'runbook')}, max age {counted(max_age_days, 'day')}",
            data={"age_days": ages},
        ),
        *_placeholder_evidence(holes),
    ]
    problems = _empty_files(files, "runbook", root)
    if stale:
        problems.append(f"not updated within {counted(max_age_days, 'day')}: {first(stale, 3)}")
    return _verdict(problems, holes, evidence)


def check_documents(
    location: Path,
    required_headings: Sequence[str] = (),
    kind: str = "document",
    root: Path | None = None,
) -> ProbeResult:
    """Each file exists, has every required heading and no placeholder."""
    files = markdown_files(location)
    if not files:
        return ProbeResult.failed(f"no {kind} found at {_show(location, root)}")
    missing = []
    hollow = []
    for path in files:
        sections = _sections(parse(path))
        for wanted in required_headings:
            found = [has_text for title, has_text in sections if wanted.casefold() in title]
            if not found:
                missing.append(f"{_show(path, root)} lacks '{wanted}'")
            elif not any(found):
                hollow.append(f"{_show(path, root)} '{wanted}'")
    holes = [h for path in files for h in placeholders(path, _show(path, root))]
    evidence = [
        Evidence(
            "file",
            f"{counted(len(files), kind + ' file')} checked",
            detail="\n".join(_show(p, root) for p in files),
            data={"files": [_show(p, root) for p in files], "required": list(required_headings)},
        ),
        *_placeholder_evidence(holes),
    ]
    problems = _empty_files(files, kind, root)
    if missing:
        problems.append(f"missing heading: {first(missing, 3)}")
    if hollow:
        problems.append(f"empty section: {first(hollow, 3)}")
    return _verdict(problems, holes, evidence)


def _empty_files(files: Sequence[Path], kind: str, root: Path | None) -> list[str]:
    """`empty runbook (headings only): a.md` for the files that hold no text but headings."""
    empty = [_show(path, root) for path in files if not _has_text(parse(path))]
    return [f"empty {kind} (headings only): {first(empty, 3)}"] if empty else []


def _sections(tokens: list[Token]) -> list[tuple[str, bool]]:
    """(casefolded heading, whether its section, subsections included, holds any text)."""
    found = []
    for start, tok in enumerate(tokens):
        if tok.type != "heading_open":
            continue
        end = next(
            (
                j
                for j in range(start + 1, len(tokens))
                if tokens[j].type == "heading_open" and tokens[j].tag <= tok.tag
            ),
            len(tokens),
        )
        found.append((tokens[start + 1].content.casefold(), _has_text(tokens[start + 3 : end])))
    return found


def _has_text(tokens: list[Token]) -> bool:
    """Any content outside headings: prose, a list, a table, code."""
    in_heading = False
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            in_heading = tok.type == "heading_open"
        elif not in_heading and tok.type in _CONTENT and tok.content.strip():
            return True
    return False


def _verdict(
    problems: list[str], holes: Sequence[Placeholder], evidence: list[Evidence]
) -> ProbeResult:
    """Failed naming every problem (placeholders last), else passed; the evidence either way."""
    if holes:
        problems = [*problems, f"placeholder {first([str(h) for h in holes], 3)}"]
    if problems:
        return ProbeResult.failed("; ".join(problems), evidence)
    return ProbeResult.passed(evidence)


def check_rollback(location: Path, root: Path | None = None) -> ProbeResult:
    """A section titled 'rollback' names trigger conditions and has numbered steps."""
    files = markdown_files(location)
    if not files:
        return ProbeResult.failed(f"no Markdown found at {_show(location, root)}")
    best: tuple[str, list[str]] | None = None
    for path in files:
        for title, gaps in _rollback_sections(parse(path)):
            where = f"{_show(path, root)} '{title}'"
            if not gaps:
                return ProbeResult.passed([Evidence("file", f"rollback procedure: {where}")])
            if best is None or len(gaps) < len(best[1]):
                best = (where, gaps)
    if best is None:
        return ProbeResult.failed(f"no rollback section in {_show(location, root)}")
    where, gaps = best
    return ProbeResult.failed(f"rollback section {where} lacks {' and '.join(gaps)}")


def _rollback_sections(tokens: list[Token]) -> Iterator[tuple[str, list[str]]]:
    for start, tok in enumerate(tokens):
        if tok.type != "heading_open" or "rollback" not in tokens[start + 1].content.casefold():
            continue
        end = next(
            (
                j
                for j in range(start + 1, len(tokens))
                if tokens[j].type == "heading_open" and tokens[j].tag <= tok.tag
            ),
            len(tokens),
        )
        yield tokens[start + 1].content, _rollback_gaps(tokens[start + 3 : end])


def _rollback_gaps(section: list[Token]) -> list[str]:
    gaps = []
    trigger_at = next(
        (
            i
            for i, t in enumerate(section)
            if t.type == "inline" and "trigger" in t.content.casefold()
        ),
        None,
    )
    if trigger_at is None or not any(
        t.type in ("bullet_list_open", "ordered_list_open") for t in section[trigger_at:]
    ):
        gaps.append("trigger conditions (a 'Trigger' line followed by a list)")
    if not any(_ordered_items(section, i) >= 2 for i in range(len(section))):
        gaps.append("numbered steps (an ordered list of at least 2 steps)")
    return gaps


def _ordered_items(section: list[Token], index: int) -> int:
    opening = section[index]
    if opening.type != "ordered_list_open":
        return 0
    count = 0
    for tok in section[index + 1 :]:
        if tok.type == "ordered_list_close" and tok.level == opening.level:
            break
        if tok.type == "list_item_open" and tok.level == opening.level + 1:
            count += 1
    return count


def _prose(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    """(1-based line, text) for every prose text fragment outside code."""
    for tok in tokens:
        if tok.type != "inline" or not tok.map:
            continue
        line = tok.map[0] + 1
        for child in tok.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "text":
                yield line, child.content


def _placeholder_evidence(holes: list[Placeholder]) -> list[Evidence]:
    if not holes:
        return []
    return [
        Evidence(
            "file",
            f"{counted(len(holes), 'placeholder')}",
            detail="\n".join(str(h) for h in holes[:20]),
            data={
                "placeholders": [{"file": h.path, "line": h.line, "word": h.word} for h in holes]
            },
        )
    ]


def _show(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)
