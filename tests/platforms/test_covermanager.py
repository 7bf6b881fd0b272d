"""CoverManager adapter against respx: exact requests, envelope, errors, retries."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import orjson
import pytest
import respx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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
)
from prima_cli.platforms.contract import CancelReason, ReservationStatus, Slot
from prima_cli.platforms.covermanager import CoverManagerAdapter, parsing, status_from_code
from tests.platforms.adapter_support import CM_BASE, CM_KEY, body_of, booking, call, cm_connection

CM = CoverManagerAdapter
LIST_URL = f"{CM_BASE}/restaurant/list/{CM_KEY}/"
AVAIL_URL = f"{CM_BASE}/reserv/availability"
CREATE_URL = f"{CM_BASE}/reserv/reserv"
CANCEL_URL = f"{CM_BASE}/reserv/cancel_client"
DAY = dt.date(2026, 12, 1)

RESTAURANTS = {
    "resp": 1,
    "restaurants": [
        {"restaurant": "prima-test", "name": "PRIMA TEST", "timezone": "Europe/Madrid"},
        {"restaurant": "Restaurante-Norah", "name": "Norah"},
    ],
}
AVAILABILITY = {
    "resp": 1,
    "availability": {
        "people": {
            "2": {"20:00": {"discount": False}, "20:15": {"discount": False}},
            "4": {"20:30": {"discount": False}, "20:00": {"discount": "10"}},
        },
        # the hours map also lists 21:00 for 4 people: it must never be read
        "hours": {"21:00": {"4": {"discount": False}}},
    },
}


def availability(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


# --- check_auth ----------------------------------------------------------------------


def test_check_auth_gets_list_with_key_in_path(mock: respx.MockRouter) -> None:
    route = mock.get(LIST_URL).respond(json=RESTAURANTS)
    result = call(CM, "check_auth", cm_connection())
    assert "prima-test" in result.detail
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.path == f"/api/restaurant/list/{CM_KEY}/"
    assert "apikey" not in request.headers
    assert request.headers["User-Agent"] == "prima/0.1.0"
    assert request.content == b""


def test_check_auth_wrong_slug_names_it_and_lists_visible_slugs(mock: respx.MockRouter) -> None:
    mock.get(LIST_URL).respond(json=RESTAURANTS)
    with pytest.raises(PlatformNotFound) as caught:
        call(CM, "check_auth", cm_connection(restaurant_id="casa-pepe"))
    assert "'casa-pepe'" in caught.value.message
    assert "Restaurante-Norah" in (caught.value.hint or "")
    assert "prima-test" in (caught.value.hint or "")


def test_check_auth_slug_differing_in_case_gets_a_hint(mock: respx.MockRouter) -> None:
    mock.get(LIST_URL).respond(json=RESTAURANTS)
    with pytest.raises(PlatformNotFound) as caught:
        call(CM, "check_auth", cm_connection(restaurant_id="restaurante-norah"))
    assert "did you mean 'Restaurante-Norah'" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, PlatformAuthError), (403, PlatformAuthError), (404, PlatformNotFound)],
)
def test_check_auth_http_errors(mock: respx.MockRouter, status: int, error: type) -> None:
    route = mock.get(LIST_URL).respond(status, json={"resp": 0, "error": "Invalid API key"})
    with pytest.raises(error) as caught:
        call(CM, "check_auth", cm_connection())
    assert caught.value.http_status == status
    assert caught.value.platform == "covermanager"
    assert route.call_count == 1  # never retried
    assert CM_KEY not in str(caught.value.to_dict())


def test_check_auth_resp_zero_action_not_permitted_is_auth_error(mock: respx.MockRouter) -> None:
    route = mock.get(LIST_URL).respond(json={"resp": 0, "error": "Action not permited"})
    with pytest.raises(PlatformAuthError) as caught:
        call(CM, "check_auth", cm_connection())
    assert caught.value.platform_message == "Action not permited"
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("said", "hint"),
    [
        ("Action not permited", "enable this action"),
        ("Invalid API key", "check the connection's api_key"),
        ("Unauthorized", "check the connection's api_key"),
    ],
)
def test_a_resp_zero_refusal_keeps_http_200_and_its_own_hint(
    mock: respx.MockRouter, said: str, hint: str
) -> None:
    """CoverManager sends logical errors with HTTP 200: the status is part of the error, and
    only a missing right (not an unknown key) is sent to CoverManager support."""
    mock.get(LIST_URL).respond(200, json={"resp": 0, "error": said})
    with pytest.raises(PlatformAuthError) as caught:
        call(CM, "check_auth", cm_connection())
    assert caught.value.http_status == 200
    assert caught.value.hint is not None and hint in caught.value.hint


def test_a_resp_zero_rejection_keeps_http_200(mock: respx.MockRouter) -> None:
    mock.post(CREATE_URL).respond(200, json={"resp": 0, "error": "Restaurant closed that day"})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert caught.value.http_status == 200
    assert caught.value.to_dict()["http_status"] == 200


def test_key_with_url_special_characters_is_quoted_and_masked(mock: respx.MockRouter) -> None:
    key = "ab/cd+ef==Secret99"
    route = mock.get(url__startswith=f"{CM_BASE}/restaurant/list/").respond(404, text="nope")
    with pytest.raises(PlatformNotFound) as caught:
        call(CM, "check_auth", cm_connection(api_key=key))
    assert (
        route.calls.last.request.url.raw_path == b"/api/restaurant/list/ab%2Fcd%2Bef%3D%3DSecret99/"
    )
    assert "ab%2Fcd" not in caught.value.message
    assert "****et99" in caught.value.message


def test_a_key_echoed_in_an_unexpected_answer_is_masked_as_quoted(
    mock: respx.MockRouter,
) -> None:
    """An answer prima cannot read is quoted in the error as it was decoded (a Python
    ``repr`` doubles a backslash) and the raw JSON body too (JSON escapes `"`): a key
    holding them is masked in each form, in the message and in the error's JSON."""
    key = 'ab"cd\\ef/Secret99'
    mock.get(url__startswith=f"{CM_BASE}/restaurant/list/").respond(
        200, json={"resp": 1, "restaurants": f"for key {key}"}
    )
    with pytest.raises(PlatformMalformedResponse) as caught:
        call(CM, "check_auth", cm_connection(api_key=key))
    shown = caught.value.message + json.dumps(caught.value.to_dict())
    assert "****et99" in shown  # the answer was quoted, so the check looks at it
    assert "cd\\\\ef" not in shown and "cd\\ef" not in shown


