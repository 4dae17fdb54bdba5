"""Which SQL a check may send through `db`: reads only, inside a transaction it cannot end.

The server refuses writes in a read-only transaction, but not everything that persists: it
lets a statement end or re-open the transaction (COMMIT, ROLLBACK, BEGIN, SAVEPOINT games),
run a shell command or write a server file (COPY ... TO PROGRAM, also from a DO block), take
a lock that outlives the rollback (session advisory locks) or act on other sessions
(pg_terminate_backend). So a statement is refused unless its first keyword is one of the
read statements below, and refused wherever it names such a function. One statement per
call is the server's own rule: `db` always uses the extended query protocol.
"""

from __future__ import annotations

import re

# The statements a check needs to read; everything else (INSERT, COPY, DO, LOCK, CALL,
# COMMIT, VACUUM, ...) is refused before it reaches the server.
READ_STATEMENTS = frozenset(
    {"select", "with", "values", "table", "show", "explain", "set", "reset"}
    | {"declare", "fetch", "move", "close"}
)
_TRANSACTION_CONTROL = frozenset(
    {"begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release"}
    | {"prepare", "discard"}
)
# SET/RESET of these would change the transaction (or the next one) or reset everything.
_TRANSACTION_SETTINGS = frozenset(
    {"transaction", "characteristics", "all", "session_characteristics"}
    | {"transaction_read_only", "default_transaction_read_only"}
    | {"transaction_isolation", "default_transaction_isolation"}
    | {"transaction_deferrable", "default_transaction_deferrable"}
)
# Functions whose effect a read-only transaction allows and its rollback does not undo.
_OUTSIDE_EFFECTS = re.compile(
    r"""(?<![\w$])(
        pg_terminate_backend | pg_cancel_backend | pg_(?:try_)?advisory_\w+
      | pg_reload_conf | pg_rotate_logfile\w* | pg_switch_wal | pg_create_restore_point
      | pg_(?:start|stop)_backup | pg_backup_(?:start|stop) | pg_promote | pg_wal_replay_\w+
      | pg_stat_reset\w* | pg_(?:create|drop|copy)_\w*replication_slot
      | pg_replication_slot_advance | pg_replication_origin_(?:create|drop|advance|session_\w+)
      | pg_logical_emit_message | pg_log_backend_memory_contexts
      | pg_file_(?:write|rename|unlink|sync) | lo_import | lo_export | dblink\w*
    )(?![\w$])""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r'"?([A-Za-z_][\w$]*)"?')


def refusal(statement: str) -> str | None:
    """Why `statement` may not run through `db` (one line), or None when it is a read."""
    words = _leading_words(statement, 3)
    if not words:
        return None
    keyword = words[0]
    if keyword in _TRANSACTION_CONTROL:
        return f"db refused {keyword.upper()}: a check cannot end or change db's transaction"
    if keyword not in READ_STATEMENTS:
        return f"db refused {keyword.upper()}: only reads run in db's read-only transaction"
    if keyword in ("set", "reset"):
        setting = _setting_name(words[1:])
        if setting in _TRANSACTION_SETTINGS:
            shown = f"{keyword} {setting}".upper()
            return f"db refused {shown}: a check cannot change db's read-only transaction"
    # Raw text: a name hidden in what looks like a comment (`$$/*$$`) is still found.
    effect = _OUTSIDE_EFFECTS.search(statement)
    if effect:
        name = effect.group(1).lower()
        return f"db refused {name}(): its effect is outside the transaction a rollback undoes"
    return None


def _setting_name(words: list[str]) -> str:
    """`SET [SESSION | LOCAL] name`: the name, with SESSION kept for SESSION CHARACTERISTICS."""
    if words and words[0] in ("session", "local"):
        words = words[1:]
    return words[0] if words else ""


def _leading_words(statement: str, count: int) -> list[str]:
    """The first `count` identifiers of `statement`, lower-cased, comments and `(` skipped."""
    text = _without_comments(statement)
    words: list[str] = []
    position = 0
    while len(words) < count:
        position = _skip_blank(text, position)
        match = _WORD.match(text, position)
        if match is None:
            break
        words.append(match.group(1).lower())
        position = match.end()
    return words


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and (text[position].isspace() or text[position] == "("):
        position += 1
    return position


def _without_comments(statement: str) -> str:
    """`statement` with `--` and (nested) `/* */` comments replaced by a space.

    Quoted text is left alone, so a comment marker inside a string stays text.
    """
    out: list[str] = []
    i, n = 0, len(statement)
    while i < n:
        if statement.startswith("--", i):
            end = statement.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
        elif statement.startswith("/*", i):
            i = _comment_end(statement, i)
            out.append(" ")
        elif statement[i] in "'\"":
            end = _quote_end(statement, i)
            out.append(statement[i:end])
            i = end
        else:
            out.append(statement[i])
            i += 1
    return "".join(out)


def _comment_end(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(text)


def _quote_end(text: str, start: int) -> int:
    """Index after the quote opened at `start` (a doubled quote is part of the text)."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)
