"""Restoo adapter (``restoo``): research note platform-apis.md section 2.

Partner API, not publicly documented: ``Authorization: Bearer {api_key}`` plus
``Account: {account}``; status and availability under ``/partners/{partner}/v3``,
bookings under ``/api/{partner}/v3``. Errors are HTTP 4xx/5xx with ``error`` or
``message``. Booking times are venue-local with the venue's UTC offset for that date
and must sit on the quarter hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from prima_cli.errors import InvalidInput, PlatformAuthError, PlatformNotFound, PlatformUnsupported
from prima_cli.platforms import http
from prima_cli.platforms.contract import (
    AuthCheck,
    CancelReason,
    CancelResult,
    ConfigField,
    Connection,
    ReservationRequest,
    ReservationResult,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.http_adapter import HttpPlatformAdapter
from prima_cli.platforms.messages import (
    ENGLISH_NO_AVAILABILITY,
    SPANISH_NO_AVAILABILITY,
    wordings,
)
from prima_cli.platforms.parsing import (
    external_id,
    normalise_phone,
    parse_int,
    require_party_size,
    segment,
    status_text,
    venue_zone,
)

S = ReservationStatus
#: Restoo booking states (from its public widget; research 2.3). Others stay raw.
STATUSES: Mapping[str, ReservationStatus] = {
    "CONFIRMED": S.CONFIRMED,
    "REQUESTED": S.PENDING,
    "PENDING_WAIT_LIST_BOOKING": S.WAITLIST,
    "CANCELLED": S.CANCELLED,
}
#: a 200 answer to the status call that carries one of these is a refusal (research R1)
_AUTH_FAILURE_TEXTS = ("invalid credentials", "authentication failed", "unauthorized")
QUARTER = 15
_DAY_MINUTES = 24 * 60


def status_from_text(raw: object) -> tuple[str | None, ReservationStatus]:
    """(raw status, normalised status); unknown values map to ``UNKNOWN``."""
    if not isinstance(raw, str) or not raw.strip():
        return None, S.UNKNOWN
    return status_text(raw), STATUSES.get(raw.strip().upper(), S.UNKNOWN)


# --- quarter-hour grid ---------------------------------------------------------------


def _on_grid(value: dt.time) -> bool:
    return value.minute % QUARTER == 0 and not value.second and not value.microsecond


def _at_minute(minutes: int) -> dt.time:
    minutes %= _DAY_MINUTES
    return dt.time(minutes // 60, minutes % 60)


def nearest_quarters(value: dt.time) -> tuple[dt.time, dt.time]:
    """The quarter hours around ``value`` (both equal to it when it is on the grid).

    After 23:45 the later one is 00:00, of the next day.
    """
    if _on_grid(value):
        return value, value
    before = (value.hour * 60 + value.minute) // QUARTER * QUARTER
    return _at_minute(before), _at_minute(before + QUARTER)


def require_quarter(value: dt.time) -> None:
    """``InvalidInput`` (exit 2) naming the two nearest quarter hours for an off-grid time."""
    if _on_grid(value):
        return
    before, after = nearest_quarters(value)
    shown = value.isoformat(timespec="seconds" if value.second else "minutes")
    raise InvalidInput(
        f"Restoo books on the quarter hour only; {shown} is not one "
        f"(nearest: {before:%H:%M} or {after:%H:%M})",
        hint="pass one of those times, or ask explicitly to snap to the nearest quarter",
    )


def booking_at(date: dt.date, time: dt.time, zone: ZoneInfo) -> str:
    """``bookingAt``: venue-local wall time with that date's UTC offset, seconds ``00``."""
    require_quarter(time)
    local = dt.datetime.combine(date, time, tzinfo=zone)
    try:
        back = local.astimezone(dt.UTC).astimezone(zone)
    except OverflowError:  # the first or last day of the calendar, on the far side of UTC
        raise InvalidInput(
            f"{date} {time:%H:%M} in {zone.key} falls outside the years 1 to 9999 in UTC"
        ) from None
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidInput(
            f"{date} {time:%H:%M} does not exist in {zone.key} (clocks move forward then)",
            hint="pick a time outside the daylight-saving change",
        )
    return local.isoformat(timespec="seconds")


