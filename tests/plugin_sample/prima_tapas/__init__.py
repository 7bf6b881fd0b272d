"""Tapas: a sample third-party booking platform adapter, written against prima's SDK.

Its API (invented for the tests): ``X-Tapas-Key`` authenticates every request;
``GET /v1/account``, ``GET /v1/availability?date=&party=`` -> ``{"times": ["20:00"]}``,
``POST /v1/bookings`` -> ``{"id", "state"}``, ``POST /v1/bookings/{id}/cancel``; refusals
are 4xx with ``{"error": "..."}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prima_cli.platforms import (
    AuthCheck,
    CancelReason,
    CancelResult,
    ConfigField,
    Connection,
    HttpPlatformAdapter,
    ReservationRequest,
    ReservationResult,
    ReservationStatus,
    Slot,
    parse_hour,
    require_party_size,
    segment,
)

STATES = {
    "confirmed": ReservationStatus.CONFIRMED,
    "pending": ReservationStatus.PENDING,
    "cancelled": ReservationStatus.CANCELLED,
}


class TapasAdapter(HttpPlatformAdapter):
    name = "tapas"
    display_name = "Tapas"
    version = "0.1"
    sdk_version = "1.0"
    config_fields = (
        ConfigField("base_url", required=True, help="Tapas API root"),
        ConfigField("api_key", required=True, secret=True, help="Tapas API key"),
    )

    async def _call(
        self, connection: Connection, method: str, path: str, *, write: bool = False, **kw: Any
    ) -> Any:
        headers = {"X-Tapas-Key": self.setting(connection, "api_key")}
        url = self.base_url(connection) + path
        response = await self.send(method, url, idempotent=not write, headers=headers, **kw)
        self.raise_for_status(response)
        return self.decode_json(response)

    async def check_auth(self, connection: Connection) -> AuthCheck:
        body = await self._call(connection, "GET", "/v1/account")
        return AuthCheck(f"Tapas key accepted for {body.get('account', '?')}")

    async def check_availability(
        self, connection: Connection, date: dt.date, time: dt.time | None, party_size: int
    ) -> list[Slot]:
        require_party_size(party_size)
        params = {"date": date.isoformat(), "party": party_size}
        body = await self._call(connection, "GET", "/v1/availability", params=params)
        times = body.get("times") if isinstance(body, dict) else None
        if not isinstance(times, list):
            raise self.malformed("no 'times' list", body)
        slots = []
        for text in times:
            at = parse_hour(text)
            if at is None:
                raise self.malformed(f"a time {text!r} that is not HH:MM")
            slots.append(Slot(date, at, party_size))
        return slots

    async def create_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationResult:
        payload = {
            "reference": request.reference,
            "at": f"{request.date}T{request.time:%H:%M}",
            "party": request.party_size,
            "guest": f"{request.first_name} {request.last_name}",
            "email": request.email,
            "phone": request.phone_e164,
        }
        with self.unreadable_write_is_ambiguous("booking"):
            body = await self._call(connection, "POST", "/v1/bookings", write=True, json=payload)
            booking_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(booking_id, str) or not booking_id:
                raise self.malformed("no booking 'id'", body)
        state = body.get("state")
        status = STATES.get(state, ReservationStatus.UNKNOWN)
        return ReservationResult(booking_id, state, status, raw_response=body)

    async def cancel_reservation(
        self, connection: Connection, external_id: str, reason: CancelReason
    ) -> CancelResult:
        path = f"/v1/bookings/{segment(external_id)}/cancel"
        with self.unreadable_write_is_ambiguous("cancellation"):
            body = await self._call(connection, "POST", path, write=True, json={"reason": reason})
            if not isinstance(body, dict):
                raise self.malformed("a body that is not an object", body)
        return CancelResult(
            external_id, body.get("state"), ReservationStatus.CANCELLED, raw_response=body
        )
