"""Reports belong to one run: no file on disk is older than the last run that started."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ReadinessProject

PASSING = '@pytest.mark.gate("Build: PASSING")\ndef test_build(): pass\n'


def _first_a_go(project: ReadinessProject) -> None:
    project.checks(PASSING)
    assert project.run().ret == 0
    assert project.report()["verdict"] == "GO"
    assert "GO: local readiness" in project.text()


def _wait_until_gone(pid: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} is still running")


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["in-process", "xdist"])
@pytest.mark.parametrize("where", ["check", "teardown"])
def test_a_check_that_exits_the_process_leaves_an_in_progress_no_go_not_the_last_go(
    project: ReadinessProject, workers: tuple[str, ...], where: str
) -> None:
    _first_a_go(project)
    if where == "check":
        source = 'import os\n@pytest.mark.gate("Build: PASSING")\ndef test_build(): os._exit(0)\n'
    else:
        source = (
            "import os\n@pytest.fixture\ndef leaves():\n    yield\n    os._exit(0)\n"
            '@pytest.mark.gate("Build: PASSING")\ndef test_build(leaves): pass\n'
        )
    project.checks(source)
    project.run_subprocess(*workers)
    report = project.report()
    assert report["verdict"] == "NO-GO"
    if not workers:  # the process died: what is on disk is the in-progress report
        assert report["complete"] is False
        assert "has not finished" in report["sentence"]
    else:  # the controller lived on and reports the crashed worker's item
        assert "crashed" in report["items"][0]["reason"]
    html = project.text()
    assert "GO: local readiness" not in html.replace("NO-GO: local readiness", "")
    assert "NO-GO" in project.text(suffix="md")


def test_a_forked_child_never_carries_on_the_run_or_writes_a_report(
    project: ReadinessProject,
) -> None:
    pid_file = project.pytester.path / "child.pid"
    project.checks(
        f"""
        import os, time
        @pytest.mark.gate("Build: PASSING")
        def test_build():
            if os.fork() == 0:
                open({str(pid_file)!r}, "w").write(str(os.getpid()))
                time.sleep(1)
                return  # the child comes back into pytest as if the check passed
            assert False, "the parent fails"
        """
    )
    result = project.run_subprocess()
    assert result.ret == 1
    _wait_until_gone(int(pid_file.read_text()))
    report = project.report()
    assert report["verdict"] == "NO-GO"
    assert report["items"][0]["reason"] == "the parent fails"
    assert len(list((project.pytester.path / "reports" / "history" / "local").glob("*.json"))) == 1


@pytest.mark.parametrize("html_args", [("-p", "no:html"), ("--html=elsewhere.html",)])
def test_without_pytest_html_writing_ours_the_html_report_is_still_this_runs(
    project: ReadinessProject, html_args: tuple[str, ...]
) -> None:
    _first_a_go(project)
    project.checks(
        '@pytest.mark.gate("Build: PASSING")\ndef test_build(): assert False, "broken build"\n'
    )
    result = project.run(*html_args)
    assert result.ret == 1
    html = project.text()
    assert "<title>NO-GO: local readiness</title>" in html
    assert "broken build" in html
    assert html.rstrip().endswith("</html>")


def test_collect_only_writes_no_report_and_no_history(project: ReadinessProject) -> None:
    _first_a_go(project)
    before = {suffix: project.text(suffix=suffix) for suffix in ("json", "md", "html")}
    runs = project.pytester.path / "reports" / "history" / "local"
    count = len(list(runs.glob("*.json")))
    result = project.run("--collect-only", "-q")
    assert result.ret == 0
    assert {suffix: project.text(suffix=suffix) for suffix in before} == before
    assert len(list(runs.glob("*.json"))) == count
    assert [p.name for p in (project.pytester.path / "reports").glob(".*")] == []


@pytest.mark.parametrize(
    ("source", "args"),
    [
        ("@pytest.mark.gate\ndef test_build(): pass\n", ()),
        (PASSING, ("checks/no_such_file.py",)),
        (PASSING, ("--env=nowhere",)),
    ],
    ids=["bad-marker", "bad-path", "unknown-env"],
)
def test_a_usage_error_writes_no_report_and_no_history(
    project: ReadinessProject, source: str, args: tuple[str, ...]
) -> None:
    _first_a_go(project)
    before = {suffix: project.text(suffix=suffix) for suffix in ("json", "md", "html")}
    runs = project.pytester.path / "reports" / "history" / "local"
    count = len(list(runs.glob("*.json")))
    project.checks(source)
    result = project.run(*args)
    assert result.ret == 4
    assert {suffix: project.text(suffix=suffix) for suffix in before} == before
    assert len(list(runs.glob("*.json"))) == count


def test_the_in_progress_report_is_on_disk_while_the_first_item_runs(
    project: ReadinessProject,
) -> None:
    _first_a_go(project)
    seen = project.pytester.path / "seen.json"
    project.checks(
        f"""
        import shutil
        @pytest.mark.gate("Build: PASSING")
        def test_build():
            shutil.copy("reports/readiness-local.json", {str(seen)!r})
        """
    )
    assert project.run().ret == 0
    during = json.loads(seen.read_text())
    assert during["verdict"] == "NO-GO"
    assert during["complete"] is False
    assert "has not finished" in during["sentence"]
    assert project.report()["verdict"] == "GO"


def test_the_in_progress_report_is_a_summary_not_a_row_per_pending_item(
    project: ReadinessProject,
) -> None:
    """Before anything ran, every item is pending: the in-progress page and Markdown say how
    many, by phase, and do not list each as a blocker (the JSON still lists the plan)."""
    seen = project.pytester.path / "seen"
    checks = "".join(
        f'@pytest.mark.gate("Build step {i}: PASSING")\ndef test_build_{i}(): pass\n'
        for i in range(3)
    )
    project.checks(
        "import shutil\n"
        '@pytest.mark.gate("Copy: the in-progress report")\n'
        f"def test_copy(): shutil.copytree('reports', {str(seen)!r})\n" + checks
    )
    assert project.run().ret == 0
    html = (seen / "readiness-local.html").read_text()
    markdown = (seen / "readiness-local.md").read_text()
    assert "has not finished" in html and "has not finished" in markdown
    assert "4 items" in html
    for title in ("Build step 0: PASSING", "Build step 2: PASSING"):
        assert title not in html and title not in markdown
    assert "Blocking items" not in markdown
    assert "<table" not in html.split('id="readiness-checklist"')[1]
    planned = json.loads((seen / "readiness-local.json").read_text())["items"]
    assert len(planned) == 4
    assert "Build step 2: PASSING" in project.text()  # the finished page lists every item


def test_the_post_stage_keeps_its_own_files_and_history(project: ReadinessProject) -> None:
    project.checks(
        PASSING + '@pytest.mark.feature("Smoke", stage="post")\ndef test_smoke(): assert False\n'
    )
    assert project.run().ret == 0
    approved = project.text(suffix="json")
    assert project.run("--stage=post").ret == 1
    assert project.text(suffix="json", stage="pre") == approved
    post = project.report()
    assert post["stage"] == "post"
    assert post["verdict"] == "ROLLBACK"
    history = project.pytester.path / "reports" / "history"
    assert len(list((history / "local").glob("*.json"))) == 1
    assert len(list((history / "local-post").glob("*.json"))) == 1


def test_a_reports_path_that_is_a_file_is_one_line_and_exit_3(
    project: ReadinessProject,
) -> None:
    project.checks(PASSING)
    (project.pytester.path / "blocked").write_text("a file, not a folder")
    result = project.run("--readiness-report=blocked/out")
    assert result.ret == 3
    lines = [line for line in result.outlines if "could not write" in line]
    assert lines and all("blocked/out/" in line and "Not a directory" in line for line in lines)
    assert "INTERNALERROR" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Path:
    """A 48 KB tmpfs: big enough for the JSON, too small for a pytest-html page."""
    mountpoint = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"CI must be able to mount a tmpfs: {done.stderr}")
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_a_full_disk_never_publishes_half_a_page(
    project: ReadinessProject, tiny_disk: Path
) -> None:
    project.checks(
        "@pytest.mark.gate('Build: PASSING')\n"
        "@pytest.mark.parametrize('n', range(60))\n"
        "def test_build(n): print('x' * 2000)\n"
    )
    result = project.run_subprocess(f"--readiness-report={tiny_disk}")
    assert result.ret == 3
    assert any("could not write" in line and "readiness-local" in line for line in result.outlines)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    page = tiny_disk / "readiness-local.html"
    if page.exists():
        assert page.read_text().rstrip().endswith("</html>")
    leftovers = [p.name for p in tiny_disk.iterdir() if p.name.startswith(".")]
    assert leftovers == []
