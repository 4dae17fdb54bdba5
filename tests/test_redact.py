"""Nothing secret in any output: the canary never appears in a report or the terminal."""

from __future__ import annotations

import base64
import html
import json
import random
import re
import string
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.redact import MASK, Redactor, credentials_in, encodings
from tests.conftest import ReadinessProject

CANARY = "canary-s3cr3t-7f1d"
PUBLIC = "https://public-staging.example.test"


def test_the_redactor_masks_known_secrets_and_url_passwords() -> None:
    redact = Redactor([CANARY, "abc"])
    assert redact(f"token={CANARY}!") == "token=***!"
    assert redact("postgresql://app:pw-123@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("host=db password=pw-123 user=app") == "host=db password=*** user=app"
    # Values too short to be a credible secret are left alone.
    assert redact("abc") == "abc"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("PASSWORD = 'two words'", "PASSWORD = ***"),
        ("conninfo: host=db PassWord=pw-123", "conninfo: host=db PassWord=***"),
        ("sslmode=require;password=pw-123", "sslmode=require;password=***"),
        # Text that is not ASCII takes the pattern's own path.
        ("Größe: host=db PASSWORD=pw-123", "Größe: host=db PASSWORD=***"),
        # Not a DSN keyword, only a word that ends in it.
        ("mypassword=visible", "mypassword=visible"),
        ("https://deploy:pw%40123@git.test/repo", "https://deploy:***@git.test/repo"),
        ("svn+ssh://u:pw-123@host", "svn+ssh://u:***@host"),
        # No user:password part, or no scheme: nothing to mask.
        ("https://deploy@git.example.test", "https://deploy@git.example.test"),
        ("//u:visible@host", "//u:visible@host"),
    ],
)
def test_passwords_are_masked_in_any_case_and_only_where_they_are_passwords(
    text: str, masked: str
) -> None:
    assert Redactor()(text) == masked


def test_the_redactor_masks_inside_plain_data() -> None:
    redact = Redactor([CANARY])
    assert redact.data({"a": [CANARY, {"b": f"x{CANARY}"}], "n": 3}) == {
        "a": ["***", {"b": "x***"}],
        "n": 3,
    }


def test_a_secret_canary_appears_in_no_output(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
) -> None:
    monkeypatch.setenv("READINESS_CANARY", CANARY)
    monkeypatch.setenv("READINESS_PUBLIC_URL", PUBLIC)
    # pytest-metadata copies CI variables such as these into the HTML's environment table.
    monkeypatch.setenv("GIT_BRANCH", f"release/{CANARY}")
    monkeypatch.setenv("GIT_URL", "https://ci:hunter2-git@git.example.test/app.git")
    httpserver.expect_request("/echo").respond_with_data(CANARY)
    project.config(
        f"""
        [tool.readiness.envs.local]
        base_url = "{httpserver.url_for("/").rstrip("/")}"
        database_url = "postgresql://app:hunter2-db@127.0.0.1:1/x"
        public = ["READINESS_PUBLIC_URL"]
        [tool.readiness.envs.local.vars]
        token = "${{READINESS_CANARY}}"
        public_url = "${{READINESS_PUBLIC_URL}}"
        """
    )
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_assert(readiness_env):
            token = readiness_env.vars["token"]
            print("token is", token)
            assert token == "something else"

        @pytest.mark.gate("Lint: 0 errors, 0 warnings")
        def test_raise(readiness_env, evidence):
            evidence.add("note", "saw " + readiness_env.vars["token"], readiness_env.vars["token"])
            raise RuntimeError("leaked " + readiness_env.vars["token"])

        @pytest.mark.gate("Format: All files formatted")
        def test_command(run, readiness_env):
            result = run("echo $READINESS_CANARY; exit 1")
            assert result.returncode == 0, result.output

        @pytest.mark.db("RLS tests: All passing")
        def test_db(db):
            pass

        @pytest.mark.infra("Health endpoints: All returning 200")
        def test_http(http):
            body = http.get("/echo").text
            assert body == "", body

        @pytest.mark.docs("All specs: Complete")
        def test_public(readiness_env):
            assert readiness_env.vars["public_url"] == "nope", readiness_env.vars["public_url"]
        """
    )
    result = project.run("-rA", "--junitxml=junit.xml", "--tb=long")
    terminal = result.stdout.str() + result.stderr.str()
    outputs = {
        "terminal": terminal,
        "html": project.text(suffix="html"),
        "json": project.text(suffix="json"),
        "markdown": project.text(suffix="md"),
        "junit": (pytester.path / "junit.xml").read_text(),
    }
    for name, text in outputs.items():
        assert CANARY not in text, f"secret leaked into {name}"
        assert "hunter2-db" not in text, f"URL password leaked into {name}"
        assert "hunter2-git" not in text, f"URL password leaked into {name}"
    assert "***" in outputs["json"]
    # Values named in `public` stay readable.
    assert PUBLIC in outputs["json"]
    items = project.items()
    assert items["Lint: 0 errors, 0 warnings"]["reason"] == "RuntimeError: leaked ***"
    assert items["Format: All files formatted"]["evidence"][0]["detail"].strip() == "***"


def test_redaction_covers_compact_terminal_output_too(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_CANARY", CANARY)
    project.config(
        """
        [tool.readiness.envs.local.vars]
        token = "${READINESS_CANARY}"
        """
    )
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_assert(readiness_env):
            assert False, "got " + readiness_env.vars["token"]
        """
    )
    result = project.run()
    assert CANARY not in result.stdout.str()
    result.stdout.fnmatch_lines(["*BLOCKER Build: PASSING: failed - got ****"])


