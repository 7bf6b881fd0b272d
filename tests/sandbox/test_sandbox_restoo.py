"""Restoo simulator: path families, Bearer + Account, bookingAt rules, statuses, cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import httpx
import pytest

from prima_cli.sandbox import Sandbox
from tests.sandbox.sandbox_support import (
    BARCELONA,
    BOGOTA,
    LISBOA,
    Restoo,
    booking,
    booking_at,
    future_day,
)

# --- auth and routing ----------------------------------------------------------------


def test_status_with_valid_credentials(restoo: Restoo) -> None:
    r = restoo.status(headers=restoo.headers())
    assert r.status_code == 200
    assert r.json() == {"status": "OK", "partner": "prima", "account": BARCELONA}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Account": BARCELONA}, 401),
        ({"Authorization": "Bearer rst_sbx_wrong", "Account": BARCELONA}, 401),
        ({"Authorization": "Basic abc", "Account": BARCELONA}, 401),
        ({"Authorization": "Bearer {key}"}, 403),
        ({"Authorization": "Bearer {key}", "Account": "someone-else"}, 403),
    ],
)
def test_status_refusals(restoo: Restoo, headers: dict[str, str], status: int) -> None:
    headers = {k: v.format(key=restoo.key) for k, v in headers.items()}
    r = restoo.status(headers=headers)
    assert r.status_code == status
    assert isinstance(r.json()["message"], str)


def test_bearer_scheme_is_case_insensitive(restoo: Restoo) -> None:
    headers = {"authorization": f"bearer {restoo.key}", "account": BARCELONA}
    assert restoo.status(headers=headers).status_code == 200


def test_path_families_are_distinct(restoo: Restoo, http: httpx.Client) -> None:
    h = restoo.headers()
    # bookings live under /api/..., status under /partners/...
    assert (
        http.post(f"{restoo.base}/partners/prima/v3/booking", json=booking(), headers=h).status_code
        == 404
    )
    assert http.get(f"{restoo.base}/api/prima/v3/status", headers=h).status_code == 404
    assert http.get(f"{restoo.base}/partners/other/v3/status", headers=h).status_code == 404
    wrong_method = http.get(f"{restoo.base}/api/prima/v3/booking", headers=h)
    assert wrong_method.status_code == 405


# --- availability ------------------------------------------------------------------


def test_availability_shape(restoo: Restoo) -> None:
    day = future_day()
    r = restoo.availability(booking_at(day, "20:00"), 4)
    assert r.status_code == 200
    slots = r.json()["availability"]
    assert len(slots) == 24
    assert slots[0] == {"bookingAt": booking_at(day, "13:00"), "pax": 4}
    assert slots[-1] == {"bookingAt": booking_at(day, "22:45"), "pax": 4}


def test_availability_in_the_account_zone(restoo: Restoo) -> None:
    day = future_day("America/Bogota")
    slots = restoo.availability(booking_at(day, "20:00", "America/Bogota"), 2, BOGOTA).json()
    assert slots["availability"][0]["bookingAt"] == f"{day.isoformat()}T13:00:00-05:00"


def test_availability_goes_down(restoo: Restoo) -> None:
    day = future_day()
    assert restoo.book(pax=8, bookingAt=booking_at(day, "20:00")).status_code == 201
    times = [
        s["bookingAt"]
        for s in restoo.availability(booking_at(day, "20:00"), 5).json()["availability"]
    ]
    assert booking_at(day, "20:00") not in times
    assert booking_at(day, "20:15") in times
    fours = [
        s["bookingAt"]
        for s in restoo.availability(booking_at(day, "20:00"), 4).json()["availability"]
    ]
    assert booking_at(day, "20:00") in fours


def test_availability_switched_off_is_404(sb: Sandbox, restoo: Restoo) -> None:
    sb.switches = sb.switches.with_specs(["restoo_availability=off"])
    assert restoo.availability(booking_at(future_day(), "20:00"), 2).status_code == 404


def test_availability_validates_query(restoo: Restoo) -> None:
    assert restoo.availability(f"{future_day()}T20:00:00", 2).status_code == 422
    assert restoo.availability(booking_at(future_day(), "20:00"), 0).status_code == 422


# --- create ------------------------------------------------------------------------


def test_create_returns_uuid_and_status(restoo: Restoo) -> None:
    at = booking_at(future_day(), "20:00")
    r = restoo.book(bookingAt=at)
    assert r.status_code == 201
    body = r.json()
    assert uuid.UUID(body["uuid"]).version == 4
    assert body == {
        "uuid": body["uuid"],
        "status": "CONFIRMED",
        "bookingExternalId": "Prima-1001",
        "bookingAt": at,
        "pax": 2,
    }


def test_status_follows_account_configuration(restoo: Restoo) -> None:
    day = future_day("Europe/Lisbon")
    r = restoo.book(LISBOA, bookingAt=booking_at(day, "20:00", "Europe/Lisbon"))
    assert r.json()["status"] == "REQUESTED"


def test_waitlist_account_takes_a_full_slot(sb: Sandbox, restoo: Restoo) -> None:
    day = future_day("America/Bogota")
    at = booking_at(day, "20:00", "America/Bogota")
    sb.state.set_slot_capacity("restoo", BOGOTA, day, "20:00", 2)
    assert restoo.book(BOGOTA, bookingAt=at).json()["status"] == "CONFIRMED"
    assert restoo.book(BOGOTA, bookingAt=at).json()["status"] == "PENDING_WAIT_LIST_BOOKING"
    sb.switches = sb.switches.with_specs(["restoo_waitlist_when_full=off"])
    assert restoo.book(BOGOTA, bookingAt=at).status_code == 422


def test_full_slot_is_422(sb: Sandbox, restoo: Restoo) -> None:
    sb.state.set_slot_capacity("restoo", BARCELONA, future_day(), "20:00", 0)
    r = restoo.book()
    assert r.status_code == 422
    assert r.json()["message"].startswith("No availability")


def _winter_day() -> dt.date:
    """A future January date: Madrid is +01:00 then."""
    return dt.date(dt.date.today().year + 1, 1, 20)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"bookingAt": "{day}T20:10:00+01:00"}, "quarter hour"),
        ({"bookingAt": "{day}T20:00:30+01:00"}, "seconds"),
        ({"bookingAt": "{day}T20:00:00"}, "offset"),
        ({"bookingAt": "{day}T20:00+01:00"}, "ISO 8601"),
        ({"bookingAt": "{day}T20:00:00+02:00"}, "does not match"),
        ({"bookingAt": "2020-01-20T20:00:00+01:00"}, "No availability"),
        ({"bookingAt": "{day}T18:00:00+01:00"}, "No availability"),
        ({"pax": 0}, "pax"),
        ({"pax": "2"}, "pax"),
        ({"pax": True}, "pax"),
        ({"bookingExternalId": ""}, "bookingExternalId"),
        ({"customer": None}, "customer"),
        (
            {"customer": {"name": "Jordi Puig", "email": "nope", "phoneE164": "+34612483907"}},
            "email",
        ),
        (
            {"customer": {"name": "Jordi Puig", "email": "j@gmail.com", "phoneE164": "612345678"}},
            "E.164",
        ),
        ({"customer": {"name": "", "email": "j@gmail.com", "phoneE164": "+34612483907"}}, "name"),
    ],
)
def test_create_refusals(restoo: Restoo, fields: dict, fragment: str) -> None:
    day = _winter_day().isoformat()
    if isinstance(fields.get("bookingAt"), str):
        fields = {**fields, "bookingAt": fields["bookingAt"].format(day=day)}
    else:
        fields = {"bookingAt": f"{day}T20:00:00+01:00", **fields}
    r = restoo.book(**fields)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["message"]


def test_missing_booking_at_is_422(restoo: Restoo, http: httpx.Client) -> None:
    body = booking()
    del body["bookingAt"]
    r = http.post(f"{restoo.base}/api/prima/v3/booking", json=body, headers=restoo.headers())
    assert r.status_code == 422


def test_invalid_json_is_400(restoo: Restoo, http: httpx.Client) -> None:
    r = http.post(f"{restoo.base}/api/prima/v3/booking", content=b"{", headers=restoo.headers())
    assert r.status_code == 400


@pytest.mark.parametrize(
    "customer",
    [
        {"name": "test", "email": "ana.lopez@gmail.com", "phoneE164": "+34612483907"},
        {"name": "Asdf Asdf", "email": "ana.lopez@gmail.com", "phoneE164": "+34612483907"},
        {"name": "Ana López", "email": "ana@example.com", "phoneE164": "+34612483907"},
        {"name": "Ana López", "email": "ana.lopez@gmail.com", "phoneE164": "+34111111111"},
    ],
)
def test_fake_customers_are_refused(sb: Sandbox, restoo: Restoo, customer: dict) -> None:
    r = restoo.book(customer=customer)
    assert r.status_code == 422
    assert "looks invalid" in r.json()["message"]
    sb.switches = sb.switches.with_specs(["restoo_reject_fake_customers=off"])
    assert restoo.book(customer=customer).status_code == 201


def test_foreign_offset_converted_when_switched_off(sb: Sandbox, restoo: Restoo) -> None:
    day = _winter_day()
    utc = f"{day.isoformat()}T19:00:00+00:00"  # 20:00 in Madrid in January
    assert restoo.book(bookingAt=utc).status_code == 422
    sb.switches = dataclasses.replace(sb.switches, restoo_require_local_offset=False)
    r = restoo.book(bookingAt=f"{day.isoformat()}T19:00:00Z")
    assert r.status_code == 201
    assert r.json()["bookingAt"] == f"{day.isoformat()}T20:00:00+01:00"
    (stored,) = sb.state.reservations("restoo")
    assert (stored.date, stored.time) == (day.isoformat(), "20:00")


def test_external_id_idempotence_switch(sb: Sandbox, restoo: Restoo) -> None:
    first = restoo.book().json()["uuid"]
    assert restoo.book().json()["uuid"] != first  # default: Restoo does not deduplicate
    sb.switches = sb.switches.with_specs(["restoo_external_id_idempotent=on"])
    again = restoo.book()
    assert again.status_code == 200
    assert again.json()["uuid"] == first


# --- cancel ------------------------------------------------------------------------


def test_cancel_and_cancel_again(sb: Sandbox, restoo: Restoo) -> None:
    booked = restoo.book().json()["uuid"]
    r = restoo.cancel(booked, {"cancelReason": "CHANGED_PLANS"})
    assert r.status_code == 200
    assert r.json() == {"uuid": booked, "status": "CANCELLED", "cancelReason": "CHANGED_PLANS"}
    stored = sb.state.get(booked)
    assert stored is not None and stored.status == "CANCELLED"
    assert stored.cancel_reason == "CHANGED_PLANS"
    again = restoo.cancel(booked, {"cancelReason": "OTHER"})
    assert again.status_code == 409
    assert "already cancelled" in again.json()["message"]


@pytest.mark.parametrize("body", [{"cancelReason": "NO_REASON"}, {"cancelReason": "other"}, {}])
def test_cancel_reason_is_validated(restoo: Restoo, body: dict) -> None:
    booked = restoo.book().json()["uuid"]
    r = restoo.cancel(booked, body)
    assert r.status_code == 422
    assert "BOOKED_ANOTHER_PLACE, CHANGED_PLANS, OTHER" in r.json()["message"]


def test_cancel_reason_optional_when_switched(sb: Sandbox, restoo: Restoo) -> None:
    sb.switches = sb.switches.with_specs(["restoo_cancel_reason_required=off"])
    booked = restoo.book().json()["uuid"]
    assert restoo.cancel(booked, {}).json()["cancelReason"] == "OTHER"


def test_cancel_unknown_or_other_account_is_404(restoo: Restoo) -> None:
    assert restoo.cancel(str(uuid.uuid4()), {"cancelReason": "OTHER"}).status_code == 404
    booked = restoo.book().json()["uuid"]
    assert restoo.cancel(booked, {"cancelReason": "OTHER"}, account=LISBOA).status_code == 404
