"""CoverManager adapter (``covermanager``): research note platform-apis.md section 1.

GETs carry the API key as a path segment (``restaurant/list/{key}/``), POSTs an
``apikey`` header and a JSON body. Logical failures come back as HTTP 200 with
``resp: 0`` and a message in ``error`` or ``status``; numbers may be strings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prima_cli import redact
from prima_cli.errors import (
    PlatformAmbiguousOutcome,
    PlatformAuthError,
    PlatformNotFound,
    PlatformRejected,
)
from prima_cli.platforms import http
from prima_cli.platforms.contract import (
    AuthCheck,
    CancelReason,
    CancelResult,
    ConfigField,
    Connection,
    DayAvailability,
    ReservationRecord,
    ReservationRequest,
    ReservationResult,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.covermanager import parsing as parse
from prima_cli.platforms.http_adapter import HttpPlatformAdapter
from prima_cli.platforms.messages import (
    ENGLISH_NO_AVAILABILITY,
    SPANISH_NO_AVAILABILITY,
    wordings,
)
from prima_cli.platforms.parsing import (
    external_id,
    require_party_size,
    require_whole_minute,
    segment,
    split_phone,
)

if TYPE_CHECKING:
    import httpx

#: a key without the right for an endpoint gets "Action not permited" (sic)
_PERMISSION = re.compile(r"not permit|permission", re.IGNORECASE)
#: a key CoverManager does not know at all
_BAD_KEY = re.compile(
    r"invalid api ?key|api ?key (?:not valid|invalid)|unauthori[sz]ed", re.IGNORECASE
)
#: safety net against an endpoint that ignores the page segment
_MAX_PAGES = 1000


class CoverManagerAdapter(HttpPlatformAdapter):
    """CoverManager, through its partner API (``https://www.covermanager.com/api``)."""

    name = "covermanager"
    display_name = "CoverManager"
    sdk_version = "1.1"  # ConfigField.locates
    #: its answers come in Spanish or English, whatever the request's language
    no_availability_messages = wordings(ENGLISH_NO_AVAILABILITY, SPANISH_NO_AVAILABILITY)
    message_keys = ("error", "status", "message")
    #: only bookable combinations appear in a calendar day (research 1.4.2): a party size it
    #: leaves out had no availability
    calendar_lists_every_size = True
    #: one ``restaurant/list`` per key answers the credentials check of all its restaurants
    shares_credential_check = True
    #: CoverManager publishes no limit; a public client waits 100 ms between calls
    default_rate_limit = "600/min,burst=10"
    config_fields = (
        ConfigField(
            "restaurant_id",
            required=True,
            help="the restaurant's slug, as in https://www.covermanager.com/reserve/{slug}",
            locates=True,
        ),
        ConfigField("api_key", required=True, secret=True, help="API key issued by CoverManager"),
        ConfigField(
            "base_url",
            default="https://www.covermanager.com/api",
            help="API base; the beta server is https://beta.covermanager.com/api",
            locates=True,
        ),
        ConfigField("source", default="prima", help="channel tag sent with each reservation"),
        ConfigField(
            "pending",
            default="0",
            help='"1" creates reservations pending approval',
            choices=("0", "1"),
        ),
        ConfigField(
            "not_notify",
            default="0",
            help='"1" asks CoverManager not to notify guests',
            choices=("0", "1"),
        ),
        ConfigField("discount", default="0", help="discount code sent with reservations"),
    )

    # --- contract ---------------------------------------------------------------

    async def check_auth(self, connection: Connection) -> AuthCheck:
        """List the key's restaurants; the configured slug must be one of them."""
        return self.auth_from(connection, await self.check_credential(connection))

    async def check_credential(self, connection: Connection) -> tuple[str, ...]:
        """The slugs of the restaurants the key can see (``restaurant/list``)."""
        body = await self._get(connection, "restaurant", "list", self._key(connection), "")
        restaurants = body.get("restaurants")
        if not isinstance(restaurants, list):
            raise self.malformed("no 'restaurants' list", body)
        return tuple(
            str(r["restaurant"]) for r in restaurants if isinstance(r, dict) and r.get("restaurant")
        )

    def auth_from(self, connection: Connection, shared: tuple[str, ...]) -> AuthCheck:
        """The connection's restaurant must be among the key's."""
        slug = self._restaurant(connection)
        if slug in shared:
            return AuthCheck(f"API key accepted; restaurant {slug!r} is among its {len(shared)}")
        # The key itself was accepted (CoverManager listed its restaurants), so this is
        # a wrong restaurant_id, not wrong credentials: "not found" (exit 3) tells the
        # operator which setting to fix, where an auth error (exit 5) would blame the key.
        raise PlatformNotFound(
            f"restaurant {slug!r} is not among the restaurants this CoverManager key can see",
            platform=self.name,
            hint=parse.slug_hint(slug, list(shared)),
        )

    async def check_availability(
        self,
        connection: Connection,
        date: dt.date,
        time: dt.time | None,
        party_size: int,
    ) -> list[Slot]:
        """Every bookable hour of ``date`` for exactly ``party_size`` people.

        Read strictly from ``availability.people[party_size][HH:MM]``; the ``hours``
        map (which ignores party size) is never used. ``time`` is not sent: the
        caller filters the returned slots by time and proposes alternatives.
        """
        require_party_size(party_size)
        body = await self._post(
            connection,
            "reserv/availability",
            {
                "restaurant": self._restaurant(connection),
                "date": date.isoformat(),
                "number_people": party_size,
                "discount": "all",
                "product_type": "0",
            },
            idempotent=True,
            resp_optional=True,
        )
        if "availability" not in body:
            raise self.malformed("no 'availability' field", body)
        return parse.slots(self, date, body["availability"], party_size)

    def validate_request(self, connection: Connection, request: ReservationRequest) -> None:
        """Whole minutes, a party of one or more, a phone that splits into code and number."""
        require_party_size(request.party_size)
        require_whole_minute(request.time)
        split_phone(request.phone_e164)

    async def create_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationResult:
        """``reserv/reserv`` (``reserv/reserv_force`` when ``request.force``).

        A response without ``status`` gives ``raw_status=None`` and ``UNKNOWN``: the
        status of a fresh API booking is not documented.
        """
        require_party_size(request.party_size)
        require_whole_minute(request.time)
        call_code, national = split_phone(request.phone_e164)
        payload = {
            "restaurant": self._restaurant(connection),
            "date": request.date.isoformat(),
            "hour": request.time.strftime("%H:%M"),
            "people": request.party_size,
            "first_name": request.first_name,
            "last_name": request.last_name,
            "email": request.email,
            "int_call_code": call_code,
            "phone": national,
            "commentary": request.notes,
            "source": self.setting(connection, "source"),
            "ref": request.reference,
            "pending": self.setting(connection, "pending"),
            "discount": self.setting(connection, "discount"),
            "not_notify": self.setting(connection, "not_notify"),
        }
        path = "reserv/reserv_force" if request.force else "reserv/reserv"
        with self.unreadable_write_is_ambiguous("reservation"):
            body = await self._post(connection, path, payload, idempotent=False)
            reserv = external_id(body.get("id_reserv"))
            if reserv is None:
                raise self.malformed("success but no usable 'id_reserv'", body)
        raw_status, status = parse.status_from_code(body.get("status"))
        return ReservationResult(reserv, raw_status, status, raw_response=body)

    async def cancel_reservation(
        self, connection: Connection, external_id: str, reason: CancelReason
    ) -> CancelResult:
        """``reserv/cancel_client``; CoverManager takes no reason, ``reason`` is ignored."""
        with self.unreadable_write_is_ambiguous("cancellation"):
            body = await self._post(
                connection, "reserv/cancel_client", {"id_reserv": external_id}, idempotent=False
            )
        raw_status, status = parse.status_from_code(body.get("status"))
        if status is ReservationStatus.UNKNOWN:
            # the success body's keys are undocumented; a status text there is not a code
            raw_status, status = None, ReservationStatus.CANCELLED
        return CancelResult(external_id, raw_status, status, raw_response=body)

    # --- extras for sync and reconcile -----------------------------------------

    async def find_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationRecord | None:
        """Through ``get_reservs`` of the request's date: by ``ref``, else guest and time.

        Several guest-and-time matches without our ``ref`` cannot be told apart: that is
        an ambiguous outcome for the operator, not a guess.
        """
        records = await self.list_reservations(connection, request.date, request.date)
        by_ref = [r for r in records if r.reference == request.reference]
        if by_ref:
            return by_ref[0]
        # a reservation that carries a reference is that booking's, never a match by guest
        guest = [r for r in records if not r.reference and parse.same_guest_and_time(r, request)]
        if len(guest) > 1:
            raise PlatformAmbiguousOutcome(
                f"{len(guest)} CoverManager reservations match the guest and time "
                f"without our reference {request.reference}",
                platform=self.name,
                hint="check them in CoverManager and keep the right one",
            )
        return guest[0] if guest else None

    async def list_reservations(
        self, connection: Connection, date_start: dt.date, date_end: dt.date
    ) -> list[ReservationRecord]:
        """Reservations from ``date_start`` to ``date_end`` (``get_reservs``, all pages).

        Pages are 0-based; reading stops at an empty page, a page shorter than the
        longest seen, or a page with nothing new (an endpoint ignoring the page).
        """
        key, slug = self._key(connection), self._restaurant(connection)
        found: dict[str, ReservationRecord] = {}
        longest = 0
        for page in range(_MAX_PAGES):
            body = await self._get(
                connection,
                "restaurant",
                "get_reservs",
                key,
                slug,
                date_start.isoformat(),
                date_end.isoformat(),
                str(page),
                bare_list_key="reservs",
            )
            rows = body.get("reservs")
            if not isinstance(rows, list):
                raise self.malformed("no 'reservs' list", body)
            records = [parse.record(self, row) for row in rows]
            fresh = [r for r in records if r.external_id not in found]
            found.update((r.external_id, r) for r in fresh)
            longest = max(longest, len(rows))
            if not fresh or len(rows) < longest:
                break
        else:
            raise self.malformed(f"more than {_MAX_PAGES} pages of reservations")
        return list(found.values())

    async def availability_calendar(
        self,
        connection: Connection,
        date_start: dt.date,
        date_end: dt.date,
        party_size: int | None = None,
    ) -> dict[dt.date, DayAvailability]:
        """Times per date and party size (``availability_calendar_total``), all sizes or one.

        Only dates the platform reported appear; a date inside the range but absent
        from the answer is "unknown", not "no availability".
        """
        response = await self._send_post(
            connection,
            "reserv/availability_calendar_total",
            {
                "restaurant": self._restaurant(connection),
                "dateStart": date_start.isoformat(),
                "dateEnd": date_end.isoformat(),
                "discount": "all",
                "product_type": "0",
            },
            idempotent=True,
        )
        calendar: Mapping[str, Any] | None = parse.calendar_people(response.content)
        fast = calendar is not None
        if calendar is None:  # not the usual shape: read in full, and say what is wrong
            body = self._envelope(
                self.decode_json(response), response.status_code, resp_optional=False
            )
            calendar = body.get("calendar")
            if calendar == []:  # PHP encodes an empty map as a list
                return {}
            if not isinstance(calendar, dict):
                raise self.malformed("no 'calendar' map", body)
        result: dict[dt.date, DayAvailability] = {}
        for key, day_body in calendar.items():
            day = parse.date(key)
            if day is None:
                raise self.malformed(f"a calendar date {key!r} that is not YYYY-MM-DD")
            if date_start <= day <= date_end:
                by_size = day_body if fast else parse.people(self, day_body)
                result[day] = parse.sizes(self, by_size, party_size)
        return dict(sorted(result.items()))

    # --- HTTP ------------------------------------------------------------------

    def _key(self, connection: Connection) -> str:
        return self.setting(connection, "api_key")

    def _restaurant(self, connection: Connection) -> str:
        return self.setting(connection, "restaurant_id")

    async def _get(
        self, connection: Connection, *segments: str, bare_list_key: str | None = None
    ) -> dict[str, Any]:
        url = self.base_url(connection) + "/" + "/".join(segment(s) for s in segments)
        response = await self.send("GET", url, idempotent=True)
        self.raise_for_status(response)
        body = self.decode_json(response)
        if bare_list_key and isinstance(body, list):
            return {"resp": 1, bare_list_key: body}
        return self._envelope(body, response.status_code, resp_optional=False)

    async def _post(
        self,
        connection: Connection,
        path: str,
        payload: dict[str, Any],
        *,
        idempotent: bool,
        resp_optional: bool = False,
    ) -> dict[str, Any]:
        response = await self._send_post(connection, path, payload, idempotent=idempotent)
        body = self.decode_json(response)
        return self._envelope(body, response.status_code, resp_optional=resp_optional)

    async def _send_post(
        self, connection: Connection, path: str, payload: dict[str, Any], *, idempotent: bool
    ) -> httpx.Response:
        """The answer to a POST, its HTTP status checked (its body not decoded yet)."""
        key = self._key(connection)
        response = await self.send(
            "POST",
            f"{self.base_url(connection)}/{path}",
            idempotent=idempotent,
            headers={"apikey": key},
            json=payload,
        )
        self.raise_for_status(response)
        return response

    def _envelope(self, body: Any, http_status: int, *, resp_optional: bool) -> dict[str, Any]:
        """The body if ``resp`` says success; else the platform's own refusal (which keeps
        the HTTP status it came with: logical errors arrive with HTTP 200)."""
        if not isinstance(body, dict):
            raise self.malformed("a body that is not a JSON object", body)
        if "resp" in body:
            if parse.succeeded(body["resp"]):
                return body
        elif resp_optional and not isinstance(body.get("error"), str):
            return body
        elif not resp_optional:
            raise self.malformed("no 'resp' field", body)
        raise self._refusal(body, http_status)

    def _refusal(
        self, body: Mapping[str, Any], http_status: int
    ) -> PlatformRejected | PlatformAuthError:
        found = http.message_from(body, self.message_keys)
        message = redact.scrub(found) if found else None
        common: dict[str, Any] = {
            "platform": self.name, "http_status": http_status, "platform_message": message,
        }  # fmt: skip
        if message and _BAD_KEY.search(message):
            return PlatformAuthError(
                f"CoverManager refused the key: {message}",
                hint="check the connection's api_key (`prima platforms test`)",
                **common,
            )
        if message and _PERMISSION.search(message):
            return PlatformAuthError(
                f"CoverManager refused: {message}",
                hint="ask CoverManager support to enable this action for the key and restaurant",
                **common,
            )
        if message:
            return self.classify_rejection(
                f"CoverManager refused: {message}", message, http_status=http_status
            )
        return PlatformRejected(
            f"CoverManager refused the request (resp={body.get('resp')!r}) without a message",
            **common,
        )
