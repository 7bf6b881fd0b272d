"""The versioned JSON contract: its version, and a JSON Schema per command's document.

``VERSION`` is the one number scripts pin: it changes whenever a field of any command's JSON
appears, disappears or changes type (tests/integration/test_json_contract.py fails until it
does). The schemas ship in the package (``prima_cli/schemas/json-contract.json``), generated
from the documents each command prints in the contract session, and are shown by
``prima help json [COMMAND]``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

#: the version of every command's JSON document (README "Output", `prima help json`)
VERSION = 10

#: ISO 8601 date-times as prima writes them: always with an offset
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")
#: a date-time without an offset (never written: the contract test looks for one)
NAIVE_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$")


def shape(value: Any) -> Any:
    """The type structure of a JSON value: objects by key, arrays by their items' shapes,
    strings that are date-times as ``datetime``."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            merged[json.dumps(shape(item), sort_keys=True)] = shape(item)
        return [merged[k] for k in sorted(merged)]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "datetime" if DATETIME.match(value) else "string"
    return "null"


_SCALARS = {
    "bool": {"type": "boolean"},
    "number": {"type": "number"},
    "string": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"},
    # null in the reference session: the key is pinned, its other types are not
    "null": {"description": "null in the contract session; the type it has when set is not pinned"},
}


def schema_of(pinned: Any) -> dict[str, Any]:
    """The JSON Schema of a pinned shape (every key required, no other key allowed)."""
    if isinstance(pinned, dict):
        return {
            "type": "object",
            "properties": {key: schema_of(item) for key, item in pinned.items()},
            "required": sorted(pinned),
            "additionalProperties": False,
        }
    if isinstance(pinned, list):
        items = [schema_of(item) for item in pinned]
        if not items:
            return {"type": "array"}
        return {"type": "array", "items": items[0] if len(items) == 1 else {"anyOf": items}}
    return dict(_SCALARS[pinned])


def schemas_of(shapes: dict[str, Any]) -> dict[str, Any]:
    """The packaged schema file's content for ``shapes`` (document name -> pinned shape)."""
    return {
        "version": VERSION,
        "documents": {
            name: {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": f"prima {name} --json (contract version {VERSION})",
                **schema_of(pinned),
            }
            for name, pinned in sorted(shapes.items())
        },
    }


SCHEMA_FILE = "json-contract.json"


@cache
def packaged() -> dict[str, Any]:
    """The schemas shipped with this prima."""
    text = resources.files("prima_cli.schemas").joinpath(SCHEMA_FILE).read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def schema(command: str) -> dict[str, Any] | None:
    """The schema of ``command``'s document (e.g. ``bookings list``), or None."""
    found: dict[str, Any] | None = packaged()["documents"].get(command)
    return found


def overview() -> str:
    names = sorted(packaged()["documents"])
    return (
        f"JSON contract version {VERSION}.\n\n"
        "--json (short for --format json) prints one JSON document on stdout; the version\n"
        "above changes whenever any document gains, loses or retypes a field. Times are ISO\n"
        "8601 with an offset; dates YYYY-MM-DD, venue-local times HH:MM. A venue referred to\n"
        "from another document (a booking, a connection, a sync result, a test) is its slug;\n"
        "the venue object itself is what the venues commands print.\n\n"
        "Listings also take --format jsonl|csv|tsv (csv/tsv with a header row), --fields a,b\n"
        "(keys of each item, in that order) and --jq EXPR (a jq filter over the JSON document;\n"
        "strings print raw; error(...) and halt_error in it are exit 2, halt is exit 0).\n"
        "A csv/tsv text cell that starts with = + - @, a tab or a carriage return gets a\n"
        "leading ' (no spreadsheet formula), unless it is a plain number or phone number\n"
        "such as -5 or +34 600 123 456; json and jsonl keep every value exactly.\n\n"
        "A list cut by --limit says so on stderr:\n"
        '  "50 of 53 shown; next page: --offset 50"\n'
        "and --offset N skips N rows; scripts page until fewer than --limit rows come back.\n\n"
        "Errors: one line on stderr when stderr is not a terminal,\n"
        '  {"error": {"type", "message", "hint", "exit_code", "retryable", ...}}\n'
        "(see `prima help exit-codes`).\n\n"
        "`prima help json COMMAND` prints the JSON Schema of one document. Documents:\n"
        + "".join(f"  {name}\n" for name in names)
    )
