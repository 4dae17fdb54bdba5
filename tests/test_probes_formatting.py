"""Format checks: pass on exit 0, otherwise name the files the checker listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytest_readiness.probes import formatting

PRETTIER_CHECK = """Checking formatting...
[warn] src/Dashboard.tsx
[warn] src/tiles/Inventory.tsx
[warn] Code style issues found in 2 files. Run Prettier with --write to fix.
"""


def test_prettier_check_output_names_the_files() -> None:
    result = formatting.from_format_check(1, PRETTIER_CHECK, "npm run fmt")
    assert not result.ok
    assert result.reason == "2 files not formatted: src/Dashboard.tsx, src/tiles/Inventory.tsx"


def test_real_ruff_format_check_output_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "ugly.py").write_text("x = {  'a':1 }\n")
    (tmp_path / "fine.py").write_text("y = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--isolated", "--check", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    result = formatting.from_format_check(done.returncode, done.stdout + done.stderr)
    assert not result.ok
    assert result.reason == "1 file not formatted: ugly.py"


def test_black_style_lines_are_understood() -> None:
    output = "would reformat /app/tools/x.py\nOh no! 1 file would be reformatted.\n"
    assert formatting.unformatted_files(output) == ["/app/tools/x.py"]


def test_exit_zero_passes() -> None:
    assert formatting.from_format_check(0, "All matched files use Prettier code style!\n").ok


def test_a_failure_naming_no_file_gives_the_exit_code_and_the_tools_error_line() -> None:
    result = formatting.from_format_check(2, "error: unexpected argument", "npm run fmt")
    assert result.reason == "`npm run fmt` exited 2: error: unexpected argument"


def test_real_ruff_format_check_on_a_folder_without_python_files_fails(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--isolated", "--check", "src"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    result = formatting.from_format_check(done.returncode, done.stdout + done.stderr)
    assert not result.ok
    assert result.reason == (
        "no files checked for formatting: warning: No Python files found under the given path(s)"
    )


def test_black_with_nothing_to_format_fails() -> None:
    output = "No Python files are present to be formatted. Nothing to do 😴\n"
    result = formatting.from_format_check(0, output, "black --check src")
    assert result.reason == (
        "no files checked for formatting: No Python files are present to be formatted. "
        "Nothing to do 😴"
    )


def test_nothing_to_format_passes_with_a_warning_where_empty_is_expected() -> None:
    output = "warning: No Python files found under the given path(s)\n"
    result = formatting.from_format_check(0, output, allow_empty=True)
    assert result.ok
    assert result.warnings == (
        "no files checked for formatting: warning: No Python files found under the given path(s)",
    )


def test_an_empty_format_command_fails() -> None:
    result = formatting.from_format_check(0, "", " ")
    assert result.reason == "no command to run: the format command is empty"


def test_real_ruff_format_check_of_formatted_files_passes(tmp_path: Path) -> None:
    (tmp_path / "fine.py").write_text("y = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--isolated", "--check", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert formatting.from_format_check(done.returncode, done.stdout + done.stderr).ok
