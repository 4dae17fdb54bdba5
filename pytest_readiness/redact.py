"""The one redactor every output goes through: secrets (in every encoding, and in fragments) and
URL passwords.

A secret is masked as written and as it reads once URL-encoded (`quote`, `quote_plus`, twice for
a URL nested in a query string), repr-escaped (`'`, `"`, `\\`), base64-encoded (alone, or after a
prefix such as HTTP Basic's `user:`), and each of those once more as escaped in JSON, HTML or XML.
Of a secret of `FRAGMENT` or more characters, no run of `FRAGMENT` consecutive characters
survives as written, repr-escaped or URL-encoded (nor those escaped in JSON or HTML): pytest
shortens a long repr to its start and its end. A URL or DSN is masked whole; its password is a
secret of its own (`credentials_in`).
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote

MASK = "***"

# A value this short is not a credible secret, and masking it would garble every output.
MIN_SECRET_LENGTH = 4
# The shortest run of a secret's characters that is masked wherever it appears.
FRAGMENT = 8

# Both patterns begin with the text they look for, so `re` skips ahead to where it occurs
# instead of trying a match at every character: over a 1 MB report, 35x faster for URLs and
# 6x for `password=`. What comes before (the scheme, a word boundary) is checked by looking
# behind. `[Pp][Aa]...` rather than IGNORECASE, which would disable the skipping.
_URL_PASSWORD = re.compile(r"(?P<head>://(?<=[A-Za-z0-9+.-]://)[^/\s:@]*:)(?P<pw>[^@\s/]+)(?=@)")
_DSN_PASSWORD = re.compile(
    r"(?P<head>[Pp](?<!\w[Pp])[Aa][Ss][Ss][Ww][Oo][Rr][Dd]\s*=\s*)(?P<pw>'[^']*'|\S+)"
)
# A URL inside a query string (`?next=postgresql%3A%2F%2Fapp%3Apw%40db`): `://`, `:`, `@` encoded.
# Its literal start lets `re` skip ahead as above (3x faster than `"%3" in text` first).
_ENCODED_URL_PASSWORD = re.compile(
    r"(?P<head>%3[Aa]%2[Ff]%2[Ff](?:[^\s&/%]|%(?!3[Aa]|40)[0-9A-Fa-f]{2})*%3[Aa])"
    r"(?P<pw>(?:[^\s&/%]|%(?!40)[0-9A-Fa-f]{2})+)(?=%40)"
)
_PERCENT = re.compile(r"%[0-9A-F]{2}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_URL_INSIDE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://(?P<rest>\S+)")
# The value as libpq reads it (quoted, or up to a space), and up to the next `key=`, for a
# password with an unquoted space that libpq then quotes in its error.
_KEYWORD_PASSWORD = re.compile(
    r"(?<!\w)password\s*=\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|(?P<word>\S+)(?P<more>.*?)(?=\s+\w+\s*=|\s*$))",
    re.IGNORECASE | re.DOTALL,
)
_KEYWORD_DSN = re.compile(r"\s*\w+\s*=\s*\S.*\s\w+\s*=", re.DOTALL)


class Redactor:
    """Replaces every known secret (any form, any long fragment) and URL password with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        in_pieces = {s for s in values if len(s) >= FRAGMENT and not is_structured(s)}
        pieces = {f for s in in_pieces for f in cut_forms(s)}
        whole = {f for s in values for f in encodings(s)} - pieces
        self._fragments = _Fragments(pieces, {f for f in whole if len(f) >= FRAGMENT})
        self._short = _alternation(f for f in whole if len(f) < FRAGMENT)

    def __call__(self, text: str) -> str:
        return self.text(text)

    def text(self, text: str) -> str:
        if len(text) < MIN_SECRET_LENGTH:
            return text
        text = self._fragments.mask(text)
        if self._short is not None:
            text = self._short.sub(MASK, text)
        text = _ENCODED_URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        # For ASCII text (most reports), lower-casing and searching is 4x faster than the
        # pattern's scan for [Pp]; other text would be lower-cased the slow way.
        if text.isascii() and "password" not in text.lower():
            return text
        return _DSN_PASSWORD.sub(lambda m: m.group("head") + MASK, text)

    def dumps(self, value: Any, *, text: str | None = None) -> str:
        """Plain data as JSON text, every string in it masked (`text`: `value` already
        dumped with `ensure_ascii=False`).

        Masking the finished text could cut through an escape and break the document, so one
        pass over the text only finds whether anything is to be masked; then each string is.
        """
        if text is None:
            text = json.dumps(value, ensure_ascii=False)
        if self.text(text) == text:
            return text
        return json.dumps(self.data(value), ensure_ascii=False)

    def masked(self, value: Any) -> Any:
        """`data`, only when one pass over `value` as JSON text finds anything to mask."""
        text = json.dumps(value)  # ASCII only: twice as fast to make, and its forms are known
        return value if self.text(text) == text else self.data(value)

    def data(self, value: Any) -> Any:
        """Redact every string inside plain JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


class _Fragments:
    """Masks the forms of secrets of `FRAGMENT` or more characters: whole, or (those that can
    be cut short) every run of `FRAGMENT` or more consecutive characters of them.

    A search for each of a thousand windows, or for one alternation of them all, costs 150 to
    250 ms per MB of report in `re`. Instead, trigrams of each form are picked so that every
    window holds one (one at least every 6 characters), each starting with as rare a character
    as there is; their alternation is searched first. `re` skips in C past characters no
    trigram starts with, and on ordinary text finds nothing: a few ms per MB. Where a trigram
    is found, the windows around it are looked up, and a run is followed as far as it agrees
    with the form it came from, so it is masked whole.
    """

    def __init__(self, pieces: Iterable[str], whole: Iterable[str]) -> None:
        self._starts: dict[str, list[tuple[str, int]]] = {}
        anchors: set[str] = set()
        for form in pieces:
            for i in range(len(form) - FRAGMENT + 1):
                self._starts.setdefault(form[i : i + FRAGMENT], []).append((form, i))
            anchors |= _anchors(form)
        self._whole = tuple(whole)
        # A form masked only whole is there only if all of it is: its rarest trigram will do.
        self._whole_anchors = {max(_trigrams(form), key=_rarity) for form in self._whole}
        anchors |= self._whole_anchors
        self._anchors = re.compile(_trie_pattern(anchors)) if anchors else None

    @functools.cached_property
    def _whole_pattern(self) -> re.Pattern[str] | None:
        """Compiled on first need: for a long secret (a private key) it takes tens of ms."""
        return _alternation(self._whole)

    def mask(self, text: str) -> str:
        hits = self._hits(text)
        if not hits:
            return text
        whole = self._whole_pattern if self._whole_anchors.intersection(hits.values()) else None
        if whole is not None:
            text = whole.sub(MASK, text)
            hits = self._hits(text)
        return self._mask_runs(text, hits) if self._starts else text

    def _hits(self, text: str) -> dict[int, str]:
        """Where each trigram is found, overlapping ones too (which `finditer` would skip)."""
        hits: dict[int, str] = {}
        if self._anchors is None:
            return hits
        found = self._anchors.search(text)
        while found is not None:
            hits[found.start()] = found[0]
            found = self._anchors.search(text, found.start() + 1)
        return hits

    def _mask_runs(self, text: str, hits: Iterable[int]) -> str:
        parts: list[str] = []
        done = 0
        for at in hits:
            start = next(
                (
                    i
                    for i in range(max(done, at - _ANCHOR_SPAN + 1), at + 1)
                    if text[i : i + FRAGMENT] in self._starts
                ),
                None,
            )
            if start is None:
                continue
            window = text[start : start + FRAGMENT]
            parts += [text[done:start], MASK]
            done = start + max(_agreeing(text, start, f, i) for f, i in self._starts[window])
        parts.append(text[done:])
        return "".join(parts)


# Trigrams starting within every `_ANCHOR_SPAN` positions: each window of `FRAGMENT` holds one.
_ANCHOR = 3
_ANCHOR_SPAN = FRAGMENT - _ANCHOR + 1
# Characters by how often they occur in reports, commonest first (space, markup, English
# letters by frequency, digits); anything not listed (capitals, other symbols) is rarer.
_COMMON = " \n<>\"=/:;,.-_()'{}[]&#etaoinsrhldcumfpgwybvkxjqz0123456789"
_RANK = {char: rank for rank, char in enumerate(_COMMON)}


def _rarity(text: str) -> int:
    """How rare the first character of `text` is in reports: higher is rarer."""
    return _RANK.get(text[0], len(_COMMON))


def _trigrams(form: str) -> list[str]:
    return [form[i : i + _ANCHOR] for i in range(len(form) - _ANCHOR + 1)]


def _anchors(form: str) -> set[str]:
    """Trigrams of `form`, one starting within every `_ANCHOR_SPAN` positions, each the rarest
    of its span: then every `FRAGMENT`-character window of `form` holds one whole."""
    chosen: set[str] = set()
    i = 0
    while i <= len(form) - FRAGMENT:
        span = range(i, min(i + _ANCHOR_SPAN, len(form) - _ANCHOR + 1))
        at = max(span, key=lambda k: (_rarity(form[k:]), k))
        chosen.add(form[at : at + _ANCHOR])
        i = at + 1
    return chosen


def _alternation(forms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all `forms`, longest first, so a form that contains another wins."""
    ordered = sorted(set(forms), key=len, reverse=True)
    return re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None


