"""Which commit is checked out, and whether the code changed since a sign-off's commit.

Committing the sign-off file itself moves HEAD, so a sign-off recorded for commit C must
still count at HEAD when the only files changed since C are the record files.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Collection
from pathlib import Path


class GitError(ValueError):
    """git could not answer (not a repository, unknown commit, git missing); one line."""


def git(root: Path, *args: str) -> str:
    """Run one git command in `root` and return its stdout, or raise `GitError`."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args)} failed in {root}: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise GitError(f"git {' '.join(args)} failed in {root}: {message[0]}")
    return done.stdout.strip()


def head(root: Path) -> str:
    """The full id of the commit checked out in `root`."""
    return git(root, "rev-parse", "HEAD")


def tracked_files(root: Path) -> list[str]:
    """Paths git tracks in `root`, relative to it."""
    return [name for name in git(root, "ls-files", "-z").split("\0") if name]


def same_commit(recorded: str, current: str) -> bool:
    """True when `recorded` names `current` (a full id, or an abbreviation of 7+ characters)."""
    recorded = recorded.strip().lower()
    return len(recorded) >= 7 and current.lower().startswith(recorded)


def code_unchanged_since(root: Path, ignored: Collection[Path]) -> Callable[[str, str], bool]:
    """A predicate: does `recorded` count at `current` (same commit, or only `ignored` changed)?

    `ignored` holds the paths of files whose changes do not matter, typically the sign-off
    and waiver files themselves; `recorded` must be an ancestor of `current`.
    """

    def unchanged(recorded: str, current: str) -> bool:
        if same_commit(recorded, current):
            return True
        try:
            top = Path(git(root, "rev-parse", "--show-toplevel")).resolve()
            git(root, "merge-base", "--is-ancestor", recorded, current)
            changed = git(root, "diff", "--name-only", recorded, current).splitlines()
        except GitError:
            return False
        allowed = {_relative(path, root, top) for path in ignored}
        return all(name in allowed for name in changed)

    return unchanged


def _relative(path: Path, root: Path, top: Path) -> str:
    absolute = (root / path).resolve()
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        return absolute.as_posix()
