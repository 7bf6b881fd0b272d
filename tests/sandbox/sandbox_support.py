"""Callers and request builders for the sandbox tests (plain httpx, real loopback HTTP)."""

from __future__ import annotations

import datetime as dt
import ssl
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from prima_cli.sandbox import Sandbox

MADRID = "prima-sbx-madrid"
READ_ONLY = "prima-sbx-valencia"
BARCELONA = "prima-sbx-barcelona"  # Restoo, CONFIRMED
LISBOA = "prima-sbx-lisboa"  # Restoo, REQUESTED
BOGOTA = "prima-sbx-bogota"  # Restoo, waiting list
# built once: loading the CA bundle for every client costs ~30 ms per test
_TLS = ssl.create_default_context()


def client(timeout: float = 5) -> httpx.Client:
    """A plain sync httpx client (the sandbox speaks plain HTTP on loopback)."""
    return httpx.Client(timeout=timeout, verify=_TLS)


def future_day(timezone: str = "Europe/Madrid", days: int = 30) -> dt.date:
    """A date safely in the future in the venue's zone."""
    return dt.datetime.now(ZoneInfo(timezone)).date() + dt.timedelta(days=days)


def booking_at(day: dt.date, hhmm: str, timezone: str = "Europe/Madrid") -> str:
    """Restoo's bookingAt for a local time, with the zone's offset on that date."""
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), ZoneInfo(timezone)).isoformat()


class CM:
    """A thin CoverManager caller that places the key the way the platform wants."""

    def __init__(self, sb: Sandbox, http: httpx.Client) -> None:
        self.base = sb.covermanager_base_url
        self.key = sb.credentials().covermanager.api_key
        self.http = http

    def get(self, endpoint: str, *segments: str) -> httpx.Response:
        return self.http.get("/".join([self.base, endpoint, self.key, *segments]))

    def post(self, endpoint: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{self.base}/{endpoint}", json=body, headers={"apikey": self.key})

    def book(self, **fields: Any) -> httpx.Response:
        return self.post("reserv/reserv", reservation(**fields))


def reservation(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "restaurant": MADRID,
        "date": future_day().isoformat(),
        "hour": "20:00",
        "people": "2",
        "first_name": "Lucía",
        "last_name": "Martín Ortega",
        "email": "lucia.martin@gmail.com",
        "int_call_code": "34",
        "phone": "612345678",
    }
    body.update(fields)
    return body


class Restoo:
    """A thin Restoo caller with the Bearer and Account headers."""

    def __init__(self, sb: Sandbox, http: httpx.Client, account: str = BARCELONA) -> None:
        creds = sb.credentials().restoo
        self.base = creds.base_url
        self.partner = creds.partner
        self.key = creds.api_key
        self.account = account
        self.http = http

    def headers(self, account: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Account": account or self.account}

    def status(self, **kw: Any) -> httpx.Response:
        return self.http.get(f"{self.base}/partners/{self.partner}/v3/status", **kw)

    def availability(self, at: str, pax: int, account: str | None = None) -> httpx.Response:
        return self.http.get(
            f"{self.base}/partners/{self.partner}/v3/availability",
            params={"bookingAt": at, "pax": pax},
            headers=self.headers(account),
        )

    def book(self, account: str | None = None, **fields: Any) -> httpx.Response:
        return self.http.post(
            f"{self.base}/api/{self.partner}/v3/booking",
            json=booking(**fields),
            headers=self.headers(account),
        )

    def cancel(self, uuid: str, body: Any, account: str | None = None) -> httpx.Response:
        return self.http.post(
            f"{self.base}/api/{self.partner}/v3/booking/{uuid}/cancel",
            json=body,
            headers=self.headers(account),
        )


def booking(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bookingExternalId": "Prima-1001",
        "bookingAt": booking_at(future_day(), "20:00"),
        "pax": 2,
        "customerSpecialRequests": "",
        "customer": {
            "name": "Jordi Puig Serra",
            "email": "jordi.puig@gmail.com",
            "phoneE164": "+34612483907",
        },
    }
    body.update(fields)
    return body
