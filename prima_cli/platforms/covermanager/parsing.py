"""Reading CoverManager's answers: status codes, availability maps, reservation rows.

Every function that can meet a body it does not understand takes the adapter, whose
``malformed`` builds the error (the platform's name and a scrubbed excerpt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from prima_cli.platforms.contract import (
    DayAvailability,
    ReservationRecord,
    ReservationRequest,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.http_adapter import HttpPlatformAdapter
from prima_cli.platforms.parsing import external_id, parse_hour, parse_hours, parse_int

S = ReservationStatus
#: CoverManager status codes (no official table; research 1.5.3). Raw code always kept.
STATUS_CODES: Mapping[int, ReservationStatus] = {
    1: S.PENDING,  # booked, not yet confirmed
    2: S.SEATED,  # "arrived" in one source, never re-checked
    3: S.CONFIRMED,
    4: S.CONFIRMED,  # reminded / reconfirmed
    5: S.SEATED,
    6: S.SEATED,  # at the bar
    7: S.SEATED,  # dessert
    8: S.COMPLETED,  # paid
    9: S.SEATED,  # walk-in entered by staff / "other", an active visit
    -1: S.CANCELLED,
    -2: S.CANCELLED,  # by the guest
    -3: S.NO_SHOW,
    -5: S.CANCELLED,  # by guest or restaurant
}


def status_from_code(raw: object) -> tuple[str | None, ReservationStatus]:
    """(raw code as text, normalised status); unknown codes map to ``UNKNOWN``."""
    if raw is None or raw == "":
        return None, S.UNKNOWN
    code = parse_int(raw)
    status = STATUS_CODES.get(code, S.UNKNOWN) if code is not None else S.UNKNOWN
    return str(raw).strip(), status


def people(adapter: HttpPlatformAdapter, availability: Any) -> dict[str, Any]:
    """``availability.people`` (party size -> hour -> info), checked; {} when empty."""
    if availability in ([], None):
        return {}
    if not isinstance(availability, dict):
        raise adapter.malformed("an 'availability' that is not a map", availability)
    found = availability.get("people", [])
    if found == []:
        return {}
    if not isinstance(found, dict):
        raise adapter.malformed("an 'availability.people' that is not a map", found)
    return found


def day(adapter: HttpPlatformAdapter, availability: Any, party_size: int | None) -> DayAvailability:
    """A calendar day as party size -> sorted times (no Slot objects: sync reads
    thousands of these per connection)."""
    result: DayAvailability = {}
    for size_key, hours in people(adapter, availability).items():
        size = _size(adapter, size_key)
        if (party_size is not None and size != party_size) or hours == []:
            continue
        if not isinstance(hours, dict):
            raise adapter.malformed(f"hours for {size} people that are not a map", hours)
        try:
            times = parse_hours(hours)
        except ValueError as bad:
            raise adapter.malformed(f"an hour {bad.args[0]!r} that is not HH:MM") from None
        times.sort()
        result[size] = times
    return dict(sorted(result.items()))


def slots(
    adapter: HttpPlatformAdapter, date: dt.date, availability: Any, party_size: int | None
) -> list[Slot]:
    """Slots of ``availability.people`` (party size -> hour -> info)."""
    found: list[Slot] = []
    for size_key, hours in people(adapter, availability).items():
        size = _size(adapter, size_key)
        if party_size is None or size == party_size:
            found.extend(_hours(adapter, date, size, hours))
    return sorted(found, key=lambda s: (s.party_size, s.time))


def _size(adapter: HttpPlatformAdapter, key: object) -> int:
    size = parse_int(key)
    if size is None:
        raise adapter.malformed(f"a party size {key!r} that is not a number")
    return size


def _hours(adapter: HttpPlatformAdapter, date: dt.date, size: int, hours: Any) -> list[Slot]:
    if hours == []:
        return []
    if not isinstance(hours, dict):
        raise adapter.malformed(f"hours for {size} people that are not a map", hours)
    found: list[Slot] = []
    append = found.append  # a week's calendar is thousands of slots: keep the loop tight
    for hour_key, info in hours.items():
        at = parse_hour(hour_key)
        if at is None:
            raise adapter.malformed(f"an hour {hour_key!r} that is not HH:MM")
        offer = info.get("discount") if info.__class__ is dict else None
        append(Slot(date, at, size, None if offer is False else discount(offer)))
    return found


def record(adapter: HttpPlatformAdapter, row: Any) -> ReservationRecord:
    """One row of ``get_reservs`` as a reservation record."""
    if not isinstance(row, dict):
        raise adapter.malformed("a reservation that is not an object", row)
    reserv = external_id(row.get("id_reserv"))
    on = date(row.get("date"))
    if reserv is None or on is None:
        raise adapter.malformed("a reservation without a usable 'id_reserv' or 'date'", row)
    raw_status, status = status_from_code(row.get("status"))
    return ReservationRecord(
        external_id=reserv,
        raw_status=raw_status,
        status=status,
        date=on,
        time=parse_hour(row.get("time") or row.get("hour")),
        party_size=parse_int(row.get("for", row.get("people"))),
        first_name=text(row.get("first_name")) or "",
        last_name=text(row.get("last_name")) or "",
        email=text(row.get("email")),
        phone_e164=phone(row.get("int_call_code"), row.get("phone") or row.get("user_phone")),
        reference=text(row.get("ref")),
        raw=row,
    )


def text(value: object) -> str | None:
    """A string or number as stripped text; anything else (or blank) is ``None``."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value).strip() or None
    return None


def date(value: object) -> dt.date | None:
    """``YYYY-MM-DD`` as a date, else ``None``."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def discount(value: object) -> str | None:
    """``false``/``0``/``"0"`` mean no discount; anything else is kept as text."""
    if value is None or value is False or str(value).strip().lower() in ("", "0", "false"):
        return None
    return str(value)


def phone(call_code: object, number: object) -> str | None:
    """The guest phone as E.164 from CoverManager's code and national number."""
    national = text(number)
    if national is None:
        return None
    if national.startswith("+"):
        return national
    code = (text(call_code) or "").lstrip("+")
    return f"+{code}{national}" if code else None


def slug_hint(slug: str, slugs: list[str]) -> str:
    """What to fix when the key does not see the configured restaurant."""
    if not slugs:
        return "the key sees no restaurant at all; ask CoverManager support to grant it one"
    close = [s for s in slugs if s.lower() == slug.lower()]
    if close:
        return f"slugs are case-sensitive: did you mean {close[0]!r}?"
    shown = ", ".join(sorted(slugs)[:20]) + (" ..." if len(slugs) > 20 else "")
    return f"the key sees: {shown}; fix the connection's restaurant_id"


def same_guest_and_time(found: ReservationRecord, request: ReservationRequest) -> bool:
    """Whether a reservation without our reference is the request's guest at its time."""
    if found.date != request.date or found.time != request.time:
        return False
    if found.party_size is not None and found.party_size != request.party_size:
        return False
    if found.phone_e164 and found.phone_e164 == request.phone_e164:
        return True
    names = (found.first_name.casefold(), found.last_name.casefold())
    return names == (request.first_name.casefold(), request.last_name.casefold())
