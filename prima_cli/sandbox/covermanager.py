"""CoverManager, as seen under ``/covermanager/api`` (research note, sections 1.1-1.5 and 4).

Envelope: success is HTTP 200 with ``resp: 1``; logical errors are HTTP 200 with
``{"resp": 0, "error": "..."}``. HTTP 401/403 only for a missing/unknown key (switch
``cm_auth_http_errors``), 404 for unknown paths, 405 for a known path with the wrong
method, 429 when the optional per-key budget is spent. GET endpoints take the key as
the path segment after the endpoint name; POST endpoints take it from the ``apikey``
header (any case) with a JSON body. A key in the wrong place counts as missing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from prima_cli.sandbox.availability import party_sizes
from prima_cli.sandbox.config import SandboxConfig, Switches
from prima_cli.sandbox.ratelimit import RateLimiter
from prima_cli.sandbox.seed import COVERMANAGER, RIGHT_BOOK, RIGHT_CANCEL, RIGHT_READ, Venue
from prima_cli.sandbox.state import (
    CM_CANCELLED,
    CM_CONFIRMED,
    CM_PENDING,
    Reservation,
    SandboxState,
    Unavailable,
)
from prima_cli.sandbox.wire import Request, Response, json_response

PREFIX = "/covermanager/api"
NOT_PERMITTED = "Action not permited"  # sic: CoverManager's own spelling
HOUR_NOT_AVAILABLE = "Hour Not Available"
REQUIRED_CREATE = ("restaurant", "date", "hour", "people", "first_name", "last_name")
CALENDAR_DEFAULT_DAYS = 30
CALENDAR_MAX_DAYS = 366
_CURRENCY = {"ES": "EUR", "MX": "MXN", "GB": "GBP"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOUR = re.compile(r"^\d{2}:\d{2}$")

_GET = frozenset({"restaurant/list", "restaurant/slug", "restaurant/get_reservs"})
_POST = frozenset(
    {
        "reserv/availability",
        "reserv/availability_calendar_total",
        "reserv/reserv",
        "reserv/reserv_force",
        "reserv/cancel_client",
    }
)
_FORCE_ALIAS = "reserv/force"


def ok(**payload: Any) -> Response:
    return json_response(200, {"resp": 1, **payload})


def error(message: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"resp": 0, "error": message}, headers)


class _Refusal(Exception):
    """Carries a ready response out of a validation helper."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class CoverManagerAPI:
    """Routes for one simulated CoverManager; ``handle`` answers one request."""

    def __init__(self, state: SandboxState, config: SandboxConfig) -> None:
        self.state = state
        self.config = config
        self.limiter = RateLimiter(config.cm_rate_limit_per_minute)
        # (key, endpoint, raw body) -> (id_reserv, monotonic time) for the duplicate quirk
        self._recent: dict[tuple[str, str, bytes], tuple[str, float]] = {}

    def handle(self, req: Request, switches: Switches) -> Response:
        sub = req.path[len(PREFIX) :]
        segments = [unquote(s) for s in sub.strip("/").split("/")] if sub.strip("/") else []
        if len(segments) < 2:
            return error("Not found", 404)
        endpoint, args = "/".join(segments[:2]), segments[2:]
        post_routes = _POST | {_FORCE_ALIAS} if switches.cm_force_alias else _POST
        if endpoint not in _GET and endpoint not in post_routes:
            return error("Not found", 404)
        expected = "GET" if endpoint in _GET else "POST"
        if req.method != expected:
            return error("Method not allowed", 405, {"Allow": expected})
        try:
            key = self._authenticate(req, endpoint, args, switches)
            if expected == "GET":
                return self._get(endpoint, key, args)
            body = _json_body(req.body)
            return self._post(endpoint, key, body, req.body, switches)
        except _Refusal as refusal:
            return refusal.response

    # --- auth -----------------------------------------------------------------------

    def _authenticate(self, req: Request, endpoint: str, args: list[str], sw: Switches) -> str:
        if endpoint in _GET:
            key = args[0] if args else ""
            misplaced = "API key must be in the URL path for GET requests"
            elsewhere = bool(req.header("apikey"))
        else:
            key = (req.header("apikey") or "").strip()
            misplaced = "API key must be sent in the apikey header for POST requests"
            elsewhere = bool(args)
        if not key:
            message = misplaced if elsewhere else "API key required"
            raise _Refusal(error(message, 401 if sw.cm_auth_http_errors else 200))
        if key != self.state.seed.cm_key:
            raise _Refusal(error("Invalid API key", 403 if sw.cm_auth_http_errors else 200))
        if sw.cm_rate_limit:
            wait = self.limiter.acquire(key)
            if wait is not None:
                raise _Refusal(error("Too Many Requests", 429, {"Retry-After": str(wait)}))
        return key

    def _restaurant(self, slug: Any, right: str) -> Venue:
        venue = self.state.venue(COVERMANAGER, slug) if isinstance(slug, str) else None
        if venue is None:
            raise _Refusal(error("Restaurant not found"))
        if right not in venue.rights:
            raise _Refusal(error(NOT_PERMITTED))
        return venue

    # --- GET ------------------------------------------------------------------------

    def _get(self, endpoint: str, key: str, args: list[str]) -> Response:
        if endpoint == "restaurant/list":
            city = args[1].casefold() if len(args) > 1 else None
            venues = [v for v in self.state.seed.of(COVERMANAGER) if RIGHT_READ in v.rights]
            rows = [restaurant_record(v) for v in venues if not city or v.city.casefold() == city]
            return ok(restaurants=rows)
        if endpoint == "restaurant/slug":
            if len(args) < 2:
                return error("Missing parameters")
            return ok(**restaurant_record(self._restaurant(args[1], RIGHT_READ)))
        return self._get_reservs(args)

    def _get_reservs(self, args: list[str]) -> Response:
        if len(args) < 4:
            return error("Missing parameters")
        venue = self._restaurant(args[1], RIGHT_READ)
        start, end = _date(args[2]), _date(args[3])
        page_arg = args[4] if len(args) > 4 else "0"
        if not page_arg.isdigit():
            return error("Invalid page")
        page = int(page_arg)
        table = args[5] if len(args) > 5 else "0"
        rows = [
            r
            for r in self.state.reservations(COVERMANAGER, venue.slug)
            if start.isoformat() <= r.date <= end.isoformat()
            and (table in ("", "0") or table in r.tables.split(","))
        ]
        rows.sort(key=lambda r: (r.date, r.time, r.created_at))
        size = self.config.cm_page_size
        return ok(
            reservs=[reservation_record(venue, r) for r in rows[page * size : (page + 1) * size]]
        )

    # --- POST -----------------------------------------------------------------------

    def _post(
        self, endpoint: str, key: str, body: dict[str, Any], raw: bytes, sw: Switches
    ) -> Response:
        handlers: dict[str, Callable[[], Response]] = {
            "reserv/availability": lambda: self._availability(body, sw),
            "reserv/availability_calendar_total": lambda: self._calendar_total(body, sw),
            "reserv/reserv": lambda: self._create(key, endpoint, body, raw, sw, force=False),
            "reserv/reserv_force": lambda: self._create(key, endpoint, body, raw, sw, force=True),
            _FORCE_ALIAS: lambda: self._create(key, endpoint, body, raw, sw, force=True),
            "reserv/cancel_client": lambda: self._cancel(body),
        }
        return handlers[endpoint]()

    def _availability(self, body: dict[str, Any], sw: Switches) -> Response:
        _require(body, ("restaurant", "date"))
        venue = self._restaurant(body["restaurant"], RIGHT_READ)
        day = _date(body["date"])
        only = None
        if sw.cm_availability_filter_people and not _blank(body.get("number_people")):
            only = _people(body["number_people"])
        maps = availability_maps(venue, self.state.free_covers(venue, day), only, sw)
        payload = (
            {"resp": 1, "availability": maps} if sw.cm_availability_resp else {"availability": maps}
        )
        return json_response(200, payload)

    def _calendar_total(self, body: dict[str, Any], sw: Switches) -> Response:
        _require(body, ("restaurant",))
        venue = self._restaurant(body["restaurant"], RIGHT_READ)
        # camelCase on purpose: date_start/date_end are ignored here, like on the platform
        today = self.state.now().astimezone(ZoneInfo(venue.timezone)).date()
        start = _date(body["dateStart"]) if not _blank(body.get("dateStart")) else today
        if not _blank(body.get("dateEnd")):
            end = _date(body["dateEnd"])
        else:
            end = start + dt.timedelta(days=CALENDAR_DEFAULT_DAYS)
        if end < start:
            return error("Invalid date range")
        end = min(end, start + dt.timedelta(days=CALENDAR_MAX_DAYS))
        calendar: dict[str, Any] = {}
        day = start
        while day <= end:
            calendar[day.isoformat()] = availability_maps(
                venue, self.state.free_covers(venue, day), None, sw
            )
            day += dt.timedelta(days=1)
        return ok(calendar=calendar)

    def _create(
        self,
        key: str,
        endpoint: str,
        body: dict[str, Any],
        raw: bytes,
        sw: Switches,
        *,
        force: bool,
    ) -> Response:
        _require(body, REQUIRED_CREATE)
        venue = self._restaurant(body["restaurant"], RIGHT_BOOK)
        day = _date(body["date"])
        hour = str(body["hour"])
        if not _HOUR.match(hour) or not _valid_hour(hour):
            return error("Invalid hour")
        people = _people(body["people"])
        code, phone = _text(body.get("int_call_code")), _text(body.get("phone"))
        if sw.cm_strict_phone and code and not code.isdigit():
            return error("Invalid int_call_code: digits only, without +")
        if sw.cm_strict_phone and phone and not phone.isdigit():
            return error("Invalid phone: digits only")
        status = CM_PENDING if _text(body.get("pending")) == "1" else CM_CONFIRMED
        with self.state.locked():
            repeat = self._repeat(key, endpoint, raw) if sw.cm_duplicate_same_id else None
            if repeat is not None:
                return ok(id_reserv=repeat.id, status=repeat.status)
            if not force and not self.state.is_open(venue, day, hour):
                return error(HOUR_NOT_AVAILABLE)
            try:
                res = self.state.book(
                    venue,
                    day,
                    hour,
                    people,
                    status=status,
                    force=force,
                    first_name=_text(body["first_name"]),
                    last_name=_text(body["last_name"]),
                    email=_text(body.get("email")),
                    phone=phone,
                    int_call_code=code,
                    notes=_text(body.get("commentary")),
                    reference=_text(body.get("ref")),
                    source=_text(body.get("source")),
                    language=_text(body.get("language")),
                    tables=_text(body.get("tables")) if force else "",
                )
            except Unavailable:
                return error(HOUR_NOT_AVAILABLE)
            self._recent[(key, endpoint, raw)] = (res.id, time.monotonic())
        return ok(id_reserv=res.id, status=res.status)

    def _repeat(self, key: str, endpoint: str, raw: bytes) -> Reservation | None:
        now = time.monotonic()
        window = self.config.cm_duplicate_window_s
        for k in [k for k, (_, t) in self._recent.items() if now - t > window]:
            del self._recent[k]
        hit = self._recent.get((key, endpoint, raw))
        return self.state.get(hit[0]) if hit else None

    def _cancel(self, body: dict[str, Any]) -> Response:
        _require(body, ("id_reserv",))
        with self.state.locked():
            res = self.state.get(_text(body["id_reserv"]))
            if res is None or res.platform != COVERMANAGER:
                return error("Reservation not found")
            self._restaurant(res.venue, RIGHT_CANCEL)
            if not res.active:
                return error("Reservation already cancelled")
            self.state.set_status(res.id, CM_CANCELLED)
        return ok(message="Reservation cancelled")