def test_missing_api_key_is_a_config_error_before_any_request(mock: respx.MockRouter) -> None:
    route = mock.route()
    with pytest.raises(ConfigError):
        call(CM, "check_auth", cm_connection(api_key=""))
    assert route.call_count == 0


def test_base_url_defaults_to_production(mock: respx.MockRouter) -> None:
    route = mock.get(f"https://www.covermanager.com/api/restaurant/list/{CM_KEY}/").respond(
        json=RESTAURANTS
    )
    conn = cm_connection()
    del conn.config["base_url"]  # type: ignore[attr-defined]
    call(CM, "check_auth", conn)
    assert route.call_count == 1


# --- availability ----------------------------------------------------------------


def test_availability_posts_exact_body_and_reads_people_by_size(mock: respx.MockRouter) -> None:
    route = mock.post(AVAIL_URL).respond(json=AVAILABILITY)
    slots = call(CM, "check_availability", cm_connection(), DAY, dt.time(20, 0), 4)
    request = route.calls.last.request
    assert request.headers["apikey"] == CM_KEY
    assert request.headers["content-type"] == "application/json"
    assert body_of(route) == {
        "restaurant": "prima-test",
        "date": "2026-12-01",
        "number_people": 4,
        "discount": "all",
        "product_type": "0",
    }
    assert slots == [
        Slot(DAY, dt.time(20, 0), 4, "10"),
        Slot(DAY, dt.time(20, 30), 4, None),
    ]


def test_availability_never_uses_hours_fallback(mock: respx.MockRouter) -> None:
    body = {"availability": {"people": {"2": {"20:00": {"discount": False}}}, "hours": {}}}
    body["availability"]["hours"] = {"21:00": {"4": {"discount": False}}}
    mock.post(AVAIL_URL).respond(json=body)
    assert call(CM, "check_availability", cm_connection(), DAY, None, 4) == []