def test_the_redactor_masks_secrets_inside_escaped_json_and_html() -> None:
    import html
    import json

    secret = 'pa"ss<wo>rd\\1'
    redact = Redactor([secret])
    assert secret not in redact(json.dumps({"x": secret}))
    assert json.dumps(secret)[1:-1] not in redact(json.dumps({"x": secret}))
    assert html.escape(secret) not in redact(f"<p>{html.escape(secret)}</p>")


# A token with every character the encodings treat specially: `/`, `+`, `=`, `'`, `"`, `\`.
TOKEN = "s3cr3t/Tok+en='q\"\\x-" + "0123456789" * 3 + "-END"


def leaks(text: str, secret: str) -> list[str]:
    """Every form of `secret` still in `text`, and every run of 8 of its characters."""
    found = [form for form in encodings(secret) if form in text]
    found += [secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in text]
    return found


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: quote(s, safe=""),
        quote,
        quote_plus,
        lambda s: quote(quote(s, safe=""), safe=""),
        lambda s: quote(s, safe="").lower(),
        lambda s: repr(s),
        lambda s: repr({"password": s}),
        lambda s: repr(repr(s)),
        lambda s: ascii(s),
        lambda s: json.dumps(s),
        lambda s: html.escape(json.dumps(repr(s))),
        lambda s: base64.b64encode(s.encode()).decode(),
        lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
        lambda s: "Basic " + base64.b64encode(f"deploy:{s}".encode()).decode(),
        lambda s: "Basic " + base64.b64encode(f"ci:{s}".encode()).decode(),
        lambda s: "Basic " + base64.b64encode(f"u:{s}".encode()).decode(),
    ],
    ids=[
        "quote-safe-nothing",
        "quote",
        "quote_plus",
        "quoted-twice",
        "lower-case-hex",
        "repr",
        "repr-in-dict",
        "repr-of-repr",
        "ascii",
        "json",
        "html-json-repr",
        "base64",
        "urlsafe-base64",
        "basic-auth-6",
        "basic-auth-3",
        "basic-auth-2",
    ],
)
def test_a_secret_is_masked_in_every_encoding(encode: Any) -> None:
    shown = f"GET /x?key={encode(TOKEN)} failed"
    masked = Redactor([TOKEN])(shown)
    assert MASK in masked
    assert not leaks(masked, TOKEN)
    assert masked.startswith("GET /x?key=") and masked.endswith(" failed")


def test_no_run_of_eight_characters_of_a_long_secret_survives() -> None:
    secret = "s3cr3t/Tok+e" + "x" * 225 + "123456789-END"
    # What pytest prints for `assert secret == "x"`: the repr's start and end.
    shown = f"AssertionError: assert {secret[:12]!r}...{secret[-13:]!r} == 'x'"
    masked = Redactor([secret])(shown)
    assert masked == "AssertionError: assert '***'...'***' == 'x'"


