"""The documentation says what the code does: every config key, every link, every probe."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.config import ENV_KEYS, TOP_LEVEL_KEYS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md")))


@pytest.mark.parametrize("key", sorted(set(TOP_LEVEL_KEYS) | set(ENV_KEYS)))
def test_every_key_the_config_loader_accepts_is_documented(key: str) -> None:
    assert f"| `{key}` |" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_every_link_in_the_readme_and_docs_leads_to_a_file() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_is_a_short_tour() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_the_probes_reference_is_what_the_code_says(tmp_path: Path) -> None:
    written = (DOCS / "probes.md").read_text(encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; m = runpy.run_path(sys.argv[1]); print(m['render'](), end='')",
            str(DOCS / "make_probes_reference.py"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout == written, "docs/probes.md is stale: python docs/make_probes_reference.py"


def test_every_probe_module_is_in_the_reference() -> None:
    reference = (DOCS / "probes.md").read_text(encoding="utf-8")
    modules = sorted(
        p.stem for p in (ROOT / "pytest_readiness" / "probes").glob("*.py") if p.stem[0] != "_"
    )
    assert [m for m in modules if f"## `{m}`" not in reference] == []
