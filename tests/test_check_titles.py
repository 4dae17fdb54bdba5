"""Check titles read from the checklist folder's markers, without importing the modules."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.runbook import check_titles

CATEGORIES = {"gate", "db", "infra", "feature", "docs"}


def test_titles_come_from_category_markers_in_path_and_line_order_once_each(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text(
        "import pytest\n"
        "from pytest import mark\n"
        "raise SystemExit('never imported')\n"
        '@pytest.mark.gate("Build: PASSING", timeout=30)\n'
        "def test_build(): pass\n"
        '@mark.db("RLS tests: All passing")\n'
        '@pytest.mark.parametrize("x", [1, 2])\n'
        "def test_rls(x): pass\n"
        '@pytest.mark.gate("Build: PASSING")\n'
        "def test_build_again(): pass\n"
        '@pytest.mark.slow("not a category")\n'
        "def test_other(): pass\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_b.py").write_text(
        'import pytest\n@pytest.mark.docs("Runbooks: Updated")\nclass TestDocs: pass\n'
    )
    (tmp_path / "test_broken.py").write_text('@pytest.mark.gate("Lint"\n')
    (tmp_path / "helpers.py").write_text('@pytest.mark.gate("Not a test module")\n')
    assert check_titles.titles(tmp_path, CATEGORIES) == [
        "Runbooks: Updated",
        "Build: PASSING",
        "RLS tests: All passing",
    ]


def test_the_closest_title_is_named_for_a_near_miss() -> None:
    titles = ["Build: PASSING", "Production backup: Verified exists"]
    assert check_titles.describe_closest_title("backup verified", titles) == (
        "closest check title: 'Production backup: Verified exists'"
    )
    assert check_titles.describe_closest_title("x", []) == "no check has a title"


def test_a_team_category_marker_counts_when_it_is_one_of_the_categories(tmp_path: Path) -> None:
    (tmp_path / "test_c.py").write_text(
        'import pytest\n@pytest.mark.preflight("VPN: Connected")\ndef test_vpn(): pass\n'
    )
    assert check_titles.titles(tmp_path, CATEGORIES) == []
    assert check_titles.titles(tmp_path, {*CATEGORIES, "preflight"}) == ["VPN: Connected"]