def test_availability_without_resp_is_accepted(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(json={"availability": AVAILABILITY["availability"]})
    slots = call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert [s.time for s in slots] == [dt.time(20, 0), dt.time(20, 15)]


@pytest.mark.parametrize("resp", [1, "1", "OK", "ok"])
def test_availability_success_resp_forms(mock: respx.MockRouter, resp: object) -> None:
    mock.post(AVAIL_URL).respond(json={**AVAILABILITY, "resp": resp})
    assert len(call(CM, "check_availability", cm_connection(), DAY, None, 2)) == 2


@pytest.mark.parametrize("empty", [[], {"people": []}, {"people": {}, "hours": []}])
def test_availability_empty_means_no_slots(mock: respx.MockRouter, empty: object) -> None:
    mock.post(AVAIL_URL).respond(json={"resp": 1, "availability": empty})
    assert call(CM, "check_availability", cm_connection(), DAY, None, 2) == []


def test_availability_string_numbers_in_keys(mock: respx.MockRouter) -> None:
    body = {"resp": "1", "availability": {"people": {"6": {"13:30": {"discount": "0"}}}}}
    mock.post(AVAIL_URL).respond(json=body)
    assert call(CM, "check_availability", cm_connection(), DAY, None, 6) == [
        Slot(DAY, dt.time(13, 30), 6, None)
    ]


def test_availability_without_availability_key_is_malformed(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(json={"resp": 1})
    with pytest.raises(PlatformMalformedResponse):
        call(CM, "check_availability", cm_connection(), DAY, None, 2)


@pytest.mark.parametrize("key", ["error", "status"])
def test_resp_zero_message_in_error_or_status(mock: respx.MockRouter, key: str) -> None:
    route = mock.post(AVAIL_URL).respond(json={"resp": 0, key: "Restaurant closed"})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.platform_message == "Restaurant closed"
    assert "Restaurant closed" in caught.value.message
    assert caught.value.exit_code == 6
    assert route.call_count == 1


def test_resp_string_zero_is_a_failure(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(json={"resp": "0", "error": "Invalid date"})
    with pytest.raises(PlatformRejected, match="Invalid date"):
        call(CM, "check_availability", cm_connection(), DAY, None, 2)


def test_missing_resp_with_error_is_a_failure(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(json={"error": "Restaurant not found"})
    with pytest.raises(PlatformRejected, match="Restaurant not found"):
        call(CM, "check_availability", cm_connection(), DAY, None, 2)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_read_5xx_is_retried_then_succeeds(mock: respx.MockRouter, status: int) -> None:
    route = mock.post(AVAIL_URL).mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=AVAILABILITY)]
    )
    assert len(call(CM, "check_availability", cm_connection(), DAY, None, 2)) == 2
    assert route.call_count == 2


@pytest.mark.parametrize("status", [500, 503])
def test_read_5xx_exhausted_is_unavailable(mock: respx.MockRouter, status: int) -> None:
    route = mock.post(AVAIL_URL).respond(status, text="<html><h1>Server Error</h1></html>")
    with pytest.raises(PlatformUnavailable) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.http_status == status
    assert caught.value.exit_code == 69
    assert "3 attempts" in caught.value.message
    assert route.call_count == 3


@pytest.mark.parametrize("retry_after", ["1", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_429_with_retry_after_is_retried_then_succeeds(
    mock: respx.MockRouter, retry_after: str
) -> None:
    route = mock.post(AVAIL_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": retry_after}),
            httpx.Response(200, json=AVAILABILITY),
        ]
    )
    assert len(call(CM, "check_availability", cm_connection(), DAY, None, 2)) == 2
    assert route.call_count == 2


def test_429_exhausted_is_rate_limited_with_retry_after(mock: respx.MockRouter) -> None:
    route = mock.post(AVAIL_URL).respond(429, headers={"Retry-After": "7"})
    with pytest.raises(PlatformRateLimited) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.retry_after == 7.0
    assert caught.value.exit_code == 75
    assert route.call_count == 3


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected"),
    ],
)
def test_read_transport_errors_are_retried_then_unavailable(
    mock: respx.MockRouter, exc: Exception
) -> None:
    route = mock.post(AVAIL_URL).mock(side_effect=exc)
    with pytest.raises(PlatformUnavailable) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert route.call_count == 3
    assert "cm.test" in caught.value.message


def test_read_timeout_then_success(mock: respx.MockRouter) -> None:
    route = mock.post(AVAIL_URL).mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json=AVAILABILITY)]
    )
    assert len(call(CM, "check_availability", cm_connection(), DAY, None, 2)) == 2
    assert route.call_count == 2


def test_malformed_json_is_malformed_with_excerpt(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(200, text='{"resp": 1, "availability": {')
    with pytest.raises(PlatformMalformedResponse) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.excerpt == '{"resp": 1, "availability": {'
    assert caught.value.exit_code == 69


def test_html_error_page_gives_short_scrubbed_excerpt(mock: respx.MockRouter) -> None:
    page = f"<html><body><h1>Fatal error</h1><p>key {CM_KEY}</p>{'x' * 1000}</body></html>"
    mock.post(AVAIL_URL).respond(200, text=page, headers={"Content-Type": "text/html"})
    with pytest.raises(PlatformMalformedResponse) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.excerpt.startswith("<html><body><h1>Fatal error</h1>")
    assert len(caught.value.excerpt) <= 210
    assert CM_KEY not in caught.value.excerpt
    assert "****" in caught.value.excerpt


def test_422_is_rejected_with_platform_message(mock: respx.MockRouter) -> None:
    mock.post(AVAIL_URL).respond(422, json={"resp": 0, "error": "Invalid party size"})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "check_availability", cm_connection(), DAY, None, 2)
    assert caught.value.platform_message == "Invalid party size"
    assert caught.value.http_status == 422


# --- create ----------------------------------------------------------------------


