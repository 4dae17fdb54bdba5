"""Where B1's instructions go: `pytest --readiness` with one part of the plugin at a time
turned into a no-op, counted under callgrind.

Usage: python benchmarks/b1_parts.py [N]. Needs valgrind. Each row is what the run costs
less without that part, as a share of `pytest --html` over the same files. The garbage
collector is off in every run here: an allocation more or less moves a full collection
(50 M instructions at 900 items) from one run to the other, which would swamp a part's
cost. The parts are the outputs the design asks for (the in-progress files at the start,
the final files, the static summary in pytest-html's page, the masking of pytest-html's
data) and the per-item hooks (the process sweep, the report wrapper); what no part covers
is the rest of the per-item hooks, planning and the verdict, less what pytest-html saves by
not drawing the rows of quiet passes that our table already shows (so it can be negative).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from b1_instructions import ENV, instructions
from b1_overhead import QUIET, make_project

# A plugin loaded with `-p b1_parts_plugin`: $B1_OFF names the part to switch off.
PLUGIN = """
import gc, os
import pytest

gc.disable()
gc.collect = lambda *args, **kwargs: 0  # pytest collects at exit: off too

OFF = os.environ.get("B1_OFF", "")


def _noop(*args, **kwargs):
    return None


def _wrapper(*args, **kwargs):
    return (yield)


def _switch_off(config, plugin_name, hook):
    plugin = config.pluginmanager.get_plugin(plugin_name)
    for impl in getattr(config.hook, hook).get_hookimpls():
        if impl.plugin is plugin:
            impl.function = _wrapper if (impl.wrapper or impl.hookwrapper) else _noop


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    import pytest_readiness.plugin as plugin

    if OFF == "in-progress files":
        def start(session):
            session.started = True
        plugin.start_reports = start
    elif OFF == "final files":
        def final(session, *, exitstatus, environ=None):
            session.report = session.build_report(complete=True)
            return session.report
        plugin.write_reports = final
    elif OFF == "summary in the page":
        _switch_off(config, "readiness-html", "pytest_html_results_summary")
    elif OFF == "masking pytest-html's data":
        _switch_off(config, "readiness-html-redaction", "pytest_html_results_summary")
    elif OFF == "process sweep":
        config.pluginmanager.unregister(name="readiness-process-sweep")
    elif OFF == "report wrapper":
        _switch_off(config, "readiness-run", "pytest_runtest_makereport")
"""

PARTS = (
    "in-progress files",
    "final files",
    "summary in the page",
    "masking pytest-html's data",
    "process sweep",
    "report wrapper",
)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 900
    with tempfile.TemporaryDirectory() as tmp:
        plugin_dir = Path(tmp, "plugin")
        plugin_dir.mkdir()
        (plugin_dir / "b1_parts_plugin.py").write_text(PLUGIN)
        ours, base = Path(tmp, "readiness"), Path(tmp, "html")
        make_project(ours, n, marked=True, folder="checks")
        make_project(base, n, marked=True, folder="tests")
        pytest = [sys.executable, "-m", "pytest", *QUIET, "-p", "b1_parts_plugin"]
        html = ["--html=report.html", "--self-contained-html"]
        jobs = [("", [*pytest, *html], base), ("", [*pytest, "--readiness"], ours)]
        jobs += [(part, [*pytest, "--readiness"], ours) for part in PARTS]

        def count(job: tuple[str, list[str], Path]) -> int:
            off, args, cwd = job
            env = {**ENV, "B1_OFF": off, "PYTHONPATH": str(plugin_dir)}
            # Each part in a copy of the project: the runs share no report or history.
            return instructions(args, _copy(cwd, tmp, off) if off else cwd, env=env)

        with ThreadPoolExecutor(max_workers=2) as pool:
            counts = list(pool.map(count, jobs))
    baseline, full, *parts = counts
    print(f"B1 parts, items={n} (instructions of one run, garbage collector off)")
    print(f"  pytest --html       : {baseline / 1e9:.3f} G")
    print(f"  pytest --readiness  : {full / 1e9:.3f} G = {full / baseline:.3f}x")
    covered = 0
    for part, count in zip(PARTS, parts, strict=True):
        saved = full - count
        covered += saved
        print(f"  without {part:28s}: {saved / 1e9:6.3f} G less ({saved / baseline:5.1%})")
    rest = full - baseline - covered
    label = "the rest (hooks, plan, verdict, less pytest-html's rows not drawn)"
    print(f"  {label}: {rest / 1e9:.3f} G ({rest / baseline:.1%})")


def _copy(project: Path, tmp: str, part: str) -> Path:
    target = Path(tmp, "part-" + "".join(c for c in part if c.isalnum()))
    if not target.exists():
        shutil.copytree(project, target, ignore=shutil.ignore_patterns("reports"))
    return target


if __name__ == "__main__":
    main()
