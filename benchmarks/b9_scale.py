"""B9: the reports of a 10,000-item run: write time, HTML size, time to verdict in Chromium.

Usage: python benchmarks/b9_scale.py [N] [--keep DIR]. A synthetic checklist of N items (5%
failing, every item with command, HTTP or SQL evidence) runs once with `--readiness`; a
conftest in the project times the session finish (our JSON/Markdown/history/JUnit writing
plus pytest-html's page). Then headless Chromium (Playwright, Debian's /usr/bin/chromium)
opens the page and we time: the verdict visible, first contentful paint, the load event,
and filtering the item table down to the failures. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CATEGORIES = ("gate", "db", "infra", "feature", "docs")
QUIET = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark", "-q"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PER_FILE = 200
NOT_WRITING = ("whole session finish", "pytest terminal summary (not ours)")
LAST_ITEM = "last item finished (epoch)"

TIMER = """
# Times each report writer separately: pytest's own terminal summary (which lists every
# failure, quadratic in pytest 9) runs in the same hook and is not a report we write.
import functools, json, time
from collections import defaultdict

import _pytest.junitxml
import pytest
import pytest_html.basereport
import pytest_readiness.plugin

SPENT = defaultdict(float)
LAST_ITEM_END = [0.0]


def timed(name, function):
    @functools.wraps(function)  # keeps the hook's signature and its tryfirst/trylast marks
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - started
    return wrapper


pytest_readiness.plugin.write_reports = timed(
    "readiness json/md/history", pytest_readiness.plugin.write_reports
)
pytest_html.basereport.BaseReport.pytest_sessionfinish = timed(
    "pytest-html page (with our summary)", pytest_html.basereport.BaseReport.pytest_sessionfinish
)
_pytest.junitxml.LogXML.pytest_sessionfinish = timed(
    "junit xml", _pytest.junitxml.LogXML.pytest_sessionfinish
)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    started = time.perf_counter()
    yield
    SPENT["whole session finish"] = time.perf_counter() - started


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter):
    started = time.perf_counter()
    yield
    SPENT["pytest terminal summary (not ours)"] = time.perf_counter() - started


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        LAST_ITEM_END[0] = time.time()


def pytest_unconfigure(config):
    with open("finish-time.json", "w") as out:
        json.dump({**SPENT, "last item finished (epoch)": LAST_ITEM_END[0]}, out)
"""

CHECK = """
@pytest.mark.{category}("Item {k}: {category} line")
def test_{k}(evidence):
    {evidence}
    {verdict}
"""

EVIDENCE = (
    'evidence.add("command", "npm run build exited {code}", "line\\n" * 20 + "done {k}",'
    ' command="npm run build", returncode={code}, duration_s=1.5)',
    'evidence.add("http", "GET /health/{k}: {status}", method="GET",'
    ' url="https://staging.example.com/health/{k}", status={status}, elapsed_ms=42.0)',
    'evidence.add("sql", "1 row", query="SELECT relname FROM pg_class LIMIT 5",'
    ' columns=["relname"], rows=[["orders_{k}"]])',
)


def make_project(root: Path, n: int) -> None:
    folder = root / "checks"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.readiness]\nchecklist = "checks"\n')
    (root / "conftest.py").write_text(TIMER)
    for f in range(0, n, PER_FILE):
        parts = ["import pytest\n"]
        for k in range(f, min(f + PER_FILE, n)):
            failing = k % 20 == (k // 20) % 20  # 5%, spread over every category
            evidence = EVIDENCE[k % 3].format(
                k=k, code=1 if failing else 0, status=503 if failing else 200
            )
            verdict = f'assert False, "item {k} broke: culprit-{k}"' if failing else "pass"
            parts.append(
                CHECK.format(category=CATEGORIES[k % 5], k=k, evidence=evidence, verdict=verdict)
            )
        (folder / f"test_{f // PER_FILE:03d}.py").write_text("\n".join(parts))


def run_checklist(root: Path) -> tuple[float, float]:
    """Seconds of the whole run, and the epoch time the process exited."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *QUIET, "--readiness", "--junitxml=reports/junit.xml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed, exited = time.perf_counter() - started, time.time()
    if done.returncode != 1:
        raise SystemExit(f"expected a NO-GO run (exit 1), got {done.returncode}:\n{done.stdout}")
    return elapsed, exited