def test_create_posts_exact_body(mock: respx.MockRouter) -> None:
    route = mock.post(CREATE_URL).respond(json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"})
    result = call(CM, "create_reservation", cm_connection(), booking())
    assert route.calls.last.request.headers["apikey"] == CM_KEY
    assert body_of(route) == {
        "restaurant": "prima-test",
        "date": "2026-12-01",
        "hour": "20:00",
        "people": 4,
        "first_name": "Ana",
        "last_name": "García López",
        "email": "ana.garcia@example.org",
        "int_call_code": "34",
        "phone": "600111222",
        "commentary": "window table",
        "source": "prima",
        "ref": "PRIMA-00042",
        "pending": "0",
        "discount": "0",
        "not_notify": "0",
    }
    assert result.external_id == "SGwzEu"
    assert result.raw_status == "3"
    assert result.status is ReservationStatus.CONFIRMED
    assert result.raw_response["id_reserv"] == "SGwzEu"


def test_create_uses_configured_flags(mock: respx.MockRouter) -> None:
    route = mock.post(CREATE_URL).respond(json={"resp": 1, "id_reserv": "abc123", "status": 1})
    conn = cm_connection(source="prima-ops", pending="1", not_notify="1", discount="5")
    result = call(CM, "create_reservation", conn, booking())
    body = body_of(route)
    assert (body["source"], body["pending"], body["not_notify"], body["discount"]) == (
        "prima-ops",
        "1",
        "1",
        "5",
    )
    assert (result.raw_status, result.status) == ("1", ReservationStatus.PENDING)


def test_force_uses_reserv_force(mock: respx.MockRouter) -> None:
    force = mock.post(f"{CM_BASE}/reserv/reserv_force").respond(
        json={"resp": 1, "id_reserv": "F0rce1"}
    )
    result = call(CM, "create_reservation", cm_connection(), booking(force=True))
    assert force.call_count == 1
    assert result.external_id == "F0rce1"
    assert (result.raw_status, result.status) == (None, ReservationStatus.UNKNOWN)


@pytest.mark.parametrize(
    ("phone", "code", "national"),
    [
        ("+34600111222", "34", "600111222"),
        ("+44 7700 900123", "44", "7700900123"),
        ("+1 212-555-0123", "1", "2125550123"),
        ("+525512345678", "52", "5512345678"),
        ("+390612345678", "39", "0612345678"),  # Italian leading zero kept
        ("+33612345678", "33", "612345678"),
    ],
)
def test_create_splits_phone_by_country(
    mock: respx.MockRouter, phone: str, code: str, national: str
) -> None:
    route = mock.post(CREATE_URL).respond(json={"resp": 1, "id_reserv": "x1"})
    call(CM, "create_reservation", cm_connection(), booking(phone_e164=phone))
    assert (body_of(route)["int_call_code"], body_of(route)["phone"]) == (code, national)


@pytest.mark.parametrize("phone", ["600111222", "+34", "+999123", "not a phone"])
def test_create_rejects_non_e164_phone_before_any_request(
    mock: respx.MockRouter, phone: str
) -> None:
    route = mock.route()
    with pytest.raises(InvalidInput):
        call(CM, "create_reservation", cm_connection(), booking(phone_e164=phone))
    assert route.call_count == 0


def test_create_resp_zero_surfaces_platform_message(mock: respx.MockRouter) -> None:
    mock.post(CREATE_URL).respond(json={"resp": 0, "error": "Hour Not Available"})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert caught.value.platform_message == "Hour Not Available"


def test_create_action_not_permitted_is_auth_and_not_retried(mock: respx.MockRouter) -> None:
    route = mock.post(CREATE_URL).respond(json={"resp": 0, "status": "Action not permited"})
    with pytest.raises(PlatformAuthError):
        call(CM, "create_reservation", cm_connection(), booking())
    assert route.call_count == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={"resp": 1}),  # no id_reserv
        httpx.Response(200, json={"id_reserv": "abc"}),  # no resp
        httpx.Response(200, text='{"resp":1,"id_res'),  # truncated
        httpx.Response(200, text="<html>Fatal error</html>"),
    ],
)
def test_create_unreadable_success_is_ambiguous_not_malformed(
    mock: respx.MockRouter, answer: httpx.Response
) -> None:
    # the platform accepted the request: the booking may exist, so it must be reconciled
    route = mock.post(CREATE_URL).mock(return_value=answer)
    with pytest.raises(PlatformAmbiguousOutcome) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert isinstance(caught.value.__cause__, PlatformMalformedResponse)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "outcome",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.WriteTimeout("timed out"),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
    ],
)
def test_create_that_may_have_landed_is_ambiguous_after_one_request(
    mock: respx.MockRouter, outcome: object
) -> None:
    route = mock.post(CREATE_URL).mock(side_effect=[outcome])
    with pytest.raises(PlatformAmbiguousOutcome) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert route.call_count == 1
    assert caught.value.platform == "covermanager"
    assert "reconcile" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(503),
    ],
)
def test_create_not_applied_is_retried(mock: respx.MockRouter, first: object) -> None:
    route = mock.post(CREATE_URL).mock(
        side_effect=[first, httpx.Response(200, json={"resp": 1, "id_reserv": "R2d2X1"})]
    )
    assert call(CM, "create_reservation", cm_connection(), booking()).external_id == "R2d2X1"
    assert route.call_count == 2


