"""Passwords inside URLs are masked in any text prima writes, and texts without one are kept."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from prima_cli import redact
from prima_cli.cli.formats import Format, delimited, to_json
from prima_cli.redact import mask_url_passwords


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql://prima:s3cret@db/prima", "postgresql://prima:***@db/prima"),
        (
            '{"url": "mysql+pymysql://u:p%40ss@h:3306/x"}',
            '{"url": "mysql+pymysql://u:***@h:3306/x"}',
        ),
        ("host=db password=s3cret user=u", "host=db password=*** user=u"),
        ("?PASSWD=s3cret&x=1", "?PASSWD=***&x=1"),
        ("Pwd=s3cret", "Pwd=***"),
        ("PassWord=s3cret", "PassWord=***"),
        # a password with an "@" left unencoded (HTTP_PROXY=http://u:p@ss@proxy:3128): its
        # end was shown ("u:***@ss@proxy")
        ("http://u:p@ss@proxy:3128 is not a URL", "http://u:***@proxy:3128 is not a URL"),
        ("postgresql://u:a@b@c@db/x", "postgresql://u:***@db/x"),
    ],
)
def test_url_passwords_are_masked(text: str, masked: str) -> None:
    assert mask_url_passwords(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        '{"email": "guest@example.org", "notes": "a=b"}',  # "@" and "=" but no URL password
        "keyword=1 crowd=2",  # ends like a password name, is not one
        "mailto:someone@example.org",
        "",
    ],
)
def test_texts_without_a_password_are_unchanged(text: str) -> None:
    assert mask_url_passwords(text) == text


# a key with every character an encoding changes: quotes, backslash, slash, percent, space,
# ampersand, non-ASCII; given as 'literal:' it is what an operator may paste
HOSTILE = 'k"e\\y/2%41 &ñ=Z9'


@pytest.fixture
def hostile_key() -> Iterator[str]:
    redact.forget_all()
    redact.register(HOSTILE)
    yield HOSTILE
    redact.forget_all()


def _pieces(secret: str) -> list[str]:
    """Every 6-character piece of what the mask hides (all but the last 4 characters), as
    given and as each encoding writes it."""
    secret = secret[:-4]
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
             secret.replace('"', '""'), repr(secret)[1:-1], quote(secret, safe=""),
             quote(secret), quote_plus(secret)}  # fmt: skip
    return [form[i : i + 6] for form in forms for i in range(len(form) - 5)]


def test_a_secret_inside_a_json_document_is_masked_and_the_document_stays_valid(
    hostile_key: str,
) -> None:
    for pretty in (True, False):
        text = to_json({"error": f"refused {hostile_key}", "url": f"/x/{quote(hostile_key)}"},
                       pretty=pretty)  # fmt: skip
        assert not [p for p in _pieces(hostile_key) if p in text], text
        document = json.loads(text)  # the replacement is itself JSON-encoded
        assert document["error"] == "refused " + redact.mask(hostile_key)


def test_a_secret_inside_csv_and_tsv_cells_is_masked(hostile_key: str) -> None:
    rows = [{"note": f'said "{hostile_key}"', "other": hostile_key}]
    for fmt in (Format.CSV, Format.TSV):
        lines = [redact.scrub(line) for line in delimited(rows, fmt, ())]
        assert not [p for p in _pieces(hostile_key) if p in "\n".join(lines)], lines
    shown = [redact.scrub(line) for line in delimited(rows, Format.CSV, ())]
    parsed = list(csv.DictReader(shown))
    assert parsed[0]["other"] == redact.mask(hostile_key)


def test_a_secret_quoted_by_repr_or_in_a_url_is_masked(hostile_key: str) -> None:
    in_path = quote(hostile_key, safe="")
    for text in (f"cannot use {hostile_key!r}", f"GET https://h/api/{in_path}/x",
                 f"?key={quote_plus(hostile_key)}&a=1"):  # fmt: skip
        scrubbed = redact.scrub(text)
        assert not [p for p in _pieces(hostile_key) if p in scrubbed], scrubbed
        assert "****" in scrubbed


def test_registering_a_known_secret_again_changes_nothing(hostile_key: str) -> None:
    before = redact.registered()
    redact.register(hostile_key, f"  {hostile_key}\r\n")  # the stripped form is the same key
    assert redact.registered() >= before
    assert redact.scrub(hostile_key) == redact.mask(hostile_key)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        # CoverManager's header holds the bare key; a key with a space was split as if its
        # first word were an auth scheme, and that word was shown
        ("apikey", "SeCrEt-part one2", "****one2"),
        ("X-Api-Key", 'k"e\\y b4c9', "****b4c9"),
        ("Authorization", "s3cr3t-first-word rest", "****rest"),  # no scheme: the key itself
        ("Cookie", "session=abcdef123; theme=dark", "****dark"),
        # a scheme is kept, its credentials masked, a space inside them or not
        ("Authorization", "Bearer SeCrEt-part one2", "Bearer ****one2"),
        ("proxy-authorization", "Basic dXNlcjpwYXNzd29yZA==", "Basic ****ZA=="),
    ],
)
def test_a_sensitive_header_shows_no_part_of_its_value_but_the_mask(
    name: str, value: str, shown: str
) -> None:
    assert redact.headers({name: value}) == {name: shown}
