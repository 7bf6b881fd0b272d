"""The one logging setup: every ``prima.*`` logger (the HTTP trace and the sync's events
included) writes to the invocation's stderr, scrubbed of secrets, in the format asked for
(``--log-format`` or ``PRIMA_LOG_FORMAT``):

- ``text`` (default): ``logger: message``, as people read it;
- ``json``: one JSON object per line;
- ``logfmt``: ``key=value`` pairs, values quoted where needed.

Structured lines carry ``ts`` (UTC, ISO 8601), ``level``, ``event``, ``message`` and, where
they apply, ``run_id``, ``connection_id``, ``venue``, ``platform``, ``error_type`` and
``duration_ms`` (given to a log call as ``extra``). In a structured format the command's own
messages (warnings, errors, the summary) are log records too, so every stderr line parses.
When stderr is the systemd journal (``JOURNAL_STREAM`` names its device and inode), each
line starts with its syslog priority (``<3>`` error, ``<4>`` warning, ``<6>`` info,
``<7>`` debug) so that ``journalctl -p`` filters work."""

from __future__ import annotations

import datetime as dt
import logging
import os
from enum import StrEnum
from typing import Any

from prima_cli.cli.terminal import Terminal
from prima_cli.errors import InvalidInput

ENV_FORMAT = "PRIMA_LOG_FORMAT"
#: the context fields a record may carry (``extra``), in the order they are written
FIELDS = ("run_id", "connection_id", "venue", "platform", "status", "error_type", "duration_ms",
          "exit_code", "hint")  # fmt: skip
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    LOGFMT = "logfmt"


def parse_format(value: str | None) -> LogFormat:
    """``--log-format``, else ``PRIMA_LOG_FORMAT``, else text; anything else is exit 2."""
    chosen = value if value is not None else os.environ.get(ENV_FORMAT) or "text"
    try:
        return LogFormat(chosen.strip().lower())
    except ValueError:
        source = "--log-format" if value is not None else ENV_FORMAT
        raise InvalidInput(f"{source} must be text, json or logfmt, not {chosen!r}") from None


def structured_fields(record: logging.LogRecord) -> dict[str, Any]:
    """A record as the fields of a structured line."""
    fields: dict[str, Any] = {
        "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "event": getattr(record, "event", None) or record.name,
        "message": record.getMessage(),
    }
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = value
    if record.exc_info and record.exc_info[1] is not None:
        fields.setdefault("error_type", type(record.exc_info[1]).__name__)
    return fields


def _logfmt_value(value: Any) -> str:
    text = str(value)
    if text and not any(c in text for c in ' ="\\') and text.isprintable():
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in escaped) + '"'


class _Formatter(logging.Formatter):
    def __init__(self, kind: LogFormat, journal: bool) -> None:
        super().__init__("%(name)s: %(message)s")
        self.kind = kind
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        from prima_cli import redact
        from prima_cli.cli.output import to_json
        from prima_cli.cli.terminal_text import printable

        if self.kind == LogFormat.TEXT:
            line = printable(redact.scrub(super().format(record)), lines=True)
        elif self.kind == LogFormat.JSON:
            line = to_json(structured_fields(record), pretty=False)  # scrubbed, controls escaped
        else:
            fields = structured_fields(record).items()
            line = printable(redact.scrub(" ".join(f"{k}={_logfmt_value(v)}" for k, v in fields)))
        if self.journal:
            priority = _PRIORITY.get(record.levelno, 3 if record.levelno > logging.ERROR else 6)
            line = f"<{priority}>" + line.replace("\n", "\n" + f"<{priority}>")
        return line


def stderr_is_journal(terminal: Terminal) -> bool:
    """Whether stderr is the journal's stream (``JOURNAL_STREAM`` is ``DEVICE:INODE``)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    device, _, inode = expected.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        info = os.fstat(terminal.stderr.fileno())
    except (OSError, ValueError, AttributeError):  # a stream without a descriptor (tests)
        return False
    return (info.st_dev, info.st_ino) == (int(device), int(inode))


def configure_logging(
    terminal: Terminal, verbose: bool, log_format: LogFormat = LogFormat.TEXT
) -> None:
    """Route ``prima.*`` logs to the terminal's stderr: warnings always, steps with -v; in a
    structured format also the informational events (a log shipper wants them)."""
    logger = logging.getLogger("prima")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(terminal.stderr)
    handler.setFormatter(_Formatter(log_format, stderr_is_journal(terminal)))
    logger.addHandler(handler)
    if verbose:
        logger.setLevel(logging.DEBUG)
    else:
        logger.setLevel(logging.WARNING if log_format == LogFormat.TEXT else logging.INFO)
    logger.propagate = False


def quieten() -> None:
    """--quiet: only what needs the operator (warnings and errors), whatever the format;
    --verbose still wins."""
    logger = logging.getLogger("prima")
    if logger.level > logging.DEBUG:
        logger.setLevel(logging.WARNING)