def test_a_fragment_is_masked_whole_and_shorter_runs_are_left() -> None:
    secret = "abcdefghijklmnopqrstuvwxyz"
    redact = Redactor([secret])
    assert redact("<cdefghijklmnopq>") == "<***>"
    # Seven characters are not a fragment; the same seven inside a longer run are.
    assert redact("abcdefg hijklmn") == "abcdefg hijklmn"
    assert redact("x abcdefgh y stuvwxyz") == "x *** y ***"


def test_short_secrets_are_masked_whole_only() -> None:
    redact = Redactor(["pw-1234"])
    assert redact("pw-1234 pw-123") == "*** pw-123"


def test_a_url_or_dsn_secret_is_masked_whole_and_its_password_in_fragments() -> None:
    dsn = "postgresql://app:Sup3rSecretPassword@db.internal:5432/app"
    redact = Redactor([dsn, *credentials_in(dsn)])
    assert redact(f"url={dsn}") == "url=***"
    # The host and scheme are not secret on their own; the password is, even cut short.
    assert redact("could not reach db.internal:5432") == "could not reach db.internal:5432"
    assert redact('bad token "Sup3rSecretPa..."') == 'bad token "***..."'


def test_a_url_password_nested_encoded_in_a_query_string_is_masked() -> None:
    nested = quote("postgresql://app:pw-nested@db/x", safe="")
    assert Redactor()(f"https://a.test/?next={nested}&x=1") == (
        "https://a.test/?next=postgresql%3A%2F%2Fapp%3A***%40db%2Fx&x=1"
    )


@pytest.mark.parametrize("seed", range(60))
def test_any_run_of_eight_characters_is_masked_wherever_it_is_cut(seed: int) -> None:
    rnd = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "/+=-_. '\"\\"
    secret = "".join(rnd.choices(alphabet, k=rnd.randint(8, 300)))
    start = rnd.randrange(len(secret) - 7)
    # Exactly eight characters half the time: the shortest run that must go.
    piece = secret[start : start + 8 if seed % 2 else rnd.randint(start + 8, len(secret))]
    noise = "".join(rnd.choices(string.ascii_lowercase + " \n<>", k=200))
    masked = Redactor([secret])(noise[:100] + piece + noise[100:])
    assert not fragments(secret) & {masked[i : i + 8] for i in range(len(masked) - 7)}
    assert noise[:90] in masked and noise[110:] in masked


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("postgresql://app:Sup3r secretpw@127.0.0.1:5432/x", {"Sup3r secretpw"}),
        ("postgresql://app:Sup3r%ZZsecretpw@db/x", {"Sup3r%ZZsecretpw"}),
        ("postgresql://app:p%40ss@db/x", {"p%40ss", "p@ss"}),
        ("https://ghp_9sK2mQ7vX4bN1cR8tY6w@github.com/o/r", {"ghp_9sK2mQ7vX4bN1cR8tY6w"}),
        # A user name alone, or beside an empty password, is not a secret.
        ("postgresql://postgres@127.0.0.1:5432/postgres", set()),
        ("postgresql://postgres:@127.0.0.1/postgres", set()),
        ("postgresql://db/app?password=qpw12345&sslmode=require", {"qpw12345"}),
        ("host=db password=Sup3r secretpw user=app", {"Sup3r", "secretpw", "Sup3r secretpw"}),
        ("host=db password='two \\' words' user=app", {"two ' words"}),
        ("https://example.test/path/@user", set()),
        ("git clone https://ci:gitpw-123@git.test/app.git", {"gitpw-123"}),
        ("plain-token-value", set()),
    ],
)
def test_the_secret_parts_of_a_url_or_dsn_are_found(value: str, parts: set[str]) -> None:
    assert credentials_in(value) == parts


# A long token (pytest shortens its repr) with the characters every encoding treats specially.
LONG_TOKEN = (
    "s3cr3t/Tok+en='q\"\\x-"
    + "".join(random.Random(15).choices(string.ascii_letters + string.digits + "/+=", k=220))
    + "-123456789-END"
)
DSN_PASSWORDS = ("Sup3r secretpw", "Sup3r%ZZsecretpw")
DSN_WITH_SPACE = f"postgresql://app:{DSN_PASSWORDS[0]}@127.0.0.1:5432/app"