# --- shapes -----------------------------------------------------------------------


def restaurant_record(venue: Venue) -> dict[str, Any]:
    """A ``restaurant/list`` item (research 1.4.1); every scalar is a string."""
    return {
        "restaurant": venue.slug,
        "name": venue.name,
        "logo": "",
        "address": venue.address,
        "city": venue.city,
        "phone": venue.phone,
        "timezone": venue.timezone,
        "currency": _CURRENCY.get(venue.country, "EUR"),
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "locality": venue.city,
        "province": venue.city,
        "country": venue.country,
        "postal_code_restaurant": venue.postal_code,
        "neighbourhood_restaurant": "",
        "waiting_list": "0",
        "perm": "1",
        "google_place_id": "",
        "iframe": "",
        "iframe_iso_languages": {"es": "spanish", "en": "english"},
        "images": [],
    }


def availability_maps(
    venue: Venue, free: dict[str, int], only: int | None, sw: Switches
) -> dict[str, Any]:
    """The mirrored ``people`` and ``hours`` maps, only bookable combinations."""
    people: dict[str, dict[str, Any]] = {}
    hours: dict[str, dict[str, Any]] = {}
    for hhmm in sorted(free):
        for size in party_sizes(venue, free[hhmm]):
            if only is not None and size != only:
                continue
            people.setdefault(str(size), {})[hhmm] = {"discount": False}
            hours.setdefault(hhmm, {})[str(size)] = {"discount": False}
    people = dict(sorted(people.items(), key=lambda item: int(item[0])))
    empty: Any = [] if sw.cm_empty_maps_as_lists else {}
    return {"people": people or empty, "hours": hours or empty}


