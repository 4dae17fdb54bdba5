"""JUnit XML reports: at least one test, no failure or error, skipped tests as warnings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_readiness.probes import junit
from pytest_readiness.probes.command import CommandResult, run_command
from tests.check_project import run_gate

# The shape pytest's --junitxml writes (xunit2 family).
PYTEST_REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="1"
 tests="3" time="0.05" timestamp="2025-10-19T10:00:00" hostname="ci">
<testcase classname="tests.test_cart" name="test_total" time="0.001" />
<testcase classname="tests.test_cart" name="test_discount" time="0.002">
<failure message="assert 91 == 90">def test_discount(): assert 91 == 90</failure></testcase>
<testcase classname="tests.test_cart" name="test_refund" time="0.000">
<skipped type="pytest.skip" message="refunds not ready">tests/test_cart.py:9</skipped></testcase>
</testsuite></testsuites>"""

# The shape jest-junit writes: a bare list of suites, an <error> element for crashes.
JEST_REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="2" failures="0" errors="1" time="1.2">
  <testsuite name="Dashboard" errors="1" failures="0" skipped="0" tests="2" time="1.1">
    <testcase classname="Dashboard renders tiles" name="Dashboard renders tiles" time="0.3"/>
    <testcase classname="Dashboard loads data" name="Dashboard loads data" time="0.8">
      <error message="TypeError: fetch is not a function"/>
    </testcase>
  </testsuite>
</testsuites>"""

EMPTY_REPORT = (
    '<testsuites><testsuite name="pytest" errors="0" failures="0" tests="0"></testsuite>'
    "</testsuites>"
)

# The shape Vitest's junit reporter writes when every file uses `describe.skip`.
VITEST_ALL_SKIPPED = """<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="6" failures="0" errors="0" time="0.412">
    <testsuite name="src/App.test.tsx" timestamp="2026-11-30T09:12:01.000Z" hostname="ci"
     tests="3" failures="0" errors="0" skipped="3" time="0">
<testcase classname="src/App.test.tsx" name="App &gt; renders" time="0"><skipped/></testcase>
<testcase classname="src/App.test.tsx" name="App &gt; routes" time="0"><skipped/></testcase>
<testcase classname="src/App.test.tsx" name="App &gt; logs in" time="0"><skipped/></testcase>
    </testsuite>
    <testsuite name="src/cart.test.ts" timestamp="2026-11-30T09:12:01.000Z" hostname="ci"
     tests="3" failures="0" errors="0" skipped="3" time="0">
<testcase classname="src/cart.test.ts" name="cart &gt; adds" time="0"><skipped/></testcase>
<testcase classname="src/cart.test.ts" name="cart &gt; totals" time="0"><skipped/></testcase>
<testcase classname="src/cart.test.ts" name="cart &gt; empties" time="0"><skipped/></testcase>
    </testsuite>
