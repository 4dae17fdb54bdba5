"""Copy the reference app into a fresh git work tree and apply workspace faults.

Each fault breaks exactly one checklist item, so a newcomer sees NO-GO and why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
STALE_DAYS = 200
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "dist", "reports", ".ruff_cache", ".pytest_cache", "*.pyc"
)
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Readiness Reference",
    "GIT_AUTHOR_EMAIL": "reference@readiness.invalid",
    "GIT_COMMITTER_NAME": "Readiness Reference",
    "GIT_COMMITTER_EMAIL": "reference@readiness.invalid",
}
RUNBOOK = Path("docs/runbooks/deploy.md")


def _write(relative: str, text: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return apply


def _remove(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / relative).unlink()

    return apply


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise ValueError(f"{relative} no longer contains {old!r}")
        path.write_text(text.replace(old, new), encoding="utf-8")

    return apply


_FAILING_TEST = """from __future__ import annotations

from shopfront.pricing import Line, total


def test_a_ten_percent_discount_on_a_dollar_is_ninety_cents() -> None:
    assert total([Line("A", 100, 1)], discount_percent=10) == 91
"""

_GALLERY = "\n".join(
    [
        '<!doctype html>\n<html lang="en">',
        '<head><meta charset="utf-8"><title>Gallery</title></head>',
        "<body>",
        *(f'  <img src="logo.svg" class="shot-{n}">' for n in range(5)),
        "</body>\n</html>\n",
    ]
)

# Split so that this repository itself carries no detectable key; the built workspace does.
_KEY_KIND = "RSA " + "PRIVATE KEY"
_PRIVATE_KEY = (
    f"-----BEGIN {_KEY_KIND}-----\n"
    "this-is-not-a-real-key-it-is-the-committed-secret-fault\n"
    f"-----END {_KEY_KIND}-----\n"
)

_EDITS: dict[str, Callable[[Path], None]] = {
    "build-broken": _remove("site/app.css"),
    "failing-unit-test": _write("tests/unit/test_rounding.py", _FAILING_TEST),
    "failing-integration-test": _write(
        "tests/integration/test_rounding.py", _FAILING_TEST.replace("ninety", "integration_ninety")
    ),
    "failing-e2e-test": _write(
        "tests/e2e/test_rounding.py", _FAILING_TEST.replace("ninety", "e2e_ninety")
    ),
    "a11y-serious": _write("site/gallery.html", _GALLERY),
    "lint-warning": _write(
        "src/shopfront/unused.py", '"""Left behind by a refactor."""\n\nimport os\n'
    ),
    "unformatted-file": _write(
        "src/shopfront/shipping.py", "def flat_rate( cents ):\n    return {'cents':cents}\n"
    ),
    "committed-secret": _write("deploy/id_rsa", _PRIVATE_KEY),
    "runbook-placeholder": _replace(
        str(RUNBOOK), "**On-call**: platform-oncall@shopfront.example", "**On-call**: TBD"
    ),
    "incomplete-spec": _replace("docs/specs/orders.md", "## Acceptance Criteria", "## Notes"),
    "missing-rollback-doc": _remove("docs/rollback.md"),
    "incomplete-monitoring-guide": _replace("docs/monitoring/guide.md", "## Alerts", "## Later"),
    "missing-troubleshooting-guide": _remove("docs/troubleshooting/guide.md"),
}

FAULTS: frozenset[str] = frozenset({*_EDITS, "stale-runbook"})


def build(dest: Path, faults: frozenset[str] = frozenset()) -> Path:
    """Copy the reference app to `dest`, apply `faults` (ours only), commit, return `dest`."""
    shutil.copytree(APP, dest, ignore=_IGNORED, dirs_exist_ok=True)
    for fault in sorted(faults & _EDITS.keys()):
        _EDITS[fault](dest)
    _git(dest, "init", "-q", "-b", "main")
    if "stale-runbook" in faults:
        _commit(dest, [str(RUNBOOK)], "Write the deploy runbook", days_ago=STALE_DAYS)
    _commit(dest, ["."], "Reference app")
    return dest


def _commit(root: Path, paths: list[str], message: str, days_ago: int = 0) -> None:
    _git(root, "add", "-A", "--", *paths)
    env = dict(_IDENTITY)
    if days_ago:
        when = f"@{int(time.time()) - days_ago * 86400} +0000"
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    _git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, env=env)


def _git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **(env or {}), "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
