"""What a booking request must satisfy before anything is written or sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from prima_cli.core import dates
from prima_cli.errors import InvalidInput

MAX_PARTY = 50
MAX_NOTES = 1000
MAX_KEY = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_KEY = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class BookingInput:
    """A create request as the operator typed it (strings are validated here)."""

    venue: str
    date: str
    time: str
    party_size: int
    email: str
    phone: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    notes: str = ""
    platform: str | None = None
    force: bool = False
    reference: str | None = None
    snap_to_quarter: bool = False


@dataclass(frozen=True)
class Guest:
    first_name: str
    last_name: str
    email: str
    phone_e164: str


def parse_date(value: str, *, option: str = "--date", timezone: str | None = None) -> dt.date:
    """A date as typed (``YYYY-MM-DD`` or relative: see :mod:`prima_cli.core.dates`), a
    relative one counted in ``timezone`` (the venue's; the machine's for ``None``)."""
    return dates.parse(value, option=option).in_zone(timezone)


def parse_time(value: str, *, option: str = "--time") -> dt.time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if match:
        try:
            return dt.time(int(match.group(1)), int(match.group(2)))
        except ValueError:
            pass
    raise InvalidInput(f"{option} must be a time as HH:MM (24 h), not {value!r}")


def local_start(date: dt.date, time: dt.time, timezone: str) -> dt.datetime:
    """The instant of a venue-local wall time; a time skipped by a DST change is invalid."""
    zone = ZoneInfo(timezone)
    local = dt.datetime.combine(date, time, tzinfo=zone)
    try:
        back = local.astimezone(dt.UTC).astimezone(zone)
    except OverflowError:  # 9999-12-31 west of UTC is in the year 10000 there
        raise InvalidInput(
            f"{date} {time:%H:%M} in {timezone} falls outside the years 1 to 9999 in UTC",
            hint="pick a date within the calendar prima can store",
        ) from None
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(
            f"{date} {time:%H:%M} does not exist in {timezone} (the clocks move forward then)"
        )
    return local


def require_future(start: dt.datetime, now: dt.datetime, timezone: str) -> None:
    if start <= now:
        here = now.astimezone(ZoneInfo(timezone))
        raise InvalidInput(
            f"{start:%Y-%m-%d %H:%M} is in the past at the venue "
            f"(it is {here:%Y-%m-%d %H:%M} in {timezone})"
        )


def require_party(party_size: int) -> None:
    if not 1 <= party_size <= MAX_PARTY:
        raise InvalidInput(f"--party must be between 1 and {MAX_PARTY}, not {party_size}")


def guest(data: BookingInput, country: str | None) -> Guest:
    first, last = _names(data)
    email = data.email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(f"--email {data.email!r} is not a valid e-mail address")
    return Guest(first, last, email, phone_e164(data.phone, country))


def _names(data: BookingInput) -> tuple[str, str]:
    if data.name and (data.first_name or data.last_name):
        raise InvalidInput("give either --name or --first-name/--last-name, not both")
    if data.name:
        parts = data.name.split(maxsplit=1)
        if len(parts) < 2:
            raise InvalidInput(
                f"--name {data.name!r} has no last name",
                hint="platforms need both: pass --first-name and --last-name",
            )
        first, last = parts
    else:
        first, last = (data.first_name or "").strip(), (data.last_name or "").strip()
    if not first or not last:
        raise InvalidInput("the guest needs a first and a last name (--name or both parts)")
    if len(first) > 100 or len(last) > 100:
        raise InvalidInput("guest names are limited to 100 characters each")
    return first, last


def phone_e164(raw: str, country: str | None) -> str:
    """The guest phone in E.164, read with the venue's country as the default region."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" for region {country}" if country else " (the venue has no country)"
        raise InvalidInput(
            f"--phone {raw!r} is not a valid phone number{where}",
            hint="give it with its country code, e.g. +34600111222",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_notes(notes: str) -> str:
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise InvalidInput(f"--notes is limited to {MAX_NOTES} characters")
    return notes


def check_key(key: str | None) -> str | None:
    """An idempotency key as given, or InvalidInput. All-digit keys are refused: booking
    ids are all digits, and a key must never be read as another booking's id."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY or not _KEY.match(key):
        raise InvalidInput(
            f"--reference must be 1 to {MAX_KEY} printable characters without spaces"
        )
    if key.isdigit():
        raise InvalidInput(
            f"--reference {key} is all digits, which reads as a booking id",
            hint=f"add a prefix, e.g. --reference order-{key}",
        )
    if key.upper().startswith(REFERENCE_PREFIX):
        raise InvalidInput(
            f"--reference {key} looks like a booking reference ({REFERENCE_PREFIX}...), which "
            "prima gives its bookings",
            hint="use a key of your own system, e.g. --reference order-1234",
        )
    return key


#: how the references prima gives its bookings begin
REFERENCE_PREFIX = "PRM-"


QUARTER = 15
_DAY_MINUTES = 24 * 60


def snap_to_quarter(value: dt.time) -> dt.time:
    """The nearest quarter hour (halfway rounds up: 20:07 -> 20:00, 20:08 -> 20:15).

    Only for an operator who asked to snap (``--snap-to-quarter``). A time that would snap
    past midnight (23:53) raises ``InvalidInput``: the date would change.
    """
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    minutes = int((seconds / 60 + QUARTER / 2) // QUARTER * QUARTER)
    if minutes >= _DAY_MINUTES:
        raise InvalidInput(
            f"{value:%H:%M} would snap to 00:00 of the next day",
            hint="choose the time explicitly: 23:45, or 00:00 on the next date",
        )
    return dt.time(minutes // 60, minutes % 60)


def fingerprint(**details: object) -> str:
    """A digest of the booking's details: the same key must come with the same details."""
    canonical = json.dumps(details, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
