"""`prima help TOPIC`: the topics, each a function returning its text.

``TOPICS`` is a plain mapping of name -> function, so the man page and the README can include
the same text. A topic that has a source in the code is generated from it: the exit codes from
:class:`~prima_cli.errors.ExitCode`'s meanings, the environment from :data:`ENVIRONMENT`, the
JSON contract from :mod:`prima_cli.cli.json_contract`. Only light modules are imported here.
"""

from __future__ import annotations

from collections.abc import Callable

from prima_cli.errors import ALREADY_IN_STATE, ExitCode

#: every environment variable prima reads, with its effect (README "Environment variables"
#: is generated from it)
ENVIRONMENT: dict[str, str] = {
    "PRIMA_DATABASE_URL": "Database URL when `--db` is not given. `postgresql://` uses psycopg, "
    "`mysql://`/`mariadb://` use PyMySQL (extras `postgres`, `mysql`).",
    "PRIMA_DATA_DIR": "Overrides the data directory (default: the platformdirs user data dir of "
    "`prima`), where the default SQLite file `prima.db` is created with mode 0600.",
    "PRIMA_CONNECT_TIMEOUT": "HTTP connect timeout in seconds (default 5).",
    "PRIMA_READ_TIMEOUT": "HTTP read timeout in seconds (default 15): the longest wait for the "
    "next bytes of an answer; a whole answer takes at most 8 times it.",
    "PRIMA_NO_PROMPT": "Never prompt, even on a terminal.",
    "PRIMA_LOG_FORMAT": "`text` (default), `json` or `logfmt`, when `--log-format` is not given.",
    "JOURNAL_STREAM": "Set by systemd; when it names stderr, lines start with their syslog "
    "priority.",
    "PRIMA_FORCE_TTY": "Behave as on a terminal (tests, screenshots).",
    "PRIMA_SANDBOX_PORT": "The port of `prima sandbox serve` when `--port` is not given (0 picks "
    "a free one).",
    "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY": "An HTTP proxy for platform requests of that scheme "
    "(`http://[user:password@]host:port`); proxied requests draw from the same budgets.",
    "NO_PROXY": "Hosts reached without the proxy, comma-separated: names and domain suffixes, "
    "`*` for all (as Python's urllib reads it: no address ranges).",
    "SSL_CERT_FILE, SSL_CERT_DIR": "The CA certificates that platform TLS is checked against.",
    "NO_COLOR": "No colours or styles.",
    "COVERMANAGER_API_KEY": "The key that connections migrated from the legacy CoverManager "
    "columns refer to (`env:COVERMANAGER_API_KEY`).",
}


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines += [f"| {left} | {right} |" for left, right in rows]
    return "\n".join(lines)


#: how scripts read an error (README and `prima help exit-codes`)
ERRORS_FOR_SCRIPTS = (
    "With `--json` (or any `--format` but table, or `--jq`), an error is one JSON line on "
    "stderr when stderr is not a terminal: "
    '`{"error": {"type", "message", "hint", "exit_code", "retryable", ...}}`. `retryable` is '
    "true when the same command may simply be run again (exit 69 and 75); an outcome-unknown "
    "error (exit 8) is never retryable: reconcile it. A batch (`platforms sync`, `platforms "
    "test`, `bookings reconcile`) that exits non-zero writes its outcome on stdout as usual "
    "and the error line too (type `partial_failure`, or `batch_failed` when every item failed "
    "alike), saying what failed: cron mails a sync that went wrong even with stdout kept."
)


def exit_codes_markdown() -> str:
    """The README's "Exit codes" table and rules (between its marker comments)."""
    rows = [(str(int(code)), code.meaning) for code in ExitCode]
    table = _table(("Code", "Meaning"), rows)
    return f"{table}\n\n{ALREADY_IN_STATE}\n\n{ERRORS_FOR_SCRIPTS}"


def environment_markdown() -> str:
    """The README's "Environment variables" table (between its marker comments)."""
    return _table(("Variable", "Effect"), [(f"`{k}`", v) for k, v in ENVIRONMENT.items()])


def _wrapped(rows: list[tuple[str, str]], width: int) -> str:
    import textwrap

    indent = " " * (width + 2)
    return "\n".join(
        textwrap.fill(text, 96, initial_indent=f"{key:<{width}}  ", subsequent_indent=indent)
        for key, text in rows
    )


def exit_codes() -> str:
    rows = [(f"{int(c):>3} {c.name}", c.meaning) for c in ExitCode]
    import textwrap

    width = max(len(k) for k, _ in rows)
    return (
        "Exit codes (every code means one thing):\n\n"
        + _wrapped(rows, width)
        + "\n\nAlready in that state:\n"
        + textwrap.fill(ALREADY_IN_STATE, 96, initial_indent="  ", subsequent_indent="  ")
        + "\n\n"
        + textwrap.fill(ERRORS_FOR_SCRIPTS, 96)
        + "\n"
    )


def environment() -> str:
    width = max(len(k) for k in ENVIRONMENT)
    return "Environment variables:\n\n" + _wrapped(list(ENVIRONMENT.items()), width) + "\n"


def json_topic() -> str:
    from prima_cli.cli.json_contract import overview

    return overview()


def secrets() -> str:
    return """Secrets (a connection's api_key and any field its type declares secret):

A secret is stored as a reference, read each time it is used (one that does not resolve is
exit 78; `prima doctor` lists it and why):

  --set api_key=env:NAME          the environment variable NAME
  --set api_key=file:/path        the file's content (absolute path; the file chmod 600)
  --set api_key=keyring:SVC/NAME  the system keyring's entry (the keyring extra)

It is stored in the database only when asked (`prima doctor` lists the connections that do):

  --set api_key=literal:VALUE     as given, with a warning: visible in the process list and
                                  history
  --store-secret --set api_key=-  read from stdin (printf %s "$KEY" | prima platforms add ...)
  --store-secret (not given)      asked with hidden input on a terminal (never under cron)

Without either, a bare value, `-` or a missing secret is refused (exit 2) naming these forms.

A secret is printable ASCII; anything else is refused (exit 78) naming the position, never the
value. Secrets are masked everywhere they could be shown (tables, JSON, logs, errors, --verbose
HTTP traces): only the last 4 characters of a secret of 8 or more are shown (****abcd).
Passwords inside database and base URLs are shown as ***.
"""


#: name -> function returning the topic's text
TOPICS: dict[str, Callable[[], str]] = {
    "exit-codes": exit_codes,
    "json": json_topic,
    "environment": environment,
    "secrets": secrets,
}