class RestooAdapter(HttpPlatformAdapter):
    """Restoo partner API v3."""

    name = "restoo"
    display_name = "Restoo"
    sdk_version = "1.1"  # ConfigField.locates
    #: a Spanish platform: its refusals may be worded in either language
    no_availability_messages = wordings(ENGLISH_NO_AVAILABILITY, SPANISH_NO_AVAILABILITY)
    time_grid_minutes = QUARTER
    config_fields = (
        ConfigField(
            "account",
            required=True,
            help="the restaurant's Restoo account (Account header)",
            locates=True,
        ),
        ConfigField("api_key", required=True, secret=True, help="partner API key (Bearer token)"),
        ConfigField(
            "partner_id",
            default="prima",
            help="partner path segment given by Restoo",
            locates=True,
        ),
        ConfigField(
            "base_url",
            required=True,
            help="partner API host; integration: https://integration-dev.myrestoo.net "
            "(production host is given by Restoo)",
            locates=True,
        ),
    )

    async def check_auth(self, connection: Connection) -> AuthCheck:
        """``GET /partners/{partner}/v3/status``: 2xx accepted, 401/403 refused."""
        response = await self._request(connection, "GET", self._partners(connection, "status"))
        if response.status_code == 404:
            raise PlatformNotFound(
                f"Restoo has no status endpoint at {http.excerpt(response.request.url.path)}",
                platform=self.name,
                http_status=404,
                hint="check the connection's base_url and partner_id",
            )
        self.raise_for_status(response)
        lowered = response.text.lower()
        if any(text in lowered for text in _AUTH_FAILURE_TEXTS):
            raise PlatformAuthError(
                f"Restoo refused the credentials: {http.excerpt(response.text)}",
                platform=self.name,
                http_status=response.status_code,
                hint="check the connection's api_key and account",
            )
        account, partner = (
            self.setting(connection, "account"),
            self.setting(connection, "partner_id"),
        )
        return AuthCheck(f"credentials accepted for account {account!r} (partner {partner!r})")

    async def check_availability(
        self,
        connection: Connection,
        date: dt.date,
        time: dt.time | None,
        party_size: int,
    ) -> list[Slot]:
        """Slots of ``date`` for exactly ``party_size`` (the endpoint is unverified).

        Queried at ``time`` (00:00 when not given). Assumed answer, not confirmed by
        Restoo: ``{"availability": [{"bookingAt": "...+01:00", "pax": 4}, ...]}``,
        ``{"slots": [...]}`` or a bare list; items may also be ISO datetime strings
        and may carry ``available: false``. 404/405 raise ``PlatformUnsupported``.
        """
        require_party_size(party_size)
        zone = venue_zone(connection)
        at = booking_at(date, time or dt.time(0, 0), zone)
        response = await self._request(
            connection,
            "GET",
            self._partners(connection, "availability"),
            params={"bookingAt": at, "pax": party_size},
        )
        if response.status_code in (404, 405):
            raise PlatformUnsupported(
                "Restoo does not offer availability for this partner",
                platform=self.name,
                http_status=response.status_code,
                hint="book directly; Restoo accepts or rejects the reservation itself",
            )
        self.raise_for_status(response)
        return self._slots(self.decode_json(response), zone, date, party_size)

    def validate_request(self, connection: Connection, request: ReservationRequest) -> None:
        """Quarter-hour grid, an existing local time, a valid phone, a party of one or more."""
        require_party_size(request.party_size)
        booking_at(request.date, request.time, venue_zone(connection))
        normalise_phone(request.phone_e164)

    async def create_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationResult:
        """``POST /api/{partner}/v3/booking``; ``uuid`` is the reservation id.

        Restoo has no forced booking: ``request.force`` books normally, and Restoo
        accepts or rejects it on its own terms.
        """
        require_party_size(request.party_size)
        payload = {
            "bookingExternalId": request.reference,
            "bookingAt": booking_at(request.date, request.time, venue_zone(connection)),
            "pax": request.party_size,
            "customerSpecialRequests": request.notes or "",
            "customer": {
                "name": " ".join(
                    p.strip() for p in (request.first_name, request.last_name) if p.strip()
                ),
                "email": request.email,
                "phoneE164": normalise_phone(request.phone_e164),
            },
        }
        response = await self._request(
            connection, "POST", self._bookings(connection), json=payload, idempotent=False
        )
        self.raise_for_status(response)
        with self.unreadable_write_is_ambiguous("booking"):
            body = self.decode_json(response)
            uuid = external_id(body.get("uuid")) if isinstance(body, dict) else None
            if uuid is None or not isinstance(body.get("uuid"), str):
                raise self.malformed("success but no usable 'uuid'", body)
        raw_status, status = status_from_text(body.get("status"))
        return ReservationResult(uuid, raw_status, status, raw_response=body)

    async def cancel_reservation(
        self, connection: Connection, external_id: str, reason: CancelReason
    ) -> CancelResult:
        """``POST /api/{partner}/v3/booking/{uuid}/cancel`` with ``cancelReason``."""
        response = await self._request(
            connection,
            "POST",
            self._bookings(connection, segment(external_id), "cancel"),
            json={"cancelReason": CancelReason(reason).value},
            idempotent=False,
        )
        self.raise_for_status(response)
        with self.unreadable_write_is_ambiguous("cancellation"):
            body: Any = self.decode_json(response) if response.content.strip() else {}
            if not isinstance(body, dict):
                raise self.malformed("a body that is not a JSON object", body)
        raw_status, status = status_from_text(body.get("status"))
        if status is S.UNKNOWN:
            raw_status, status = None, S.CANCELLED
        return CancelResult(external_id, raw_status, status, raw_response=body)

    # --- HTTP ------------------------------------------------------------------

    def _partners(self, connection: Connection, what: str) -> str:
        partner = segment(self.setting(connection, "partner_id"))
        return f"{self.base_url(connection)}/partners/{partner}/v3/{what}"

    def _bookings(self, connection: Connection, *more: str) -> str:
        partner = segment(self.setting(connection, "partner_id"))
        return "/".join((f"{self.base_url(connection)}/api/{partner}/v3/booking", *more))

    async def _request(
        self,
        connection: Connection,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        json: Any = None,
        params: dict[str, str | int] | None = None,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.setting(connection, 'api_key')}",
            "Account": self.setting(connection, "account"),
        }
        return await self.send(
            method, url, idempotent=idempotent, headers=headers, json=json, params=params
        )

    # --- parsing ---------------------------------------------------------------

    def _slots(self, body: Any, zone: ZoneInfo, date: dt.date, party_size: int) -> list[Slot]:
        items = body
        if isinstance(body, dict):
            key = next((k for k in ("availability", "slots") if k in body), None)
            if key is None:
                raise self.malformed("neither 'availability' nor 'slots'", body)
            items = body[key]
        if not isinstance(items, list):
            raise self.malformed("availability that is not a list", body)
        found = {self._slot(item, zone, party_size) for item in items}
        return sorted(
            (s for s in found if s is not None and s.date == date and s.party_size == party_size),
            key=lambda s: s.time,
        )

    def _slot(self, item: Any, zone: ZoneInfo, party_size: int) -> Slot | None:
        if isinstance(item, str):
            item = {"bookingAt": item}
        if not isinstance(item, dict):
            raise self.malformed("an availability item that is not an object", item)
        if str(item.get("available", True)).lower() in ("false", "0"):
            return None
        try:
            at = dt.datetime.fromisoformat(str(item.get("bookingAt")))
        except ValueError:
            raise self.malformed("an availability item without a valid 'bookingAt'", item) from None
        at = at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)
        pax = parse_int(item["pax"]) if "pax" in item else party_size
        if pax is None:
            raise self.malformed("an availability item with a 'pax' that is not a number", item)
        return Slot(at.date(), at.time().replace(second=0, microsecond=0), pax)
