"""The Markdown report and the GitHub step summary show hostile text as text.

Rendered with GitHub's own Markdown engine (cmark-gfm, with its table and autolink
extensions and raw HTML let through), so a link, an image or a tag that would appear on
github.com appears here too.
"""

from __future__ import annotations

from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm import Options

from tests.conftest import ReadinessProject

HOSTILE = (
    "<script>alert(1)</script> [click](http://evil) ![x](http://evil/img) <http://evil> "
    "www.evil.example [ref][1] `code` a|b"
)

CHECKS = f"""
@pytest.mark.gate({HOSTILE!r})
def test_build(): assert False, {HOSTILE!r}

@pytest.mark.docs("Docs " + {HOSTILE!r}, blocking=False)
def test_docs(): assert False, "spec: " + {HOSTILE!r}

@pytest.mark.infra("Health endpoints: All returning 200")
def test_health(): pass
"""


def rendered(markdown: str) -> str:
    """The HTML github.com would make of `markdown` (before its own sanitiser runs)."""
    options = Options.CMARK_OPT_UNSAFE
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=options))


def assert_inert(markdown: str) -> None:
    page = rendered(markdown)
    for danger in ("<script", "<img", "<a ", 'href="'):
        assert danger not in page, f"{danger} in {page}"


@pytest.fixture
def hostile(project: ReadinessProject) -> ReadinessProject:
    project.checks(CHECKS)
    return project


def test_titles_and_reasons_show_as_text_not_html_links_or_images(
    hostile: ReadinessProject,
) -> None:
    assert hostile.run().ret == 1
    hostile.run()  # a second run, so "since last run" lists the items too
    markdown = hostile.text(suffix="md")
    assert markdown.count("&lt;script&gt;") >= 5  # blocker, warning, their reasons, changes
    assert_inert(markdown)
    page = rendered(markdown)
    # What a reader sees is the text as written, the pipe inside one cell.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [click](http://evil)" in page
    assert "`code` a|b</td>" in page


def test_the_github_step_summary_is_as_inert_as_the_report(
    hostile: ReadinessProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert hostile.run().ret == 1
    assert_inert(summary.read_text())


RUNBOOK = """# Runbook

## Code Quality Gates

- [ ] Build: PASSING
"""


def test_a_reason_in_the_runbook_checklist_is_text_too(
    project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "runbook.md").write_text(RUNBOOK)
    project.config('[tool.readiness]\nrunbook = "runbook.md"\n')
    project.checks(
        f'@pytest.mark.gate("Build: PASSING")\ndef test_build(): assert False, {HOSTILE!r}\n'
    )
    assert project.run().ret == 1
    markdown = project.text(suffix="md")
    assert markdown.startswith("**Verdict: NO-GO**")
    assert "- [ ] Build: PASSING — &lt;script&gt;" in markdown
    assert_inert(markdown)