def test_create_connection_refused_exhausted_is_unavailable(mock: respx.MockRouter) -> None:
    route = mock.post(CREATE_URL).mock(side_effect=httpx.ConnectError("Connection refused"))
    with pytest.raises(PlatformUnavailable):
        call(CM, "create_reservation", cm_connection(), booking())
    assert route.call_count == 3


@pytest.mark.parametrize("status", [302, 303])
def test_a_write_answered_with_a_redirect_to_its_result_is_ambiguous(
    mock: respx.MockRouter, status: int
) -> None:
    """303 See Other (and 302, sent alike) is how a server that handled a POST points at its
    result. It was "redirected: not applied" (exit 69), so the booking failed over to the
    venue's next platform: booked twice when CoverManager had made it."""
    route = mock.post(CREATE_URL).respond(status, headers={"Location": "/reserv/778899"})
    with pytest.raises(PlatformAmbiguousOutcome, match=f"HTTP {status}"):
        call(CM, "create_reservation", cm_connection(), booking())
    assert route.call_count == 1
    mock.post(CANCEL_URL).respond(status, headers={"Location": "/reserv/778899"})
    with pytest.raises(PlatformAmbiguousOutcome):
        call(CM, "cancel_reservation", cm_connection(), "778899", CancelReason.OTHER)


@pytest.mark.parametrize("status", [301, 307, 308])
def test_a_write_answered_with_a_move_is_not_applied(mock: respx.MockRouter, status: int) -> None:
    """A moved endpoint (a base_url to correct) answers before handling anything."""
    mock.post(CREATE_URL).respond(status, headers={"Location": "https://elsewhere.test/"})
    with pytest.raises(PlatformUnavailable, match="redirected"):
        call(CM, "create_reservation", cm_connection(), booking())


def test_create_time_with_seconds_is_refused(mock: respx.MockRouter) -> None:
    route = mock.route()
    with pytest.raises(InvalidInput):
        call(CM, "create_reservation", cm_connection(), booking(time=dt.time(20, 0, 30)))
    assert route.call_count == 0


# --- cancel ----------------------------------------------------------------------


def test_cancel_posts_id_reserv(mock: respx.MockRouter) -> None:
    route = mock.post(CANCEL_URL).respond(json={"resp": 1, "status": "Reservation cancelled"})
    result = call(CM, "cancel_reservation", cm_connection(), "SGwzEu", CancelReason.OTHER)
    assert body_of(route) == {"id_reserv": "SGwzEu"}
    assert route.calls.last.request.headers["apikey"] == CM_KEY
    assert (result.external_id, result.status) == ("SGwzEu", ReservationStatus.CANCELLED)


def test_cancel_refused_surfaces_message(mock: respx.MockRouter) -> None:
    mock.post(CANCEL_URL).respond(json={"resp": 0, "error": "Reservation already cancelled"})
    with pytest.raises(PlatformRejected, match="Reservation already cancelled"):
        call(CM, "cancel_reservation", cm_connection(), "SGwzEu", CancelReason.OTHER)


def test_cancel_read_timeout_is_ambiguous(mock: respx.MockRouter) -> None:
    route = mock.post(CANCEL_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(PlatformAmbiguousOutcome):
        call(CM, "cancel_reservation", cm_connection(), "SGwzEu", CancelReason.OTHER)
    assert route.call_count == 1


# --- status table ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, ("1", ReservationStatus.PENDING)),
        ("2", ("2", ReservationStatus.SEATED)),
        ("3", ("3", ReservationStatus.CONFIRMED)),
        (4, ("4", ReservationStatus.CONFIRMED)),
        ("5", ("5", ReservationStatus.SEATED)),
        (6, ("6", ReservationStatus.SEATED)),
        ("7", ("7", ReservationStatus.SEATED)),
        ("8", ("8", ReservationStatus.COMPLETED)),
        (9, ("9", ReservationStatus.SEATED)),
        ("-1", ("-1", ReservationStatus.CANCELLED)),
        (-2, ("-2", ReservationStatus.CANCELLED)),
        ("-3", ("-3", ReservationStatus.NO_SHOW)),
        (-5, ("-5", ReservationStatus.CANCELLED)),
        ("42", ("42", ReservationStatus.UNKNOWN)),
        ("Reserved", ("Reserved", ReservationStatus.UNKNOWN)),
        (None, (None, ReservationStatus.UNKNOWN)),
    ],
)
def test_status_codes(raw: object, expected: tuple[str | None, ReservationStatus]) -> None:
    assert status_from_code(raw) == expected


# --- list_reservations and availability_calendar ------------------------------------


def reserv(id_: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id_reserv": id_,
        "status": "3",
        "for": "4",
        "date": "2026-05-25",
        "time": "21:30",
        "first_name": "Ana",
        "last_name": "García",
        "int_call_code": "34",
        "phone": "600111222",
    }
    row.update(extra)
    return row


