"""JSON columns are written by orjson but mean what the stdlib's text meant, in ASCII."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import pytest
import sqlalchemy as sa

from prima_cli.store import json_codec

VALUES = [
    {"1": ["13:00", "13:15"], "2": []},
    {"auth": "API key accepted", "availability": {"status": "ok", "days": 7, "slots": 1344}},
    [1, 2.5, -3, True, False, None, "x", {"nested": [{"a": []}]}],
    {"message": "Prima Gràcia said «no» to 4 people ✓", "emoji": "🍽"},
    {"big": 2**70, "small": -(2**70)},  # beyond 64 bits: orjson refuses, the stdlib writes it
    {1: "int key", 2.5: "float key", None: "null key"},  # the stdlib turns keys into strings
    {},
    [],
    "",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_dumps_means_what_the_stdlib_wrote_and_is_ascii(value: object) -> None:
    text = json_codec.dumps(value)
    assert text.isascii()
    assert json.loads(text) == json.loads(json.dumps(value))


def test_non_ascii_text_is_written_exactly_as_the_stdlib_writes_it() -> None:
    value = {"venue": "Prima Gràcia", "note": "🍽"}
    assert json_codec.dumps(value) == json.dumps(value)


@dataclasses.dataclass
class _Point:
    x: int


class _Tag(str):
    pass


@pytest.mark.parametrize(
    "value", [dt.datetime(2026, 11, 24, 12, 0), dt.date(2026, 11, 24), _Point(1), {"a": {1, 2}}]
)
def test_what_the_stdlib_refuses_is_still_refused(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_codec.dumps(value)


def test_str_subclasses_are_written_by_the_stdlib_as_before() -> None:
    assert json_codec.dumps({"tag": _Tag("x")}) == json.dumps({"tag": _Tag("x")})


@pytest.mark.parametrize("text", ['{"a": [1, 2.5, null]}', b'{"a": "\\u00e0"}', '"x"', "[]"])
def test_loads_reads_what_the_stdlib_reads(text: str | bytes) -> None:
    assert json_codec.loads(text) == json.loads(text)


def test_loads_still_accepts_what_only_the_stdlib_wrote() -> None:
    # json.dumps writes NaN and Infinity (not JSON); rows written so must still read
    value = json_codec.loads('{"ratio": NaN, "max": Infinity}')
    assert math.isnan(value["ratio"]) and value["max"] == math.inf
    with pytest.raises(ValueError):
        json_codec.loads("{not json")


def test_json_columns_go_through_the_codec_on_every_backend(any_db_url: str) -> None:
    """Stored as ASCII text, read back equal, on SQLite, PostgreSQL and MariaDB."""
    from prima_cli.store.store import Store

    store = Store(any_db_url, create=True)
    table = sa.Table("codec_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("doc", sa.JSON))  # fmt: skip
    value = {"venue": "Prima Gràcia", "slots": {"2": ["20:00", "20:15"]}, "big": 2**70}
    dialect = store.engine.dialect
    assert dialect._json_serializer is json_codec.dumps  # type: ignore[attr-defined]
    assert dialect._json_deserializer is json_codec.loads  # type: ignore[attr-defined]
    try:
        table.create(store.engine)
        with store.engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "doc": value}])
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(table.c.doc)).scalar_one() == value
            as_text = (
                "doc::text" if store.engine.dialect.name == "postgresql" else "CAST(doc AS CHAR)"
            )
            text = conn.execute(sa.text(f"SELECT {as_text} FROM codec_probe")).scalar_one()
        assert "Gr\\u00e0cia" in text and "Gràcia" not in text
    finally:
        table.drop(store.engine, checkfirst=True)
        store.dispose()


def test_non_finite_numbers_are_written_as_null_not_as_invalid_json() -> None:
    text = json_codec.dumps({"a": math.nan, "b": [math.inf, -math.inf], "c": 1.5})
    assert json.loads(text) == {"a": None, "b": [None, None], "c": 1.5}
