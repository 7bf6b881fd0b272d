"""Restoo's partner API, as seen under ``/restoo`` (research note, sections 2.1-2.5 and 4).

Two path families: ``/partners/{partner}/v3/status`` and ``.../availability``, and
``/api/{partner}/v3/booking`` and ``.../booking/{uuid}/cancel``. Every call needs
``Authorization: Bearer {key}`` (401 without it or with a wrong key) and an ``Account``
header naming an account the key may use (403 otherwise). Errors are JSON
``{"message": ...}``: 404 unknown path/partner/booking, 405 wrong method, 409 already
cancelled, 422 invalid input or no availability.

Guessed shapes (no public source shows them): the status body, the availability endpoint
(``GET ?bookingAt=...&pax=...`` -> ``{"availability": [{"bookingAt": ..., "pax": ...}]}``,
every quarter hour of that local date bookable for ``pax``), the create response's extra
keys beside ``uuid``/``status``, the cancel response, and the 404/409/422 bodies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from prima_cli.sandbox.availability import party_sizes
from prima_cli.sandbox.config import Switches
from prima_cli.sandbox.seed import RESTOO, Venue
from prima_cli.sandbox.state import (
    RESTOO_CANCELLED,
    RESTOO_WAITLIST,
    Reservation,
    SandboxState,
    Unavailable,
)
from prima_cli.sandbox.wire import Request, Response, json_response

PREFIX = "/restoo"
CANCEL_REASONS = ("BOOKED_ANOTHER_PLACE", "CHANGED_PLANS", "OTHER")

_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("status", re.compile(r"^/partners/([^/]+)/v3/status/?$"), "GET"),
    ("availability", re.compile(r"^/partners/([^/]+)/v3/availability/?$"), "GET"),
    ("create", re.compile(r"^/api/([^/]+)/v3/booking/?$"), "POST"),
    ("cancel", re.compile(r"^/api/([^/]+)/v3/booking/([^/]+)/cancel/?$"), "POST"),
)
_BOOKING_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FAKE_WORDS = frozenset(
    {"test", "testing", "tester", "prueba", "asdf", "qwerty", "foobar", "dummy", "fake",
     "xxx", "aaa", "abc", "lorem", "ipsum", "nombre", "name", "sample"}
)  # fmt: skip
_FAKE_NAMES = frozenset({"john doe", "jane doe", "foo bar", "test test"})
_FAKE_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "fake.com", "mailinator.com"}
)
_FAKE_TLDS = (".test", ".example", ".invalid", ".localhost")


def message(status: int, text: str, **extra: Any) -> Response:
    return json_response(status, {"message": text, **extra})


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _refuse(status: int, text: str) -> _Refusal:
    return _Refusal(message(status, text))


class RestooAPI:
    """Routes for one simulated Restoo partner API; ``handle`` answers one request."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def handle(self, req: Request, switches: Switches) -> Response:
        routed = _route(req.path[len(PREFIX) :])
        if routed is None:
            return message(404, "Not Found")
        name, method, found = routed
        if name == "availability" and not switches.restoo_availability:
            return message(404, "Not Found")
        if found.group(1) != self.state.seed.restoo_partner:
            return message(404, "Not Found")
        if req.method != method:
            return json_response(405, {"message": "Method Not Allowed"}, {"Allow": method})
        try:
            venue = self._authenticate(req)
            if name == "status":
                return self._status(venue)
            if name == "availability":
                return self._availability(venue, req, switches)
            body = _json_body(req.body)
            if name == "create":
                return self._create(venue, body, switches)
            return self._cancel(venue, found.group(2), body, switches)
        except _Refusal as refusal:
            return refusal.response

    def _authenticate(self, req: Request) -> Venue:
        scheme, _, token = (req.header("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _refuse(401, "Unauthorized")
        if token.strip() != self.state.seed.restoo_key:
            raise _refuse(401, "Invalid credentials")
        account = (req.header("Account") or "").strip()
        if not account:
            raise _refuse(403, "Account header required")
        venue = self.state.venue(RESTOO, account)
        if venue is None:
            raise _refuse(403, f"Account {account!r} is not available for this API key")
        return venue

    def _status(self, venue: Venue) -> Response:
        return json_response(
            200,
            {"status": "OK", "partner": self.state.seed.restoo_partner, "account": venue.slug},
        )

    def _availability(self, venue: Venue, req: Request, sw: Switches) -> Response:
        query = req.query
        if not query.get("bookingAt"):
            raise _refuse(422, "bookingAt is required")
        local = _local_moment(venue, query["bookingAt"], sw)
        raw_pax = query.get("pax", "")
        if not raw_pax.isdigit() or int(raw_pax) < 1:
            raise _refuse(422, "pax must be an integer >= 1")
        pax = int(raw_pax)
        tz = ZoneInfo(venue.timezone)
        free = self.state.free_covers(venue, local.date())
        slots = [
            {"bookingAt": _format(local.date(), hhmm, tz), "pax": pax}
            for hhmm, left in sorted(free.items())
            if pax in party_sizes(venue, left)
        ]
        return json_response(200, {"availability": slots})

    def _create(self, venue: Venue, body: dict[str, Any], sw: Switches) -> Response:
        external_id = body.get("bookingExternalId")
        if not isinstance(external_id, str) or not external_id.strip():
            raise _refuse(422, "bookingExternalId is required")
        booking_at = body.get("bookingAt")
        if not isinstance(booking_at, str) or not booking_at:
            raise _refuse(422, "bookingAt is required")
        local = _local_moment(venue, booking_at, sw)
        if local.minute % 15:
            raise _refuse(422, "bookingAt must be on a quarter hour (:00, :15, :30 or :45)")
        pax = body.get("pax")
        if isinstance(pax, bool) or not isinstance(pax, int) or pax < 1:
            raise _refuse(422, "pax must be an integer >= 1")
        requests = body.get("customerSpecialRequests", "")
        if requests is not None and not isinstance(requests, str):
            raise _refuse(422, "customerSpecialRequests must be a string")
        name, email, phone = _customer(body.get("customer"))
        if sw.restoo_reject_fake_customers:
            fake = fake_customer_field(name, email, phone)
            if fake:
                raise _refuse(422, f"customer.{fake} looks invalid; use real customer data")
        day, hhmm = local.date(), local.strftime("%H:%M")
        with self.state.locked():
            if sw.restoo_external_id_idempotent:
                existing = self._by_external_id(venue, external_id)
                if existing is not None:
                    return json_response(200, booking_body(venue, existing))
            if not self.state.is_open(venue, day, hhmm):
                raise _refuse(422, f"No availability for {pax} people at {booking_at}")
            fields: dict[str, Any] = {
                "first_name": name,
                "email": email,
                "phone": phone,
                "notes": requests or "",
                "reference": external_id,
            }
            try:
                res = self.state.book(venue, day, hhmm, pax, status=venue.booking_status, **fields)
            except Unavailable:
                if not (venue.waitlist and sw.restoo_waitlist_when_full):
                    raise _refuse(
                        422, f"No availability for {pax} people at {booking_at}"
                    ) from None
                res = self.state.book(
                    venue, day, hhmm, pax, status=RESTOO_WAITLIST, force=True, **fields
                )
        return json_response(201, booking_body(venue, res))

    def _by_external_id(self, venue: Venue, external_id: str) -> Reservation | None:
        return next(
            (r for r in self.state.reservations(RESTOO, venue.slug) if r.reference == external_id),
            None,
        )

    def _cancel(
        self, venue: Venue, booking_id: str, body: dict[str, Any], sw: Switches
    ) -> Response:
        with self.state.locked():
            res = self.state.get(booking_id)
            if res is None or res.platform != RESTOO or res.venue != venue.slug:
                raise _refuse(404, "Booking not found")
            reason = body.get("cancelReason")
            if reason is None and not sw.restoo_cancel_reason_required:
                reason = "OTHER"
            if reason not in CANCEL_REASONS:
                raise _refuse(422, f"cancelReason must be one of {', '.join(CANCEL_REASONS)}")
            if res.status == RESTOO_CANCELLED:
                raise _refuse(409, "Booking is already cancelled")
            if not res.active and res.status != RESTOO_WAITLIST:
                raise _refuse(409, f"Booking cannot be cancelled in status {res.status}")
            res = self.state.set_status(res.id, RESTOO_CANCELLED, cancel_reason=reason)
        return json_response(200, {"uuid": res.id, "status": res.status, "cancelReason": reason})


def _route(path: str) -> tuple[str, str, re.Match[str]] | None:
    """(route name, expected method, match) for a path under the prefix."""
    for name, pattern, method in _ROUTES:
        found = pattern.match(path)
        if found:
            return name, method, found
    return None


def booking_body(venue: Venue, res: Reservation) -> dict[str, Any]:
    """The create response: ``uuid`` and ``status`` (seen), plus an echo (guessed)."""
    tz = ZoneInfo(venue.timezone)
    return {
        "uuid": res.id,
        "status": res.status,
        "bookingExternalId": res.reference,
        "bookingAt": _format(dt.date.fromisoformat(res.date), res.time, tz),
        "pax": res.party_size,
    }


def fake_customer_field(name: str, email: str, phone: str) -> str | None:
    """The first customer field that looks made up ("name", "email", "phoneE164"), if any."""
    folded = name.casefold().strip()
    words = re.findall(r"\w+", folded)
    if len(folded) < 2 or folded in _FAKE_NAMES or any(w in _FAKE_WORDS for w in words):
        return "name"
    local_part, _, domain = email.casefold().rpartition("@")
    if domain in _FAKE_DOMAINS or domain.endswith(_FAKE_TLDS) or local_part in _FAKE_WORDS:
        return "email"
    tail = phone[-8:]
    if len(set(tail)) == 1 or tail in "0123456789012" or tail in "9876543210987":
        return "phoneE164"
    return None


def _customer(value: Any) -> tuple[str, str, str]:
    if not isinstance(value, dict):
        raise _refuse(422, "customer is required")
    name, email, phone = (value.get(k) for k in ("name", "email", "phoneE164"))
    if not isinstance(name, str) or not name.strip():
        raise _refuse(422, "customer.name is required")
    if not isinstance(email, str) or not _EMAIL.match(email):
        raise _refuse(422, "customer.email must be a valid e-mail address")
    if not isinstance(phone, str) or not _E164.match(phone):
        raise _refuse(422, "customer.phoneE164 must be an E.164 number like +34600111222")
    return name.strip(), email.strip(), phone


def _local_moment(venue: Venue, booking_at: str, sw: Switches) -> dt.datetime:
    """``bookingAt`` checked (offset present, seconds 00) and moved to the account's zone."""
    if not _BOOKING_AT.match(booking_at):
        raise _refuse(422, "bookingAt must be ISO 8601, e.g. 2026-12-01T20:00:00+01:00")
    moment = dt.datetime.fromisoformat(booking_at)
    if moment.tzinfo is None:
        raise _refuse(422, "bookingAt must include the UTC offset, e.g. +01:00")
    if moment.second or moment.microsecond:
        raise _refuse(422, "bookingAt seconds must be 00")
    local = moment.astimezone(ZoneInfo(venue.timezone))
    if sw.restoo_require_local_offset and moment.utcoffset() != local.utcoffset():
        raise _refuse(
            422,
            f"bookingAt offset {_offset(moment)} does not match the account time zone "
            f"{venue.timezone} ({_offset(local)} at that time)",
        )
    return local


def _format(day: dt.date, hhmm: str, tz: ZoneInfo) -> str:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=tz).isoformat()


def _offset(moment: dt.datetime) -> str:
    return moment.isoformat()[19:] or "+00:00"


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _refuse(400, "Request body must be valid JSON") from None
    if not isinstance(body, dict):
        raise _refuse(400, "Request body must be a JSON object")
    return body
