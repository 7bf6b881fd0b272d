"""Relative dates: what each form means, counted from a given today and in a venue's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prima_cli.core import dates
from prima_cli.errors import InvalidInput

FRIDAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24", dt.date(2026, 12, 24)),
        ("today", FRIDAY),
        ("Tomorrow", dt.date(2026, 12, 5)),
        ("yesterday", dt.date(2026, 12, 3)),
        ("+2d", dt.date(2026, 12, 6)),
        ("-1d", dt.date(2026, 12, 3)),
        ("+1w", dt.date(2026, 12, 11)),
        ("saturday", dt.date(2026, 12, 5)),
        ("fri", dt.date(2026, 12, 11)),  # never today itself: the Friday of next week
        ("Thursday", dt.date(2026, 12, 10)),
        (" monday ", dt.date(2026, 12, 7)),
    ],
)
def test_each_form_names_its_day(text: str, expected: dt.date) -> None:
    assert dates.parse(text).on(FRIDAY) == expected


@pytest.mark.parametrize("text", ["", "someday", "+d", "2d", "fr", "+99999d", "2026-13-01", "mo"])
def test_anything_else_is_an_input_error_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="--from must be YYYY-MM-DD, today, tomorrow"):
        dates.parse(text, option="--from")


def test_relative_dates_count_in_the_zone_asked() -> None:
    spec = dates.parse("today")
    east, west = spec.in_zone("Pacific/Kiritimati"), spec.in_zone("Pacific/Honolulu")
    assert (east - west).days == 1  # UTC+14 and UTC-10 (neither has DST): 24 hours apart
    assert dates.parse("2026-12-24").in_zone("Pacific/Kiritimati") == dt.date(2026, 12, 24)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
       st.sampled_from(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                        "sunday"]))  # fmt: skip
def test_a_weekday_is_within_the_next_seven_days_and_on_that_day(today: dt.date, name: str) -> None:
    day = dates.parse(name).on(today)
    assert 1 <= (day - today).days <= 7
    assert day.strftime("%A").lower() == name