LEAKING_CHECKS = """
    import base64, logging, os, warnings
    import psycopg

    TOKEN = os.environ["READINESS_TOKEN"]
    warnings.warn(TOKEN)

    @pytest.mark.gate("Build: PASSING")
    def test_truncated_repr(readiness_env):
        logging.getLogger("check").warning("token %s", readiness_env.vars["token"])
        assert readiness_env.vars["token"] == "x"

    @pytest.mark.gate("Lint: 0 errors, 0 warnings")
    def test_repr_escaped(readiness_env):
        raise ValueError({"password": readiness_env.vars["token"]})

    @pytest.mark.gate("Format: All files formatted")
    def test_url_encoded(http, readiness_env):
        # The token encoded once; the DSN (a URL in a query string) with its password too.
        params = {"key": readiness_env.vars["token"], "next": readiness_env.database_url}
        response = http.get("/echo", params=params)
        assert response.status_code == 599, str(response.url)

    @pytest.mark.gate("Types: 0 errors")
    def test_basic_auth(readiness_env):
        print("Authorization: Basic " + base64.b64encode(f"deploy:{TOKEN}".encode()).decode())
        print(base64.b64encode(TOKEN.encode()).decode())
        assert False, base64.b64encode(f"ci:{TOKEN}".encode()).decode()

    @pytest.mark.gate("Tests: All passing")
    @pytest.mark.parametrize("value", [TOKEN], ids=[TOKEN])  # the id is the token on any pytest
    def test_parametrized(value, record_property):
        record_property("seen", value)
        warnings.warn("in a test: " + value)
        print("captured: " + value)  # so pytest-html draws its row (id and log) too

    @pytest.mark.docs("All specs: Complete")
    def test_skipped():
        pytest.skip("skip " + TOKEN)

    @pytest.mark.feature("Extras: attached")
    def test_page_extras(extras):
        import pytest_html

        extras.append(pytest_html.extras.text("text " + TOKEN))
        extras.append(pytest_html.extras.json({"token": TOKEN}))
        extras.append(pytest_html.extras.html("<p>" + TOKEN + "</p>"))

    @pytest.mark.gate("Security: 0 secrets detected")
    @pytest.mark.xfail(reason="xfail " + TOKEN)
    def test_xfail():
        assert False

    @pytest.mark.db("RLS tests: All passing")
    def test_dsn_with_a_space(db):
        pass

    @pytest.mark.db("Migrations: Applied")
    def test_dsn_badly_encoded(readiness_env):
        psycopg.connect(readiness_env.vars["other_dsn"])
"""


def fragments(value: str) -> set[str]:
    """Every run of 8 characters of `value`."""
    return {value[i : i + 8] for i in range(len(value) - 7)}


def canary_leaks(text: str) -> list[str]:
    """Every form and 8-character run of the planted secrets that `text` still shows."""
    planted = {LONG_TOKEN: True, **dict.fromkeys(DSN_PASSWORDS, True), DSN_WITH_SPACE: False}
    found = []
    for secret, in_pieces in planted.items():
        forms = encodings(secret)
        pieces = {piece for form in forms for piece in fragments(form)} if in_pieces else set()
        found += [piece for piece in forms | pieces if piece in text]
    return found


def run_leaking_project(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    monkeypatch.setenv("READINESS_TOKEN", LONG_TOKEN)
    monkeypatch.setenv("READINESS_DB_URL", DSN_WITH_SPACE)
    monkeypatch.setenv("READINESS_OTHER_DSN", f"postgresql://app:{DSN_PASSWORDS[1]}@127.0.0.1/x")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project.pytester.path / "reports" / "step.md"))
    httpserver.expect_request("/echo").respond_with_data("ok")
    project.config(
        f"""
        [tool.readiness.envs.local]
        base_url = "{httpserver.url_for("/").rstrip("/")}"
        database_url = "${{READINESS_DB_URL}}"
        [tool.readiness.envs.local.vars]
        token = "${{READINESS_TOKEN}}"
        other_dsn = "${{READINESS_OTHER_DSN}}"
        """
    )
    project.checks(LEAKING_CHECKS)
    project.checks("import os\nraise RuntimeError(os.environ['READINESS_TOKEN'])\n", "test_broken")


