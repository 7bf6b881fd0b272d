"""How JSON columns are written and read: orjson, falling back to the stdlib.

A sync writes a week of availability per connection and a steps map per result; the
stdlib encoder was a fifth of the CPU of those writes. The text stored is ASCII only
(``\\u`` escapes, as the stdlib writes), so tables in a non-UTF-8 character set cannot
mangle it. Dates, dataclasses, non-string keys and subclasses of str or int still go to
the stdlib, which refuses or writes them as before. One difference: NaN and infinities
(only the stdlib parser accepts them in a platform's body) are written as ``null``; the
stdlib wrote ``NaN``, which is not JSON and which PostgreSQL refuses.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# passed through: orjson raises on them, so the stdlib decides as before
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps(value: Any) -> str:
    """``json.dumps(value)``, computed by orjson when the two agree (ASCII output)."""
    try:
        text = orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: what orjson does not write natively
        return json.dumps(value)
    return text if text.isascii() else json.dumps(value)


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``; orjson first, the stdlib for what only it accepts (NaN)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
