"""Text from data made safe for a terminal: control characters never reach it.

A venue named ``Red\\x1b[41mZone``, a guest's notes or a platform's error message could
otherwise paint the table, move the cursor or clear the screen (ESC, CSI and the other C0
and C1 controls). Every cell, record value, message and error passes through
:func:`printable` in ``cli/output.py`` (and the log formatter); JSON escapes them as
``\\uXXXX`` through :func:`json_safe`.
"""

from __future__ import annotations

import re

#: C0 controls, DEL and C1 controls (U+0080-U+009F: 8-bit CSI, OSC... in some terminals)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: the ones JSON leaves raw in strings (orjson escapes the C0 controls itself)
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``);
    ``lines`` keeps line breaks and tabs (multi-line messages, scripts)."""
    pattern = _CONTROLS_BUT_LINES if lines else _CONTROLS
    return pattern.sub(_escape, text) if pattern.search(text) else text


def json_safe(document: str) -> str:
    """A JSON text with DEL and the C1 controls escaped as ``\\u00XX`` (same data)."""
    # ASCII without DEL holds none of them: two scans far cheaper than the pattern's
    if document.isascii() and "\x7f" not in document:
        return document
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)