def reservation_record(venue: Venue, res: Reservation) -> dict[str, Any]:
    """A ``get_reservs`` item (research 1.4.5): numbers as strings, local times."""
    tz = ZoneInfo(venue.timezone)
    added = dt.datetime.fromisoformat(res.created_at).astimezone(tz)
    updated = dt.datetime.fromisoformat(res.updated_at).astimezone(tz)
    return {
        "id_reserv": res.id,
        "id_client": res.id_client,
        "id_restaurant": venue.id_restaurant,
        "status": res.status,
        "for": str(res.party_size),
        "date": res.date,
        "time": res.time,
        "meal_shift": "Comida" if res.time < "17:00" else "Cena",
        "first_name": res.first_name,
        "last_name": res.last_name,
        "user_name": res.full_name,
        "user_phone": res.phone,
        "int_call_code": res.int_call_code,
        "email": res.email,
        "provenance": "terceros",
        "origin": res.source,
        "name_zone": "Sala",
        "table_names": res.tables,
        "tables": res.tables,
        "date_add": added.strftime("%Y-%m-%d"),
        "time_add": added.strftime("%H:%M:%S"),
        "last_update_status": updated.strftime("%Y-%m-%d %H:%M:%S"),
        "commentary_client": res.notes,
        "commentary_restaurant": "",
        "ref": res.reference,
        "language": res.language,
    }


# --- validation helpers -----------------------------------------------------------


def _json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _Refusal(error("Invalid JSON body")) from None
    if not isinstance(body, dict):
        raise _Refusal(error("Invalid JSON body"))
    return body


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _require(body: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = [n for n in names if _blank(body.get(n))]
    if missing:
        raise _Refusal(error(f"Missing parameters: {', '.join(missing)}"))


def _date(value: Any) -> dt.date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Refusal(error("Invalid date"))


def _valid_hour(hour: str) -> bool:
    hours, minutes = hour.split(":")
    return int(hours) < 24 and int(minutes) < 60


def _people(value: Any) -> int:
    if isinstance(value, bool):
        raise _Refusal(error("Invalid people"))
    if isinstance(value, int) and value >= 1:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
        return int(value)
    raise _Refusal(error("Invalid people"))