def reservs_url(page: int) -> str:
    return f"{CM_BASE}/restaurant/get_reservs/{CM_KEY}/prima-test/2026-05-25/2026-05-26/{page}"


def test_list_reservations_pages_until_a_short_page(mock: respx.MockRouter) -> None:
    page0 = mock.get(reservs_url(0)).respond(
        json={"resp": 1, "reservs": [reserv("a1"), reserv("a2", status="-3"), reserv("a3")]}
    )
    page1 = mock.get(reservs_url(1)).respond(json={"resp": 1, "reservs": [reserv("b1", ref="P-9")]})
    page2 = mock.get(reservs_url(2)).respond(json={"resp": 1, "reservs": []})
    records = call(
        CM, "list_reservations", cm_connection(), dt.date(2026, 5, 25), dt.date(2026, 5, 26)
    )
    assert (page0.call_count, page1.call_count, page2.call_count) == (1, 1, 0)
    assert [r.external_id for r in records] == ["a1", "a2", "a3", "b1"]
    first = records[0]
    assert (first.date, first.time, first.party_size) == (dt.date(2026, 5, 25), dt.time(21, 30), 4)
    assert (first.raw_status, first.status) == ("3", ReservationStatus.CONFIRMED)
    assert first.phone_e164 == "+34600111222"
    assert records[1].status is ReservationStatus.NO_SHOW
    assert records[3].reference == "P-9"
    assert "apikey" not in page0.calls.last.request.headers


def test_list_reservations_accepts_bare_list_and_stops_on_repeat(mock: respx.MockRouter) -> None:
    # an endpoint ignoring the page segment returns the same rows: stop, no duplicates
    route = mock.get(url__startswith=f"{CM_BASE}/restaurant/get_reservs/").respond(
        json=[reserv("a1"), reserv("a2")]
    )
    records = call(
        CM, "list_reservations", cm_connection(), dt.date(2026, 5, 25), dt.date(2026, 5, 26)
    )
    assert [r.external_id for r in records] == ["a1", "a2"]
    assert route.call_count == 2


def test_calendar_posts_camel_case_and_parses_days(mock: respx.MockRouter) -> None:
    route = mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(
        json={
            "resp": 1,
            "calendar": {
                "2026-12-01": AVAILABILITY["availability"],
                "2026-12-02": [],
                "2026-11-01": AVAILABILITY["availability"],  # outside the range: dropped
            },
        }
    )
    calendar = call(
        CM, "availability_calendar", cm_connection(), dt.date(2026, 12, 1), dt.date(2026, 12, 2)
    )
    assert body_of(route) == {
        "restaurant": "prima-test",
        "dateStart": "2026-12-01",
        "dateEnd": "2026-12-02",
        "discount": "all",
        "product_type": "0",
    }
    assert list(calendar) == [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
    assert calendar[dt.date(2026, 12, 1)] == {
        2: [dt.time(20, 0), dt.time(20, 15)],
        4: [dt.time(20, 0), dt.time(20, 30)],
    }
    assert calendar[dt.date(2026, 12, 2)] == {}


def test_a_calendar_of_the_usual_shape_is_read_without_decoding_each_hours_details() -> None:
    week = {"resp": 1, "calendar": {"2026-12-01": AVAILABILITY["availability"],
                                    "2026-12-02": [], "2026-12-03": {"people": []}}}  # fmt: skip
    found = parsing.calendar_people(orjson.dumps(week))
    assert found is not None
    assert list(found) == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert found["2026-12-02"] == found["2026-12-03"] == {}
    assert sorted(found["2026-12-01"]["4"]) == ["20:00", "20:30"]
    assert not isinstance(found["2026-12-01"]["4"]["20:00"], dict)  # left undecoded
    # anything else is the general path's to read (and to name what is wrong with)
    for other in ({"resp": 0, "calendar": []}, {"resp": 1}, {"resp": 1, "calendar": [1]},
                  {"resp": 1, "calendar": {"2026-12-01": {"people": [1]}}},
                  {"resp": 1, "calendar": {"2026-12-01": None}}, [], "x"):  # fmt: skip
        assert parsing.calendar_people(orjson.dumps(other)) is None, other
    assert parsing.calendar_people(b"") is None
    assert parsing.calendar_people(b"{") is None


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=2)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                     max_leaves=4)  # fmt: skip
# mostly what CoverManager sends, each odd shape one choice among them
_HOUR = st.sampled_from(["20:00", "20:15", "9:30", "21:15:00"])
_HOURS = st.one_of(st.dictionaries(_HOUR, st.just({"discount": False}), max_size=3),
                   st.dictionaries(_HOUR, _JSON, min_size=1, max_size=3),
                   st.dictionaries(st.sampled_from(["8pm", "25:00"]), _JSON, min_size=1,
                                   max_size=1),
                   st.just([]), st.lists(_JSON, min_size=1, max_size=2))  # fmt: skip