</testsuites>"""

PASSING_SUITE = """<testsuite name="unit" tests="2" failures="0" errors="0">
<testcase classname="a" name="one"/><testcase classname="a" name="two"/>
<testcase classname="a" name="three"><skipped/></testcase></testsuite>"""

PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q")
ALL_SKIPPED_TESTS = (
    "import pytest\n"
    "pytestmark = pytest.mark.skip(reason='describe.skip')\n"
    "def test_one(): pass\n"
    "def test_two(): pass\n"
)
UNIT_COMMAND = (
    f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -p no:cacheprovider -q "
    "test_later.py --junitxml=reports/junit/unit.xml"
)


def test_a_report_with_a_failure_fails_naming_the_test() -> None:
    result = junit.from_junit_xml(PYTEST_REPORT)
    assert not result.ok
    assert result.reason == "1 failed of 3 tests: tests.test_cart.test_discount (assert 91 == 90)"
    assert "tests.test_cart.test_discount" in result.reason


def test_skipped_tests_are_listed_as_a_warning() -> None:
    result = junit.from_junit_xml(PYTEST_REPORT)
    assert result.warnings == ("1 skipped: tests.test_cart.test_refund",)


def test_an_error_element_counts_as_an_error() -> None:
    result = junit.from_junit_xml(JEST_REPORT)
    assert not result.ok
    assert result.reason.startswith("1 error of 2 tests: Dashboard loads data (TypeError")
    assert "Dashboard loads data" in result.reason


def test_zero_tests_is_a_failure_saying_no_test_ran() -> None:
    result = junit.from_junit_xml(EMPTY_REPORT)
    assert not result.ok
    assert result.reason == "no test ran: JUnit report has no test cases"


def test_a_vitest_report_with_every_test_skipped_fails_saying_none_ran() -> None:
    result = junit.from_junit_xml(VITEST_ALL_SKIPPED, "reports/junit/unit.xml")
    assert not result.ok
    assert result.reason.startswith("no test ran: 6 of 6 skipped (src/App.test.tsx.App > renders")
    assert "6 tests, 0 failed, 0 errors, 6 skipped" in result.evidence[0].summary


def test_a_real_pytest_report_with_every_test_skipped_fails(tmp_path: Path) -> None:
    (tmp_path / "test_later.py").write_text(ALL_SKIPPED_TESTS)
    report = tmp_path / "unit.xml"
    started = time.time()
    run = subprocess.run(
        [*PYTEST, "test_later.py", f"--junitxml={report}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert run.returncode == 0, run.stdout
    result = junit.from_test_run("pytest", run.returncode, report, not_before=started)
    assert not result.ok
    assert result.reason.startswith("no test ran: 2 of 2 skipped (test_later.test_one")


def test_an_all_skipped_report_passes_with_a_warning_where_empty_is_expected() -> None:
    result = junit.from_junit_xml(VITEST_ALL_SKIPPED, allow_empty=True)
    assert result.ok
    assert result.warnings[0].startswith("no test ran: 6 of 6 skipped")


def test_a_report_with_no_test_cases_passes_with_a_warning_where_empty_is_expected() -> None:
    result = junit.from_junit_xml(EMPTY_REPORT, allow_empty=True)
    assert result.ok
    assert result.warnings == ("no test ran: JUnit report has no test cases",)


def test_a_bare_testsuite_root_with_only_passes_and_skips_passes_with_a_warning() -> None:
    result = junit.from_junit_xml(PASSING_SUITE)
    assert result.ok
    assert result.warnings == ("1 skipped: a.three",)
    assert "3 tests, 0 failed, 0 errors, 1 skipped" in result.evidence[0].summary


def test_broken_xml_fails_naming_the_report() -> None:
    result = junit.from_junit_xml("<testsuites><testcase>", "reports/unit.xml")
    assert not result.ok
    assert "reports/unit.xml is not valid JUnit XML" in result.reason


def test_a_missing_report_fails_naming_its_path(tmp_path: Path) -> None:
    result = junit.from_junit_file(tmp_path / "unit.xml")
    assert not result.ok
    assert f"no JUnit report at {tmp_path / 'unit.xml'}" == result.reason


def test_a_report_left_over_from_an_earlier_run_is_refused(tmp_path: Path) -> None:
    report = tmp_path / "unit.xml"
    report.write_text(PASSING_SUITE)
    an_hour_ago = time.time() - 3600
    os.utime(report, (an_hour_ago, an_hour_ago))
    result = junit.from_junit_file(report, not_before=time.time())
    assert not result.ok
    assert "was not rewritten by this run" in result.reason


def test_a_nonzero_exit_with_a_clean_report_still_fails(tmp_path: Path) -> None:
    report = tmp_path / "unit.xml"
    report.write_text(PASSING_SUITE)
    result = junit.from_test_run("npm run test:unit", 1, report)
    assert not result.ok
    assert result.reason == "npm run test:unit exited 1 although unit.xml shows no failure"
    assert junit.from_test_run("npm run test:unit", 0, report).ok


def test_the_unit_tests_item_fails_when_every_test_was_skipped(pytester: pytest.Pytester) -> None:
    (pytester.path / "ws").mkdir()
    (pytester.path / "ws" / "test_later.py").write_text(ALL_SKIPPED_TESTS)
    item = run_gate(pytester, "test_unit_tests", unit_test_command=UNIT_COMMAND)
    assert item["outcome"] == "failed"
    assert item["reason"].startswith("no test ran: 2 of 2 skipped (ws.test_later.test_one")


def test_the_unit_tests_item_passes_skipped_tests_where_vars_say_empty_is_expected(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "ws").mkdir()
    (pytester.path / "ws" / "test_later.py").write_text(ALL_SKIPPED_TESTS)
    item = run_gate(
        pytester, "test_unit_tests", unit_test_command=UNIT_COMMAND, unit_allow_empty=True
    )
    assert item["outcome"] == "passed", item["reason"]
    warnings = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    assert warnings == [
        "no test ran: 2 of 2 skipped (ws.test_later.test_one, ws.test_later.test_two)"
    ]


def test_a_runner_that_crashed_before_writing_its_report_fails_with_its_error_line(
    tmp_path: Path,
) -> None:
    command = f"{sys.executable} -c 'import no_such_test_runner'"
    ran = run_command(command, cwd=tmp_path, timeout=30)
    result = junit.from_test_command(ran, tmp_path / "unit.xml", not_before=time.time() - 5)
    assert result.reason == (
        f"no JUnit report at {tmp_path / 'unit.xml'}: `{command}` exited 1: "
        "ModuleNotFoundError: No module named 'no_such_test_runner'"
    )


def test_a_half_written_report_fails_with_what_the_runner_said(tmp_path: Path) -> None:
    report = tmp_path / "unit.xml"
    script = f"printf '<testsuite><testcase' > {report}; echo 'FATAL: worker crashed'; exit 1"
    ran = run_command(script, cwd=tmp_path, timeout=30)
    result = junit.from_test_command(ran, report)
    assert result.reason.startswith(f"{report} is not valid JUnit XML: ")
    assert result.reason.endswith(f"`{script}` exited 1: FATAL: worker crashed")


def test_a_test_run_that_timed_out_names_its_command_even_with_a_clean_report(
    tmp_path: Path,
) -> None:
    report = tmp_path / "unit.xml"
    report.write_text(PASSING_SUITE)
    ran = CommandResult("npm run test:unit", -9, "RUN v3.2 src/\n", 30.0, True, 30.0)
    result = junit.from_test_command(ran, report)
    assert result.reason == "`npm run test:unit` timed out after 30 s: RUN v3.2 src/"


# The shape Vitest 3's JUnit reporter writes for a test file that fails to import (captured
# with a missing module), with Vite's import-analysis message in place of Node's.
RESOLVE = 'Failed to resolve import "./Missing" from "src/App.test.tsx". Does the file exist?'
VITEST_IMPORT_FAILURE = f"""<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="1" failures="1" errors="0" time="0">
  <testsuite name="src/App.test.tsx" tests="1" failures="1" errors="0" skipped="0" time="0">
    <testcase classname="src/App.test.tsx" name="src/App.test.tsx" time="0">
      <failure message="{RESOLVE.replace('"', "&quot;")}" type="Error">
Error: {RESOLVE}
      </failure>
    </testcase>
  </testsuite>
</testsuites>"""


def test_a_vitest_file_that_fails_to_import_is_named_once_with_its_error() -> None:
    result = junit.from_junit_xml(VITEST_IMPORT_FAILURE)
    assert result.reason == f"1 failed of 1 test: src/App.test.tsx ({RESOLVE})"


def test_a_pytest_module_that_does_not_import_is_named_with_its_exception(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("import no_such_mod\ndef test_a(): pass\n")
    report = tmp_path / "junit.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            str(tmp_path / "test_x.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    result = junit.from_junit_file(report)
    assert result.reason == (
        "1 error of 1 test: test_x (ModuleNotFoundError: No module named 'no_such_mod')"
    )