# Element Timing: when Chromium actually painted the verdict text (ms since navigation).
VERDICT_PAINT = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entry = list.getEntries().find(e => e.identifier === "readiness-verdict");
    if (entry) { resolve(entry.renderTime || entry.loadTime); }
  }).observe({type: "element", buffered: true});
  setTimeout(() => resolve(null), 5000);
})"""


def measure_browser(page_path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        started = time.perf_counter()
        page.goto(page_path.as_uri(), wait_until="commit", timeout=120_000)
        page.wait_for_selector("#readiness-verdict", state="visible", timeout=120_000)
        script_sees_verdict_s = time.perf_counter() - started
        page.wait_for_load_state("load", timeout=120_000)
        load_s = time.perf_counter() - started
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
        )
        verdict_painted = page.evaluate(VERDICT_PAINT)
        rows = page.locator("#readiness-items tr[data-outcome]:not([hidden])")
        total_rows = rows.count()
        started = time.perf_counter()
        page.select_option("#readiness-filter-outcome", "failed")
        page.wait_for_function(
            "n => document.querySelectorAll('#readiness-items tr[data-outcome]:not([hidden])')"
            ".length < n",
            arg=total_rows,
            timeout=60_000,
        )
        filter_s = time.perf_counter() - started
        started = time.perf_counter()
        page.evaluate("() => 1")
        idle_s = time.perf_counter() - started
        shown = rows.count()
        browser.close()
    return {
        "verdict_painted_s": (verdict_painted or 0.0) / 1000,
        "script_sees_verdict_s": script_sees_verdict_s,
        "first_contentful_paint_s": (paint or 0.0) / 1000,
        "load_event_s": load_s,
        "rows": float(total_rows),
        "filter_to_failed_s": filter_s,
        "rows_after_filter": float(shown),
        "script_roundtrip_after_filter_s": idle_s,
    }


def main() -> None:
    args = sys.argv[1:]
    keep = Path(args[args.index("--keep") + 1]) if "--keep" in args else None
    numbers = [a for a in args if a.isdigit()]
    n = int(numbers[0]) if numbers else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        root = keep or Path(tmp, "project")
        make_project(root, n)
        run_s, exited = run_checklist(root)
        finish = json.loads((root / "finish-time.json").read_text())
        last_item_end = finish.pop(LAST_ITEM)
        reports = root / "reports"
        page = reports / "readiness-local.html"
        sizes = {p.name: p.stat().st_size for p in sorted(reports.glob("readiness-local.*"))}
        browser = measure_browser(page)
    print(f"B9 items={n} (5% failing, one evidence each)")
    print(f"  whole run                       : {run_s:.2f} s")
    end = exited - last_item_end
    print(f"  last item finished -> exit      : {end:.2f} s (target <= 3 s)")
    ours = sum(v for k, v in finish.items() if k not in NOT_WRITING)
    print(f"  writing all reports             : {ours:.2f} s (target <= 3 s)")
    for name, seconds in finish.items():
        print(f"    {name:<34}: {seconds:.2f} s")
    for name, size in sizes.items():
        print(f"  {name:<32}: {size / 1e6:.2f} MB")
    verdict = browser["verdict_painted_s"]
    print(f"  verdict painted (Element Timing): {verdict:.2f} s (target <= 2 s)")
    print(f"  a script can see the verdict    : {browser['script_sees_verdict_s']:.2f} s")
    print(f"  first contentful paint          : {browser['first_contentful_paint_s']:.2f} s")
    print(f"  load event                      : {browser['load_event_s']:.2f} s")
    print(
        f"  filter {int(browser['rows'])} rows to failed      : "
        f"{browser['filter_to_failed_s']:.2f} s ({int(browser['rows_after_filter'])} shown)"
    )
    print(f"  script round trip after filter  : {browser['script_roundtrip_after_filter_s']:.3f} s")


if __name__ == "__main__":
    main()