_SIZE = st.sampled_from(["2", "4", "6", " 8", "2", "4", "x"])
_PEOPLE = st.one_of(st.dictionaries(_SIZE, _HOURS, max_size=3),
                    st.dictionaries(_SIZE, _HOURS, max_size=3), st.just([]),
                    st.lists(_JSON, min_size=1, max_size=1))  # fmt: skip
_DAY = st.one_of(st.fixed_dictionaries({"people": _PEOPLE}, optional={"hours": _JSON}),
                 st.fixed_dictionaries({"people": _PEOPLE}), st.fixed_dictionaries({}),
                 st.just([]), st.none(), st.lists(_JSON, min_size=1, max_size=1))  # fmt: skip
_DATE = st.sampled_from(["2026-12-01", "2026-12-02", "2026-11-30", "2026-12-02", "12/01/2026"])
_CALENDAR_BODY = st.one_of(
    st.fixed_dictionaries(
        {"resp": st.sampled_from([1, "1", " OK ", True, 0, "0", None]),
         "calendar": st.dictionaries(_DATE, _DAY, max_size=3)},
        optional={"error": _JSON},
    ),
    st.fixed_dictionaries({}, optional={"resp": st.sampled_from([1, 0]),
                                        "calendar": st.just([]) | st.lists(_JSON, max_size=1),
                                        "error": _JSON}),
    _JSON,
)  # fmt: skip


def _calendar_or_error(body: object, *, general_only: bool) -> object:
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(json=body)
        original = parsing.calendar_people
        if general_only:
            parsing.calendar_people = lambda _content: None  # type: ignore[assignment]
        try:
            return call(CM, "availability_calendar", cm_connection(), DAY, DAY + dt.timedelta(1))
        except Exception as exc:
            return type(exc), str(exc)
        finally:
            parsing.calendar_people = original  # type: ignore[assignment]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_CALENDAR_BODY)
@example(
    body={
        "resp": 1,
        "calendar": {
            "2026-12-01": AVAILABILITY["availability"],
            "2026-12-02": AVAILABILITY["availability"],
        },
    }
)
@example(
    body={
        "resp": "1",
        "calendar": {
            "2026-12-01": [],
            "2026-12-02": {"people": {"4": {"20:00": {"discount": "10"}}, "2": []}},
        },
    }
)
def test_the_calendar_reads_alike_with_and_without_its_fast_path(body: object) -> None:
    fast = _calendar_or_error(body, general_only=False)
    assert fast == _calendar_or_error(body, general_only=True)


