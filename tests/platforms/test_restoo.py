"""Restoo adapter against respx: exact requests, bookingAt offsets, quarter hours, errors."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx

from prima_cli.core.booking_rules import snap_to_quarter
from prima_cli.errors import (
    ConfigError,
    InvalidInput,
    PlatformAmbiguousOutcome,
    PlatformAuthError,
    PlatformMalformedResponse,
    PlatformNotFound,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    PlatformUnsupported,
)
from prima_cli.platforms.contract import CancelReason, ReservationStatus, Slot
from prima_cli.platforms.restoo import (
    RestooAdapter,
    booking_at,
    nearest_quarters,
    status_from_text,
)
from tests.platforms.adapter_support import (
    RESTOO_BASE,
    RESTOO_KEY,
    body_of,
    booking,
    call,
    restoo_connection,
)

RT = RestooAdapter
STATUS_URL = f"{RESTOO_BASE}/partners/prima/v3/status"
AVAIL_URL = f"{RESTOO_BASE}/partners/prima/v3/availability"
BOOKING_URL = f"{RESTOO_BASE}/api/prima/v3/booking"
UUID = "3f2b8c1e-9a4d-4e5f-8b6a-0c1d2e3f4a5b"
CANCEL_URL = f"{BOOKING_URL}/{UUID}/cancel"
CREATED = {"uuid": UUID, "status": "CONFIRMED"}
DAY = dt.date(2026, 12, 1)
MADRID = "Europe/Madrid"


def assert_auth_headers(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {RESTOO_KEY}"
    assert request.headers["Account"] == "casa-pepe"
    assert request.headers["User-Agent"] == "prima/0.1.0"


# --- check_auth ----------------------------------------------------------------------


def test_check_auth_gets_status_with_bearer_and_account(mock: respx.MockRouter) -> None:
    route = mock.get(STATUS_URL).respond(json={"status": "ok"})
    result = call(RT, "check_auth", restoo_connection())
    assert "casa-pepe" in result.detail
    assert route.calls.last.request.method == "GET"
    assert_auth_headers(route.calls.last.request)


def test_check_auth_uses_configured_partner(mock: respx.MockRouter) -> None:
    route = mock.get(f"{RESTOO_BASE}/partners/acme/v3/status").respond(text="OK")
    call(RT, "check_auth", restoo_connection(partner_id="acme"))
    assert route.call_count == 1


@pytest.mark.parametrize("status", [401, 403])
def test_check_auth_refused(mock: respx.MockRouter, status: int) -> None:
    route = mock.get(STATUS_URL).respond(status, json={"message": "Invalid token"})
    with pytest.raises(PlatformAuthError) as caught:
        call(RT, "check_auth", restoo_connection())
    assert caught.value.platform_message == "Invalid token"
    assert caught.value.exit_code == 5
    assert route.call_count == 1


@pytest.mark.parametrize(
    "text", ["Invalid credentials", "<p>Authentication failed</p>", "Unauthorized"]
)
def test_check_auth_200_body_with_refusal_text_is_auth_error(
    mock: respx.MockRouter, text: str
) -> None:
    mock.get(STATUS_URL).respond(200, text=text)
    with pytest.raises(PlatformAuthError):
        call(RT, "check_auth", restoo_connection())


def test_check_auth_404_names_path(mock: respx.MockRouter) -> None:
    mock.get(STATUS_URL).respond(404)
    with pytest.raises(PlatformNotFound) as caught:
        call(RT, "check_auth", restoo_connection())
    assert "/partners/prima/v3/status" in caught.value.message
    assert "partner_id" in (caught.value.hint or "")


def test_base_url_is_required(mock: respx.MockRouter) -> None:
    route = mock.route()
    with pytest.raises(ConfigError, match="base_url"):
        call(RT, "check_auth", restoo_connection(base_url=""))
    assert route.call_count == 0


# --- availability ----------------------------------------------------------------


def test_availability_query_and_parse(mock: respx.MockRouter) -> None:
    route = mock.get(AVAIL_URL).respond(
        json={
            "availability": [
                {"bookingAt": "2026-12-01T20:30:00+01:00", "pax": 4},
                {"bookingAt": "2026-12-01T20:00:00+01:00", "pax": "4"},
                {"bookingAt": "2026-12-01T21:00:00+01:00", "pax": 2},  # other size
                {"bookingAt": "2026-12-01T21:15:00+01:00", "pax": 4, "available": False},
                {"bookingAt": "2026-12-02T20:00:00+01:00", "pax": 4},  # other date
                {"bookingAt": "2026-12-01T20:45:00Z", "pax": 4},  # 21:45 in Madrid
            ]
        }
    )
    slots = call(RT, "check_availability", restoo_connection(), DAY, dt.time(20, 0), 4)
    request = route.calls.last.request
    assert_auth_headers(request)
    assert dict(request.url.params) == {"bookingAt": "2026-12-01T20:00:00+01:00", "pax": "4"}
    assert slots == [
        Slot(DAY, dt.time(20, 0), 4),
        Slot(DAY, dt.time(20, 30), 4),
        Slot(DAY, dt.time(21, 45), 4),
    ]


def test_availability_slots_shape_and_strings(mock: respx.MockRouter) -> None:
    mock.get(AVAIL_URL).respond(json={"slots": ["2026-12-01T13:00:00+01:00"]})
    slots = call(RT, "check_availability", restoo_connection(), DAY, None, 2)
    assert slots == [Slot(DAY, dt.time(13, 0), 2)]


def test_availability_empty_list_is_no_availability(mock: respx.MockRouter) -> None:
    mock.get(AVAIL_URL).respond(json={"availability": []})
    assert call(RT, "check_availability", restoo_connection(), DAY, None, 2) == []


def test_availability_unknown_shape_is_malformed(mock: respx.MockRouter) -> None:
    mock.get(AVAIL_URL).respond(json={"ok": True})
    with pytest.raises(PlatformMalformedResponse):
        call(RT, "check_availability", restoo_connection(), DAY, None, 2)


@pytest.mark.parametrize("status", [404, 405])
def test_availability_absent_is_unsupported(mock: respx.MockRouter, status: int) -> None:
    route = mock.get(AVAIL_URL).respond(status)
    with pytest.raises(PlatformUnsupported) as caught:
        call(RT, "check_availability", restoo_connection(), DAY, dt.time(20, 0), 2)
    assert "does not offer availability" in caught.value.message
    assert caught.value.http_status == status
    assert route.call_count == 1


def test_availability_503_is_retried(mock: respx.MockRouter) -> None:
    route = mock.get(AVAIL_URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"availability": []})]
    )
    assert call(RT, "check_availability", restoo_connection(), DAY, None, 2) == []
    assert route.call_count == 2


def test_availability_off_grid_time_is_refused_without_request(mock: respx.MockRouter) -> None:
    route = mock.route()
    with pytest.raises(InvalidInput, match="20:00 or 20:15"):
        call(RT, "check_availability", restoo_connection(), DAY, dt.time(20, 10), 2)
    assert route.call_count == 0


# --- create ----------------------------------------------------------------------


def test_create_posts_exact_body(mock: respx.MockRouter) -> None:
    route = mock.post(BOOKING_URL).respond(201, json=CREATED)
    result = call(RT, "create_reservation", restoo_connection(), booking())
    assert_auth_headers(route.calls.last.request)
    assert route.calls.last.request.headers["content-type"] == "application/json"
    assert body_of(route) == {
        "bookingExternalId": "PRIMA-00042",
        "bookingAt": "2026-12-01T20:00:00+01:00",
        "pax": 4,
        "customerSpecialRequests": "window table",
        "customer": {
            "name": "Ana García López",
            "email": "ana.garcia@example.org",
            "phoneE164": "+34600111222",
        },
    }
    assert (result.external_id, result.raw_status) == (UUID, "CONFIRMED")
    assert result.status is ReservationStatus.CONFIRMED


def test_create_without_notes_sends_empty_string_and_normalised_phone(
    mock: respx.MockRouter,
) -> None:
    route = mock.post(BOOKING_URL).respond(json=CREATED)
    call(
        RT,
        "create_reservation",
        restoo_connection(),
        booking(notes="", phone_e164="+44 7700 900123"),
    )
    assert body_of(route)["customerSpecialRequests"] == ""
    assert body_of(route)["customer"]["phoneE164"] == "+447700900123"


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        (MADRID, dt.date(2026, 1, 15), dt.time(20, 0), "2026-01-15T20:00:00+01:00"),
        (MADRID, dt.date(2026, 7, 15), dt.time(20, 0), "2026-07-15T20:00:00+02:00"),
        (MADRID, dt.date(2026, 3, 28), dt.time(21, 30), "2026-03-28T21:30:00+01:00"),
        (MADRID, dt.date(2026, 3, 29), dt.time(21, 30), "2026-03-29T21:30:00+02:00"),
        (MADRID, dt.date(2026, 10, 25), dt.time(13, 15), "2026-10-25T13:15:00+01:00"),
        ("America/New_York", dt.date(2026, 1, 15), dt.time(19, 45), "2026-01-15T19:45:00-05:00"),
        ("America/New_York", dt.date(2026, 7, 4), dt.time(19, 45), "2026-07-04T19:45:00-04:00"),
        ("UTC", dt.date(2026, 7, 4), dt.time(12, 0), "2026-07-04T12:00:00+00:00"),
    ],
)
def test_create_booking_at_has_the_venue_offset_of_that_date(
    mock: respx.MockRouter, zone: str, day: dt.date, at: dt.time, expected: str
) -> None:
    route = mock.post(BOOKING_URL).respond(json=CREATED)
    call(RT, "create_reservation", restoo_connection(timezone=zone), booking(date=day, time=at))
    assert body_of(route)["bookingAt"] == expected


def test_create_off_grid_time_names_nearest_quarters_and_sends_nothing(
    mock: respx.MockRouter,
) -> None:
    route = mock.route()
    with pytest.raises(InvalidInput) as caught:
        call(RT, "create_reservation", restoo_connection(), booking(time=dt.time(20, 7)))
    assert "20:07" in caught.value.message
    assert "20:00 or 20:15" in caught.value.message
    assert caught.value.exit_code == 2
    assert route.call_count == 0


def test_create_time_skipped_by_dst_is_refused(mock: respx.MockRouter) -> None:
    route = mock.route()
    with pytest.raises(InvalidInput, match="does not exist"):
        call(
            RT,
            "create_reservation",
            restoo_connection(),
            booking(date=dt.date(2026, 3, 29), time=dt.time(2, 30)),
        )
    assert route.call_count == 0


def test_create_unknown_timezone_is_config_error(mock: respx.MockRouter) -> None:
    with pytest.raises(ConfigError):
        call(RT, "create_reservation", restoo_connection(timezone="Mars/Olympus"), booking())


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("CONFIRMED", ReservationStatus.CONFIRMED),
        ("REQUESTED", ReservationStatus.PENDING),
        ("PENDING_WAIT_LIST_BOOKING", ReservationStatus.WAITLIST),
        ("CANCELLED", ReservationStatus.CANCELLED),
        ("ON_HOLD", ReservationStatus.UNKNOWN),
    ],
)
def test_create_status_raw_and_normalised(
    mock: respx.MockRouter, raw: str, status: ReservationStatus
) -> None:
    mock.post(BOOKING_URL).respond(json={"uuid": UUID, "status": raw})
    result = call(RT, "create_reservation", restoo_connection(), booking())
    assert (result.raw_status, result.status) == (raw, status)


def test_status_absent_is_unknown() -> None:
    assert status_from_text(None) == (None, ReservationStatus.UNKNOWN)


def test_a_raw_status_is_kept_as_the_store_can_hold_it() -> None:
    """At most 40 printable characters (the ``raw_status`` column): a longer one, or one
    with NUL, failed the write of a booking Restoo had made (integration: hostile answers)."""
    assert status_from_text("CONFIRMED") == ("CONFIRMED", ReservationStatus.CONFIRMED)
    long, status = status_from_text("CONFIRMED " + "x" * 60)
    assert long == ("CONFIRMED " + "x" * 60)[:40] and status is ReservationStatus.UNKNOWN
    assert status_from_text("A\u0000\ud800B") == ("A\ufffd\ufffdB", ReservationStatus.UNKNOWN)


def test_create_2xx_without_uuid_is_ambiguous(mock: respx.MockRouter) -> None:
    mock.post(BOOKING_URL).respond(json={"status": "CONFIRMED"})
    with pytest.raises(PlatformAmbiguousOutcome, match="uuid") as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert isinstance(caught.value.__cause__, PlatformMalformedResponse)


def test_availability_html_200_is_malformed(mock: respx.MockRouter) -> None:
    mock.get(AVAIL_URL).respond(200, text="<html><body>Maintenance</body></html>")
    with pytest.raises(PlatformMalformedResponse) as caught:
        call(RT, "check_availability", restoo_connection(), DAY, None, 2)
    assert "Maintenance" in caught.value.excerpt


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (422, {"message": "bookingAt must be on a 15-minute slot"}, "15-minute"),
        (409, {"error": "Duplicate bookingExternalId"}, "Duplicate"),
        (400, {"error": {"message": "Customer data rejected"}}, "Customer data rejected"),
        (400, {"errors": [{"message": "pax too large"}, "email invalid"]}, "pax too large"),
    ],
)
def test_create_rejected_with_platform_message(
    mock: respx.MockRouter, status: int, body: dict[str, object], message: str
) -> None:
    route = mock.post(BOOKING_URL).respond(status, json=body)
    with pytest.raises(PlatformRejected) as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert message in (caught.value.platform_message or "")
    assert caught.value.http_status == status
    assert caught.value.exit_code == 6
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, PlatformAuthError), (403, PlatformAuthError), (404, PlatformNotFound)],
)
def test_create_http_errors(mock: respx.MockRouter, status: int, error: type) -> None:
    mock.post(BOOKING_URL).respond(status, json={"error": "nope"})
    with pytest.raises(error):
        call(RT, "create_reservation", restoo_connection(), booking())


@pytest.mark.parametrize(
    "outcome",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504, text="<html>Gateway Timeout</html>"),
    ],
)
def test_create_ambiguous_after_one_request(mock: respx.MockRouter, outcome: object) -> None:
    route = mock.post(BOOKING_URL).mock(side_effect=[outcome])
    with pytest.raises(PlatformAmbiguousOutcome) as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert route.call_count == 1
    assert caught.value.platform == "restoo"


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.PoolTimeout("pool"),
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        httpx.Response(503),
    ],
)
def test_create_not_applied_is_retried(mock: respx.MockRouter, first: object) -> None:
    route = mock.post(BOOKING_URL).mock(side_effect=[first, httpx.Response(201, json=CREATED)])
    assert call(RT, "create_reservation", restoo_connection(), booking()).external_id == UUID
    assert route.call_count == 2


def test_create_429_exhausted_is_rate_limited(mock: respx.MockRouter) -> None:
    route = mock.post(BOOKING_URL).respond(429, headers={"Retry-After": "3"})
    with pytest.raises(PlatformRateLimited) as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert caught.value.retry_after == 3.0
    assert route.call_count == 3


def test_create_503_exhausted_is_unavailable(mock: respx.MockRouter) -> None:
    route = mock.post(BOOKING_URL).respond(503, json={"message": "maintenance"})
    with pytest.raises(PlatformUnavailable) as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert caught.value.platform_message == "maintenance"
    assert route.call_count == 3


# --- cancel ----------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(CancelReason))
def test_cancel_posts_reason(mock: respx.MockRouter, reason: CancelReason) -> None:
    route = mock.post(CANCEL_URL).respond(204)
    result = call(RT, "cancel_reservation", restoo_connection(), UUID, reason)
    assert body_of(route) == {"cancelReason": reason.value}
    assert_auth_headers(route.calls.last.request)
    assert (result.external_id, result.status) == (UUID, ReservationStatus.CANCELLED)


def test_cancel_keeps_returned_status(mock: respx.MockRouter) -> None:
    mock.post(CANCEL_URL).respond(json={"uuid": UUID, "status": "CANCELLED"})
    result = call(RT, "cancel_reservation", restoo_connection(), UUID, CancelReason.OTHER)
    assert (result.raw_status, result.status) == ("CANCELLED", ReservationStatus.CANCELLED)


def test_cancel_unknown_booking_is_not_found(mock: respx.MockRouter) -> None:
    mock.post(CANCEL_URL).respond(404, json={"message": "Booking not found"})
    with pytest.raises(PlatformNotFound, match="Booking not found"):
        call(RT, "cancel_reservation", restoo_connection(), UUID, CancelReason.OTHER)


def test_cancel_html_200_is_ambiguous(mock: respx.MockRouter) -> None:
    mock.post(CANCEL_URL).respond(200, text="<html>Welcome</html>")
    with pytest.raises(PlatformAmbiguousOutcome, match="Welcome"):
        call(RT, "cancel_reservation", restoo_connection(), UUID, CancelReason.OTHER)


def test_cancel_write_timeout_is_ambiguous(mock: respx.MockRouter) -> None:
    route = mock.post(CANCEL_URL).mock(side_effect=httpx.WriteTimeout("timed out"))
    with pytest.raises(PlatformAmbiguousOutcome):
        call(RT, "cancel_reservation", restoo_connection(), UUID, CancelReason.OTHER)
    assert route.call_count == 1


# --- quarter-hour helpers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "before", "after"),
    [
        (dt.time(20, 0), dt.time(20, 0), dt.time(20, 0)),
        (dt.time(20, 7), dt.time(20, 0), dt.time(20, 15)),
        (dt.time(20, 44, 59), dt.time(20, 30), dt.time(20, 45)),
        (dt.time(20, 0, 30), dt.time(20, 0), dt.time(20, 15)),
        (dt.time(23, 50), dt.time(23, 45), dt.time(0, 0)),
    ],
)
def test_nearest_quarters(at: dt.time, before: dt.time, after: dt.time) -> None:
    assert nearest_quarters(at) == (before, after)


@pytest.mark.parametrize(
    ("at", "snapped"),
    [
        (dt.time(20, 7), dt.time(20, 0)),
        (dt.time(20, 8), dt.time(20, 15)),
        (dt.time(20, 7, 30), dt.time(20, 15)),  # halfway rounds up
        (dt.time(20, 53), dt.time(21, 0)),
        (dt.time(0, 5), dt.time(0, 0)),
        (dt.time(21, 15), dt.time(21, 15)),
    ],
)
def test_snap_to_quarter(at: dt.time, snapped: dt.time) -> None:
    assert snap_to_quarter(at) == snapped


def test_snap_past_midnight_is_refused() -> None:
    with pytest.raises(InvalidInput, match="next day"):
        snap_to_quarter(dt.time(23, 53))


def test_booking_at_rejects_seconds() -> None:
    from zoneinfo import ZoneInfo

    with pytest.raises(InvalidInput, match="20:00:30"):
        booking_at(DAY, dt.time(20, 0, 30), ZoneInfo(MADRID))


@pytest.mark.parametrize("uuid", ["3f2b8c1e\n9a4d FAKE: ok", "\x1b[2J3f2b8c1e", "u" * 101, " "])
def test_create_2xx_with_an_unusable_uuid_is_ambiguous(mock: respx.MockRouter, uuid: str) -> None:
    """An id prima cannot print, type back (`bookings resolve --found`) or put in a path is
    not an id: it was recorded as given, and a line break in it began a line of its own."""
    mock.post(BOOKING_URL).respond(201, json={"uuid": uuid, "status": "CONFIRMED"})
    with pytest.raises(PlatformAmbiguousOutcome, match="uuid") as caught:
        call(RT, "create_reservation", restoo_connection(), booking())
    assert isinstance(caught.value.__cause__, PlatformMalformedResponse)