def _agreeing(text: str, start: int, form: str, offset: int) -> int:
    """How many characters of `text` from `start` agree with `form` from `offset`."""
    n = FRAGMENT
    limit = min(len(text) - start, len(form) - offset)
    while n < limit and text[start + n] == form[offset + n]:
        n += 1
    return n


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many same-length words, branching once per character (not once per word)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items())]
        if len(branches) <= 1:
            return "".join(branches)
        return "(?:" + "|".join(branches) + ")"

    return emit(root)


def encodings(secret: str) -> set[str]:
    """Every form `secret` may take in an output: as written, URL-encoded, repr-escaped and
    base64-encoded, each also as it reads once escaped in JSON, HTML or XML."""
    inner = {secret, *_url_forms(secret), *_repr_forms(secret), *_base64_forms(secret)}
    return {form for each in inner for form in _document_forms(each)}


def cut_forms(secret: str) -> set[str]:
    """The forms of `secret` in which pytest or a library may cut it short (as written,
    repr-escaped, URL-encoded), also as escaped in JSON or HTML: no run of `FRAGMENT` of their
    characters is left. Every other form (base64, encoded twice...) is masked whole."""
    inner = {secret, *_repr_forms(secret), quote(secret, safe=""), quote_plus(secret)}
    return {
        form
        for each in inner
        for form in (
            each,
            json.dumps(each, ensure_ascii=False)[1:-1],
            json.dumps(each)[1:-1],
            html.escape(each),
        )
    }


