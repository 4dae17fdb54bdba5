"""Human sign-offs for manual checklist lines, kept in a reviewable TOML file.

A sign-off says that a named person approved one runbook line for one environment at
one commit. It counts only for that environment and that commit (or a later commit
that changed nothing but the record files); every sign-off that does not count is
reported with the reason, so nobody wonders why an approval was ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_readiness.model import Outcome
from pytest_readiness.probes.git import same_commit
from pytest_readiness.runbook.lines import (
    RunbookLine,
    closest_line,
    describe_closest,
    name_of,
    resolve,
)
from pytest_readiness.runbook.records import (
    RecordError,
    append_entry,
    check_keys,
    read_entries,
    require_text,
)

DEFAULT_PATH = "readiness/signoffs.toml"
TABLE = "signoff"
KEYS = ("item", "env", "commit", "by", "role", "when", "note")
AWAITING = "awaiting sign-off"
HEADER = (
    "Sign-offs for manual runbook lines: one [[signoff]] per approval.\n"
    "Append with `readiness sign-off`; review and commit like code."
)

CommitMatch = Callable[[str, str], bool]


@dataclass(frozen=True)
class SignOff:
    """One recorded approval of one runbook line for one environment and commit."""

    item: str
    env: str
    commit: str
    by: str
    role: str
    when: datetime
    note: str = ""

    def describe(self) -> str:
        """Who and when, as the report shows it."""
        stamp = self.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"signed off by {self.by} ({self.role}) on {stamp}"

    def fields(self) -> list[tuple[str, str | datetime]]:
        out: list[tuple[str, str | datetime]] = [
            ("item", self.item),
            ("env", self.env),
            ("commit", self.commit),
            ("by", self.by),
            ("role", self.role),
            ("when", self.when),
        ]
        if self.note:
            out.append(("note", self.note))
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, for the report's `signoff` object."""
        return {
            "item": self.item,
            "env": self.env,
            "commit": self.commit,
            "by": self.by,
            "role": self.role,
            "when": self.when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "note": self.note,
        }


@dataclass(frozen=True)
class Rejected:
    """A sign-off that does not count here, and why."""

    signoff: SignOff
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.signoff.to_dict(), "reason": self.reason}


@dataclass(frozen=True)
class LineSignOff:
    """What the sign-offs say about one manual line."""

    valid: SignOff | None = None
    rejected: tuple[Rejected, ...] = ()

    @property
    def outcome(self) -> Outcome:
        return Outcome.SIGNED_OFF if self.valid else Outcome.MANUAL

    @property
    def reason(self) -> str:
        """One line for the report: who signed, or why it still awaits a sign-off."""
        if self.valid:
            return self.valid.describe()
        if not self.rejected:
            return AWAITING
        return f"{AWAITING} ({'; '.join(r.reason for r in self.rejected)})"

    def to_dict(self) -> dict[str, Any] | None:
        """The JSON `signoff` object, or None when there is nothing to say."""
        if not self.valid and not self.rejected:
            return None
        return {
            "valid": self.valid.to_dict() if self.valid else None,
            "rejected": [r.to_dict() for r in self.rejected],
        }


@dataclass(frozen=True)
class SignOffReview:
    """Every sign-off sorted: per runbook line, plus those for lines the runbook lacks."""

    lines: Mapping[RunbookLine, LineSignOff]
    orphans: tuple[Rejected, ...] = ()

    def for_line(self, line: RunbookLine) -> LineSignOff:
        return self.lines.get(line, LineSignOff())

    def for_title(self, title: str) -> LineSignOff:
        """What the sign-offs say about the first line `title` names."""
        found = resolve(title, self.lines)
        return self.lines[found[0]] if found else LineSignOff()


def load(path: Path) -> tuple[SignOff, ...]:
    """The sign-offs recorded in `path` (none if the file does not exist).

    A malformed file or entry raises `RecordError` naming the file and the entry.
    """
    entries = read_entries(path, TABLE)
    return tuple(_parse(path, number, raw) for number, raw in enumerate(entries, start=1))


def append(path: Path, signoff: SignOff) -> None:
    """Append one `[[signoff]]` block to `path`, creating the file if needed."""
    append_entry(path, TABLE, signoff.fields(), HEADER)


def review(
    signoffs: Iterable[SignOff],
    lines: Sequence[RunbookLine],
    *,
    env: str,
    commit: str,
    counts_at: CommitMatch = same_commit,
) -> SignOffReview:
    """Sort sign-offs into valid and rejected per line, for `env` at `commit`.

    `counts_at(recorded, commit)` decides whether a sign-off's commit counts; the default
    demands the same commit, `commits.code_unchanged_since` also accepts later commits
    that only changed the record files. The latest valid sign-off wins.
    """
    valid: dict[RunbookLine, SignOff] = {}
    rejected: dict[RunbookLine, list[Rejected]] = {}
    orphans: list[Rejected] = []
    for signoff in sorted(signoffs, key=lambda s: s.when):
        found = resolve(signoff.item, lines)
        if len(found) != 1:
            orphans.append(Rejected(signoff, _not_one_line(signoff.item, found, lines)))
            continue
        line = found[0]
        problem = why_not(signoff, env, commit, counts_at)
        if problem:
            rejected.setdefault(line, []).append(Rejected(signoff, problem))
        else:
            valid[line] = signoff
    result = {
        line: LineSignOff(valid.get(line), tuple(rejected.get(line, ())))
        for line in lines
        if line in valid or line in rejected
    }
    return SignOffReview(result, tuple(orphans))


def _not_one_line(item: str, found: Sequence[RunbookLine], lines: Sequence[RunbookLine]) -> str:
    """Why a sign-off names no line: none has its text, or several do (name one by path)."""
    if not found:
        return f"{item!r} is not a runbook line; {describe_closest(closest_line(item, lines))}"
    names = "; ".join(repr(name_of(line, lines)) for line in found)
    return f"{item!r} is the text of {len(found)} runbook lines; name one: {names}"


def why_not(signoff: SignOff, env: str, commit: str, counts_at: CommitMatch) -> str:
    """Why `signoff` does not count for `env` at `commit`, or "" when it does."""
    who = f"sign-off by {signoff.by}"
    if signoff.env != env:
        return f"{who} is for env {signoff.env!r}, not {env!r}"
    if not counts_at(signoff.commit, commit):
        return f"{who} is for commit {signoff.commit[:12]}, not {commit[:12]}"
    return ""


def _parse(path: Path, number: int, raw: Mapping[str, Any]) -> SignOff:
    check_keys(path, number, raw, KEYS)
    texts = {key: require_text(path, number, raw, key) for key in KEYS[:5]}
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise RecordError(path, number, "note must be a string", texts["item"])
    return SignOff(**texts, when=_when(path, number, raw, texts["item"]), note=note)


def _when(path: Path, number: int, raw: Mapping[str, Any], item: str) -> datetime:
    value = raw.get("when")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RecordError(
                path, number, f"when must be a date and time, got {value!r}", item
            ) from None
    if not isinstance(value, datetime):
        raise RecordError(path, number, "when must be a date and time", item)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
