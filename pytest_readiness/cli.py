"""The `readiness` console script: scaffold a checklist, record a human sign-off.

    readiness init docs/runbook.md

writes the `[tool.readiness]` config and a check per recognised runbook line (see
docs/init.md); it never overwrites a file without `--force`.

    readiness sign-off "CEO approval required" --env production --by "Justin" --role CEO

appends one `[[signoff]]` to the sign-off file (config key `signoffs`, default
`readiness/signoffs.toml`) for the commit checked out, to be reviewed and committed.
It refuses a title that is not a line of the configured runbook (naming the closest
line), a title several lines share (listing each as "Heading > text"), an unknown
environment, and a `--commit` that is not HEAD.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_readiness import config
from pytest_readiness.model import Category
from pytest_readiness.probes import git as commits
from pytest_readiness.runbook import check_titles, signoffs
from pytest_readiness.runbook import lines as runbook
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.scaffold import command as scaffold

EXIT_OK = 0
EXIT_REFUSED = 2


class Refused(Exception):
    """The command cannot do what was asked; the message says why."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `readiness` command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        message = args.run(args)
    except Refused as exc:
        print(f"readiness: error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(message)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="readiness",
        description="Scaffold a readiness checklist from a runbook; record human sign-offs.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init", help="write the [tool.readiness] config and checks/ for a team's runbook"
    )
    init.add_argument("runbook", nargs="?", help="the runbook Markdown file (default: found)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.add_argument("--root", type=Path, help="the repository (default: the current folder)")
    init.set_defaults(run=_init)
    sign = commands.add_parser(
        "sign-off", help="record that you approved one manual runbook line for one environment"
    )
    sign.add_argument(
        "title",
        help="the runbook line's text; 'Heading > text' for one of several identical lines",
    )
    sign.add_argument("--env", required=True, help="the environment approved, e.g. production")
    sign.add_argument("--by", required=True, help="who approves, e.g. 'Justin'")
    sign.add_argument("--role", required=True, help="their role, e.g. CEO")
    sign.add_argument("--note", default="", help="anything the reviewer should know")
    sign.add_argument("--commit", help="the commit approved; must be HEAD (the default)")
    sign.add_argument("--root", type=Path, help="project folder (default: found from here)")
    sign.set_defaults(run=_sign_off)
    return parser


def _init(args: argparse.Namespace) -> str:
    try:
        return scaffold.init(args.root or Path.cwd(), args.runbook, force=args.force).message
    except scaffold.InitRefused as exc:
        raise Refused(str(exc)) from None


def _sign_off(args: argparse.Namespace) -> str:
    root = (args.root or _find_root(Path.cwd())).resolve()
    settings = _load_config(root)
    title = _title_to_sign(root, settings, args.title)
    if args.env not in settings.envs:
        known = ", ".join(sorted(settings.envs))
        raise Refused(f"unknown environment {args.env!r}; known environments: {known}")
    commit = _approved_commit(root, args.commit)
    record = root / str(settings.raw.get("signoffs", signoffs.DEFAULT_PATH))
    signoff = signoffs.SignOff(
        item=title,
        env=args.env,
        commit=commit,
        by=args.by,
        role=args.role,
        when=datetime.now(UTC).replace(microsecond=0),
        note=args.note,
    )
    try:
        signoffs.load(record)
    except RecordError as exc:
        raise Refused(f"not appending to a broken sign-off file: {exc}") from None
    signoffs.append(record, signoff)
    shown = record.relative_to(root) if record.is_relative_to(root) else record
    return (
        f"Recorded: {title!r} {signoff.describe()} for {args.env} at commit {commit[:12]} "
        f"in {shown}. Commit that file so the approval goes through review."
    )


def _find_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "readiness.toml").is_file() or (folder / "pyproject.toml").is_file():
            return folder
    return start


def _load_config(root: Path) -> config.ReadinessConfig:
    try:
        return config.load(root)
    except pytest.UsageError as exc:
        raise Refused(str(exc)) from None


def _title_to_sign(root: Path, settings: config.ReadinessConfig, title: str) -> str:
    """The runbook line `title` names (by heading path where its text is not unique);
    without a runbook, the check it names.

    With no runbook the checklist is the checks: a title no check has is refused, naming
    the closest check title.
    """
    if not settings.raw.get("runbook"):
        return _check_title(settings, title)
    book = _load_runbook(root, settings)
    try:
        line = book.require(title)  # refuses a title two lines share, listing their paths
    except runbook.UnknownTitle as exc:
        raise Refused(str(exc)) from None
    return runbook.name_of(line, book.checklist())


def _check_title(settings: config.ReadinessConfig, title: str) -> str:
    """The title of the check `title` names (no runbook: sign-offs name checks)."""
    categories = {*settings.phases, *(str(c) for c in Category)}
    titles = check_titles.titles(settings.checklist, categories)
    key = runbook.normalise(title)
    for candidate in titles:
        if runbook.normalise(candidate) == key:
            return candidate
    near = check_titles.describe_closest_title(title, titles)
    raise Refused(
        f"{title!r} is not the title of a check in {settings.checklist} (no runbook is "
        f"configured, so a sign-off names a check); {near}"
    )


def _load_runbook(root: Path, settings: config.ReadinessConfig) -> runbook.Runbook:
    path = root / str(settings.raw.get("runbook"))
    if not path.is_file():
        raise Refused(f"runbook {path} (config key runbook) does not exist")
    try:
        sections = runbook.sections_from_config(settings.raw.get("sections"), settings.categories)
    except runbook.SectionsError as exc:
        raise Refused(f"{settings.source}: {exc}") from None
    try:
        return runbook.load(path, sections)
    except runbook.UnreadableRunbook as exc:
        raise Refused(str(exc)) from None


def _approved_commit(root: Path, requested: str | None) -> str:
    try:
        head = commits.head(root)
    except commits.GitError as exc:
        raise Refused(f"cannot tell which commit is checked out in {root}: {exc}") from None
    if requested and not commits.same_commit(requested, head):
        raise Refused(
            f"commit {requested} is not HEAD ({head[:12]}): a sign-off approves the commit "
            "checked out; check it out first"
        )
    return head


if __name__ == "__main__":
    sys.exit(main())
