"""Passwords inside URLs are masked in any text prima writes, and texts without one are kept."""

from __future__ import annotations

import pytest

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