def test_each_calendar_day_and_size_gets_a_list_of_its_own(mock: respx.MockRouter) -> None:
    # the sorted times of a set of hours are computed once and copied: a caller that
    # changes one list must not change another size, day or answer
    same = {"2": {"20:15": {}, "20:00": {}}, "4": {"20:00": {}, "20:15": {}}}
    mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(
        json={
            "resp": 1,
            "calendar": {"2026-12-01": {"people": same}, "2026-12-02": {"people": same}},
        }
    )
    week = (dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    first = call(CM, "availability_calendar", cm_connection(), *week)
    first[week[0]][2].append(dt.time(23, 0))
    assert first[week[0]][4] == first[week[1]][2] == [dt.time(20, 0), dt.time(20, 15)]
    again = call(CM, "availability_calendar", cm_connection(), *week)
    assert again[week[0]][2] == [dt.time(20, 0), dt.time(20, 15)]


def _nested_calendar(depth: int) -> bytes:
    """A usual calendar but for one hour's details: ``depth`` arrays one inside another."""
    details = b"[" * depth + b"]" * depth
    return (b'{"resp":1,"calendar":{"2026-12-01":{"people":{"2":{"20:00":' + details
            + b'},"4":{"20:30":{}}}}}}')  # fmt: skip


def test_a_deeply_nested_calendar_reads_as_the_general_path_reads_it(
    mock: respx.MockRouter,
) -> None:
    """msgspec gives up on nesting (a RecursionError, at a depth that depends on the caller's
    own stack) below the depth orjson reads: such an answer is the general path's."""
    route = mock.post(f"{CM_BASE}/reserv/availability_calendar_total")
    route.respond(content=_nested_calendar(1000))
    assert call(CM, "availability_calendar", cm_connection(), DAY, DAY) == {
        DAY: {2: [dt.time(20, 0)], 4: [dt.time(20, 30)]}
    }


@pytest.mark.parametrize("depth", [1200, 100_000])
def test_a_calendar_nested_beyond_any_parser_is_malformed_not_a_crash(
    mock: respx.MockRouter, depth: int
) -> None:
    """One venue's hostile answer is that connection's error: an uncaught RecursionError
    would end the whole sync (every venue's) in an internal error."""
    route = mock.post(f"{CM_BASE}/reserv/availability_calendar_total")
    route.respond(content=_nested_calendar(depth))
    with pytest.raises(PlatformMalformedResponse, match="not JSON"):
        call(CM, "availability_calendar", cm_connection(), DAY, DAY)


def test_the_times_cache_keeps_no_platform_answer_of_any_size(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caches of sorted times and of hours live as long as the process (a worker's):
    bounded in entries, each entry must be bounded too. A set of hours longer than a day's
    slots, or hours padded with blanks, are read but not kept (before: 1024 answers of a day
    at every 5 s kept about 700 MB for good)."""
    from prima_cli.platforms import parsing as common

    monkeypatch.setattr(parsing, "_SORTED_TIMES", {})
    monkeypatch.setattr(parsing, "_HOURS_SEEN", {})
    monkeypatch.setattr(common, "_KNOWN_HOURS", {})
    every_5_s = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                 for s in range(0, 60, 5)]  # fmt: skip
    padded = " " * 10_000 + "21:00"
    people = {"2": {hour: {} for hour in every_5_s}, "4": {padded: {}}, "6": {"20:00": {}}}
    mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(
        json={"resp": 1, "calendar": {"2026-12-01": {"people": people}}}
    )
    day = call(CM, "availability_calendar", cm_connection(), DAY, DAY)[DAY]
    assert len(day[2]) == len(every_5_s) and day[4] == [dt.time(21)]
    assert list(parsing._SORTED_TIMES) == [("20:00",)]  # the usual one only
    assert list(parsing._HOURS_SEEN) == [b'{"20:00":{}}']
    assert padded not in common._KNOWN_HOURS
    assert max(map(len, common._KNOWN_HOURS)) <= 8


def test_calendar_without_calendar_is_malformed(mock: respx.MockRouter) -> None:
    mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(json={"resp": 1})
    with pytest.raises(PlatformMalformedResponse):
        call(CM, "availability_calendar", cm_connection(), DAY, DAY)


@pytest.mark.parametrize("bad", ["8pm", "25:00", "", 7])
def test_calendar_with_a_bad_hour_is_malformed_and_names_it(
    mock: respx.MockRouter, bad: object
) -> None:
    # the good hours come first, so the fast path (known hours) has already been taken
    hours = {"20:00": {"discount": False}, "20:15": {"discount": False}}
    people = {"2": hours, "4": {"20:30": {}, str(bad): {}}} if bad != 7 else {"2": {7: {}}}
    mock.post(f"{CM_BASE}/reserv/availability_calendar_total").respond(
        json={"resp": 1, "calendar": {DAY.isoformat(): {"people": people, "hours": {}}}}
    )
    with pytest.raises(PlatformMalformedResponse) as caught:
        call(CM, "availability_calendar", cm_connection(), DAY, DAY)
    assert f"an hour {str(bad)!r} that is not HH:MM" in caught.value.message


@pytest.mark.parametrize("status", [200, 422])
def test_a_platform_message_is_one_bounded_line(mock: respx.MockRouter, status: int) -> None:
    """The platform's words go into errors, cron mail and the store (last_error, history):
    a message of megabytes was kept and printed whole every run, and a line break in it
    began a line of its own (a forged 'sync run: ok' under cron)."""
    words = "Hour\r\nsync run 9: ok; " + "x" * 1_000_000 + f" key {CM_KEY} tail"
    mock.post(CREATE_URL).respond(status, json={"resp": 0, "error": words})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    message = caught.value.platform_message or ""
    assert message.startswith("Hour sync run 9: ok; xxx")
    assert len(message) <= 510 and message.endswith("...")
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)
    assert len(str(caught.value)) < 600


def test_a_secret_at_the_cut_of_a_platform_message_is_masked_before_the_cut(
    mock: respx.MockRouter,
) -> None:
    words = "y" * (500 - len(CM_KEY) // 2) + CM_KEY  # the cut falls inside the key
    mock.post(CREATE_URL).respond(json={"resp": 0, "error": words})
    with pytest.raises(PlatformRejected) as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert CM_KEY[: len(CM_KEY) // 2] not in str(caught.value)


@pytest.mark.parametrize("reserv", ["ab\nFAKE: ok", "\x1b[2Jab", "a" * 101, "a b"])
def test_create_with_an_unusable_id_reserv_is_ambiguous(
    mock: respx.MockRouter, reserv: str
) -> None:
    """An id prima cannot print, type back (`bookings resolve --found`) or send is not an
    id: it was recorded as given, and a line break in it began a line of its own."""
    mock.post(CREATE_URL).respond(json={"resp": 1, "id_reserv": reserv, "status": "3"})
    with pytest.raises(PlatformAmbiguousOutcome, match="id_reserv") as caught:
        call(CM, "create_reservation", cm_connection(), booking())
    assert isinstance(caught.value.__cause__, PlatformMalformedResponse)


def test_create_with_a_numeric_id_reserv_keeps_it_as_text(mock: respx.MockRouter) -> None:
    mock.post(CREATE_URL).respond(json={"resp": 1, "id_reserv": 123456, "status": "3"})
    result = call(CM, "create_reservation", cm_connection(), booking())
    assert result.external_id == "123456"
