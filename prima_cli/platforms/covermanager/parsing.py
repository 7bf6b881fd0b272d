"""Reading CoverManager's answers: status codes, availability maps, reservation rows.

Every function that can meet a body it does not understand takes the adapter, whose
``malformed`` builds the error (the platform's name and a scrubbed excerpt).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from prima_cli.platforms.contract import (
    DayAvailability,
    ReservationRecord,
    ReservationRequest,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.http_adapter import HttpPlatformAdapter
from prima_cli.platforms.parsing import (
    MAX_HOUR_CHARS,
    external_id,
    parse_hour,
    parse_hours,
    parse_int,
    status_text,
)

S = ReservationStatus
#: what ``resp`` holds in an answer that succeeded
SUCCESS = frozenset({"1", "ok", "true"})
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


def succeeded(resp: object) -> bool:
    """Whether an answer's ``resp`` says success (a number, a string or a boolean)."""
    return str(resp).strip().lower() in SUCCESS


def status_from_code(raw: object) -> tuple[str | None, ReservationStatus]:
    """(raw code as text, normalised status); unknown codes map to ``UNKNOWN``."""
    if raw is None or raw == "":
        return None, S.UNKNOWN
    code = parse_int(raw)
    status = STATUS_CODES.get(code, S.UNKNOWN) if code is not None else S.UNKNOWN
    return status_text(str(raw).strip()), status


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
    return sizes(adapter, people(adapter, availability), party_size)


def sizes(
    adapter: HttpPlatformAdapter, by_size: Mapping[str, Any], party_size: int | None
) -> DayAvailability:
    """A day's ``people`` map (party size -> hour -> info) as party size -> sorted times."""
    result: DayAvailability = {}
    for size_key, hours in by_size.items():
        size = _SIZES.get(size_key)
        if size is None:
            size = _size(adapter, size_key)
        if (party_size is not None and size != party_size) or hours == []:
            continue
        if not isinstance(hours, dict):
            raise adapter.malformed(f"hours for {size} people that are not a map", hours)
        result[size] = _sorted_times(adapter, tuple(hours))
    return dict(sorted(result.items()))


#: the usual party size keys as numbers, looked up: a sync reads each thousands of times
_SIZES = {str(size): size for size in range(1, 101)}


#: the sorted times of each set of hour keys seen: a week repeats the same hours for most
#: party sizes and days, and a sync reads a week per connection (bounded, whatever a
#: platform sends: in entries, and each entry to a day's slots of short keys)
_SORTED_TIMES: dict[tuple[str, ...], tuple[dt.time, ...]] = {}
_CACHED_SETS = 1024
#: a day every 5 minutes; a longer set of hours is read, not kept
_CACHED_HOURS = 288


def _sorted_times(adapter: HttpPlatformAdapter, keys: tuple[str, ...]) -> list[dt.time]:
    """``keys`` as sorted times, in a list of its own (callers may change it)."""
    found = _SORTED_TIMES.get(keys)
    if found is None:
        try:
            times = parse_hours(keys)
        except ValueError as bad:
            raise adapter.malformed(f"an hour {bad.args[0]!r} that is not HH:MM") from None
        times.sort()
        found = tuple(times)
        if (len(_SORTED_TIMES) < _CACHED_SETS and len(keys) <= _CACHED_HOURS
                and sum(map(len, keys)) <= MAX_HOUR_CHARS * len(keys)):  # fmt: skip
            _SORTED_TIMES[keys] = found
    return list(found)


class _Day(msgspec.Struct):
    """A calendar day as :func:`calendar_people` reads it: each party size's hours are
    kept as their JSON text (see :func:`_size_hours`)."""

    people: dict[str, msgspec.Raw] | list[Any] = []


class _CalendarAnswer(msgspec.Struct):
    resp: Any
    calendar: dict[str, _Day | list[Any]] | list[Any]


_CALENDAR = msgspec.json.Decoder(_CalendarAnswer)
#: a party size's hours: an hour's details (a map per hour, thousands a week) are skipped,
#: not built, since a calendar needs only the hours
_HOURS = msgspec.json.Decoder(dict[str, msgspec.Raw] | list[Any])
#: the hours (as a map of each hour to None) of each party size's JSON text seen: a week
#: repeats the same text for most sizes and days, and decoding it again costs more than
#: looking it up (bounded, whatever a platform sends: in entries and in each one's text)
_HOURS_SEEN: dict[bytes, dict[str, None]] = {}
_CACHED_TEXTS = 1024
_CACHED_TEXT_BYTES = 8192


def _size_hours(text: bytes) -> dict[str, None] | list[Any]:
    """The hours of one party size's JSON text (a map or PHP's empty list); raises what
    msgspec raises for another shape."""
    found = _HOURS_SEEN.get(text)
    if found is not None:
        return found
    decoded = _HOURS.decode(text)
    if isinstance(decoded, list):
        return decoded
    found = dict.fromkeys(decoded)
    if len(_HOURS_SEEN) < _CACHED_TEXTS and len(text) <= _CACHED_TEXT_BYTES:
        _HOURS_SEEN[text] = found
    return found


def calendar_people(content: bytes) -> dict[str, Mapping[str, Any]] | None:
    """Date key -> ``people`` map of an ``availability_calendar_total`` answer of the usual
    shape (a successful ``resp``, days as maps); ``None`` for any other body, which the
    general path (:func:`day` over the decoded body) reads and names what is wrong with.

    A week holds a small map per hour and party size, thousands of them: building them costs
    more CPU than the request, and a calendar reads only their keys. The maps returned are
    shared (read them, do not change them): each hour maps to None.
    """
    try:
        answer = _CALENDAR.decode(content)
        if not succeeded(answer.resp):
            return None  # a refusal: the general path raises it
        if isinstance(answer.calendar, list):
            return None if answer.calendar else {}  # PHP encodes an empty map as a list
        found: dict[str, Mapping[str, Any]] = {}
        for key, value in answer.calendar.items():
            by_size = value if isinstance(value, list) else value.people
            if isinstance(by_size, list):
                if by_size:  # a list that is not PHP's empty map
                    return None
                found[key] = {}
                continue
            found[key] = {size: _size_hours(bytes(text)) for size, text in by_size.items()}
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        # msgspec gives up on nesting sooner than orjson does (how soon depends on the
        # caller's stack): such a body is the general path's too
        return None
    return found


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
