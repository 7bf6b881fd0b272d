"""Booking input rules that need no platform: time zones, DST, phones, names."""

from __future__ import annotations

import datetime as dt

import pytest

from prima_cli.core import booking_rules as rules
from prima_cli.errors import InvalidInput


def test_local_start_uses_the_offset_of_that_date() -> None:
    winter = rules.local_start(dt.date(2026, 12, 1), dt.time(20, 0), "Europe/Madrid")
    summer = rules.local_start(dt.date(2027, 7, 1), dt.time(20, 0), "Europe/Madrid")
    assert winter.utcoffset() == dt.timedelta(hours=1)
    assert summer.utcoffset() == dt.timedelta(hours=2)


def test_a_time_skipped_by_the_dst_change_is_refused() -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        rules.local_start(dt.date(2027, 3, 28), dt.time(2, 30), "Europe/Madrid")


def test_past_is_judged_at_the_venue() -> None:
    now = dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC)  # 23:30 in Madrid, 17:30 in New York
    madrid = rules.local_start(dt.date(2026, 11, 24), dt.time(23, 0), "Europe/Madrid")
    with pytest.raises(InvalidInput, match="it is 2026-11-24 23:30 in Europe/Madrid"):
        rules.require_future(madrid, now, "Europe/Madrid")
    new_york = rules.local_start(dt.date(2026, 11, 24), dt.time(18, 0), "America/New_York")
    rules.require_future(new_york, now, "America/New_York")


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("612 48 39 07", "ES", "+34612483907"),
        ("+44 7911 123456", "ES", "+447911123456"),
        ("(212) 555-0198", "US", "+12125550198"),
        ("+52 55 1234 5678", None, "+525512345678"),
    ],
)
def test_phones_are_read_with_the_venue_country(raw: str, country: str | None, e164: str) -> None:
    assert rules.phone_e164(raw, country) == e164


def test_a_national_number_needs_the_venue_country() -> None:
    with pytest.raises(InvalidInput, match="the venue has no country"):
        rules.phone_e164("612483907", None)


def test_fingerprint_changes_with_any_detail() -> None:
    base = {"venue": 1, "time": dt.time(20, 0), "party": 2}
    assert rules.fingerprint(**base) == rules.fingerprint(**dict(base))
    assert rules.fingerprint(**base) != rules.fingerprint(**{**base, "party": 3})