@pytest.mark.parametrize(
    "mode",
    [
        # pytest-html writes the extras of a page not self-contained to files of their own.
        ("-v", "-rA", "-l", "--tb=long", "--html=page.html"),
        ("-v", "-rA", "--tb=short", "-n", "2", "--color=yes"),
        ("-rx", "--tb=native", "-n", "2", "--html=page.html"),
        ("-vv", "-rA", "--tb=line", "-o", "log_cli=true"),
    ],
    ids=["verbose-locals-long-pytest-html", "xdist", "xdist-native-pytest-html", "line"],
)
def test_no_planted_secret_shows_in_any_output_in_any_form(
    project: ReadinessProject,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
    mode: tuple[str, ...],
) -> None:
    run_leaking_project(project, monkeypatch, httpserver)
    (pytester.path / "reports").mkdir()
    result = project.run_subprocess(
        "--junitxml=junit.xml", "--continue-on-collection-errors", *mode
    )
    outputs = {"terminal": result.stdout.str() + result.stderr.str()}
    # Every file the run left: reports, history, JUnit, a page of pytest-html and its assets.
    written = [p for p in pytester.path.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    outputs |= {path.name: path.read_text() for path in written}
    leaked = {name: canary_leaks(text) for name, text in outputs.items()}
    assert {name: found for name, found in leaked.items() if found} == {}
    # Every output was there to be scanned, and the leaking checks did run and fail.
    page = "page.html" if "--html=page.html" in mode else "readiness-local.html"
    expected = {"junit.xml", "step.md", "readiness-local.json", "readiness-local.md", page}
    assert expected <= set(outputs)
    assert any(name.startswith("run-") for name in outputs)  # the history file
    # The leaks did happen, and were masked where pytest prints them.
    assert "UserWarning: ***" in outputs["terminal"]
    assert "RuntimeError: ***" in outputs["terminal"]
    assert '<property name="seen" value="***" />' in outputs["junit.xml"]
    # Masking left every document whole: the XML, the JSON and the page's data still parse.
    ET.fromstring(outputs["junit.xml"])
    json.loads(outputs["readiness-local.json"])
    blob = re.search(r'data-jsonblob="([^"]*)"', outputs[page])
    assert blob is not None
    tests = json.loads(html.unescape(blob[1]))["tests"]
    assert any("test_parametrized[***]" in node for node in tests), list(tests)
    assert project.items()["Build: PASSING"]["outcome"] == "failed"


def test_no_planted_secret_shows_in_the_collected_list(
    project: ReadinessProject,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
) -> None:
    run_leaking_project(project, monkeypatch, httpserver)
    for mode in (("-q",), ("-v",)):
        result = project.run_subprocess("--collect-only", *mode)
        terminal = result.stdout.str() + result.stderr.str()
        assert "test_parametrized[" in terminal
        assert canary_leaks(terminal) == []


def test_no_planted_secret_shows_in_an_internal_error(
    project: ReadinessProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_TOKEN", LONG_TOKEN)
    project.config(
        """
        [tool.readiness.envs.local.vars]
        token = "${READINESS_TOKEN}"
        """
    )
    project.checks(
        """
        @pytest.mark.gate("Build: PASSING")
        def test_build():
            pass
        """
    )
    pytester.makeconftest(
        """
        import os

        def pytest_collection_finish(session):
            raise RuntimeError(repr(os.environ["READINESS_TOKEN"]))
        """
    )
    result = project.run_subprocess("--junitxml=junit.xml")
    terminal = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert "INTERNALERROR> RuntimeError: '***'" in terminal
    assert canary_leaks(terminal) == []


def test_an_item_whose_id_holds_a_secret_is_followed_across_runs(
    project: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The history records ids masked; this run's ids must be compared the same way.
    monkeypatch.setenv("READINESS_TOKEN", CANARY)
    project.config(
        """
        [tool.readiness.envs.local.vars]
        token = "${READINESS_TOKEN}"
        """
    )
    project.checks(
        """
        import os

        @pytest.mark.gate("Build: PASSING")
        @pytest.mark.parametrize("token", [os.environ["READINESS_TOKEN"]])
        def test_build(token):
            assert False
        """
    )
    project.run()
    project.run()
    still = project.report()["since_last_run"]["still_failing"]
    assert [line["id"] for line in still] == ["checks/test_checks.py::test_build[***]"]


@pytest.mark.parametrize("secret", ["pässwörd-Grüße-ñandú", "s3cr3t/Tok+en='q\"\\x-end"])
def test_masked_data_finds_a_cut_secret_however_it_is_spelt(secret: str) -> None:
    data = {"tests": {"a": [{"log": f"E   assert {secret[:12]!r}... == 'x'"}]}}
    masked = Redactor([secret]).masked(data)
    assert secret[:8] not in json.dumps(masked, ensure_ascii=False)