def _url_forms(secret: str) -> Iterator[str]:
    once = {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/")}
    # A URL carrying the secret, itself sent as a query parameter, encodes it twice.
    twice = {quote(form, safe="") for form in once}
    for form in once | twice:
        yield form
        yield _PERCENT.sub(lambda m: m[0].lower(), form)


def _repr_forms(secret: str) -> Iterator[str]:
    once = repr(secret)[1:-1]
    yield once
    yield ascii(secret)[1:-1]
    # `repr` escapes the quote it delimits with only when the text holds both kinds.
    escaped = secret.encode("unicode_escape").decode("ascii")  # as in a parametrize id
    yield escaped
    for quote_char in "'\"":
        yield escaped.replace(quote_char, "\\" + quote_char)
    # A repr inside a repr (an exception's args shown by `-l`) doubles every backslash.
    yield repr(once)[1:-1]


def _base64_forms(secret: str) -> Iterator[str]:
    """The secret's base64, and what of it shows inside the base64 of a longer text.

    After a prefix (HTTP Basic's `user:`) of 1 or 2 bytes modulo 3 the secret's bits are
    shifted; for each shift, the characters made only of the secret's bits are the same
    whatever the prefix and whatever follows.
    """
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        yield encode(raw).decode("ascii")
        for shift in range(3):
            text = encode(bytes(shift) + raw).decode("ascii").rstrip("=")
            first = -(-8 * shift // 6)  # the first character without a prefix bit
            last = 8 * (shift + len(raw)) // 6  # past the last without a following bit
            core = text[first:last]
            if len(core) >= FRAGMENT:
                yield core


def _document_forms(value: str) -> Iterator[str]:
    yield value
    for as_json in (json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]):
        yield as_json
        yield html.escape(as_json)
    as_html = html.escape(value)
    yield as_html
    yield json.dumps(as_html)[1:-1]
    yield html.escape(value, quote=False)
    # ElementTree's attributes (JUnit XML): `"` escaped, `'` not, white space as references.
    as_attribute = html.escape(value, quote=False).replace('"', "&quot;")
    yield as_attribute.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


def is_structured(value: str) -> bool:
    """True for a URL or keyword DSN: its secret parts are registered on their own instead."""
    return bool(_SCHEME.match(value) or _KEYWORD_DSN.match(value))


def credentials_in(value: str) -> set[str]:
    """The secret parts of a URL or DSN value: its password (as written and decoded), a user
    that is a token (`https://<token>@host`), a `password=` keyword or query parameter.

    libpq quotes the password alone in its errors (`invalid percent-encoded token: "..."`).
    A user name is not a secret: masking every run of `postgres` would garble every output.
    """
    found: set[str] = set()
    scheme = _SCHEME.match(value)
    if scheme:
        return {part for part in _url_credentials(value[scheme.end() :]) if part}
    # A URL inside a longer value (a command line): up to the next white space.
    for url in _URL_INSIDE.finditer(value):
        found |= _url_credentials(url["rest"])
    for match in _KEYWORD_PASSWORD.finditer(value):
        if match["word"] is None:
            found.add(re.sub(r"\\(.)", r"\1", match["value"][1:-1]))
            continue
        found |= {match["word"], match["value"], *match["more"].split()}
    return {part for part in found if part}


def _url_credentials(rest: str) -> set[str]:
    authority = re.split(r"[?#]", rest, maxsplit=1)[0]
    query = rest[len(authority) + 1 :] if rest[len(authority) : len(authority) + 1] == "?" else ""
    found = {v for k, v in parse_qsl(query.split("#")[0]) if k.lower() == "password"}
    # The user-info ends at the last `@` before the path; a password may hold `@` or `/`.
    if "@" not in authority:
        return found
    for userinfo in {authority.split("@")[0], authority.rpartition("@")[0]}:
        user, colon, password = userinfo.partition(":")
        if "/" in user:
            continue
        if colon:
            found |= {password, unquote(password)}
        elif _is_token(user):
            found.add(user)
    return found


def _is_token(user: str) -> bool:
    """A user-info without a password that is a credential, not a name: long, letters and
    digits (GitHub's `https://ghp_...@github.com`)."""
    return len(user) >= 16 and any(c.isdigit() for c in user) and any(c.isalpha() for c in user)
