"""CoverManager simulator: envelope, key placement, exact shapes, refusals."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig, Switches
from tests.sandbox.sandbox_support import CM, MADRID, READ_ONLY, client, future_day, reservation

GRID = [f"{h:02d}:{m:02d}" for h in (13, 14, 15, 20, 21, 22) for m in (0, 15, 30, 45)]


# --- auth and routing ----------------------------------------------------------------


def test_restaurant_list_shape(cm: CM) -> None:
    r = cm.get("restaurant/list")
    assert r.status_code == 200
    body = r.json()
    assert body["resp"] == 1
    slugs = [row["restaurant"] for row in body["restaurants"]]
    assert slugs == ["prima-sbx-madrid", "prima-sbx-cdmx", "prima-sbx-london", READ_ONLY]
    madrid = body["restaurants"][0]
    assert madrid["timezone"] == "Europe/Madrid"
    assert madrid["name"] == "Casa Prima Madrid"
    for field in ("city", "address", "latitude", "longitude", "country", "currency", "perm"):
        assert isinstance(madrid[field], str)
    assert {row["timezone"] for row in body["restaurants"]} >= {
        "Europe/Madrid",
        "America/Mexico_City",
        "Europe/London",
    }


def test_restaurant_list_trailing_slash_and_city(cm: CM, http: httpx.Client) -> None:
    bare = http.get(f"{cm.base}/restaurant/list/{cm.key}")
    assert bare.json()["resp"] == 1
    valencia = cm.get("restaurant/list", "Valencia", "")
    assert [row["restaurant"] for row in valencia.json()["restaurants"]] == [READ_ONLY]


def test_get_with_key_only_in_header_is_refused(cm: CM, http: httpx.Client) -> None:
    r = http.get(f"{cm.base}/restaurant/list/", headers={"apikey": cm.key})
    assert r.status_code == 401
    assert r.json()["resp"] == 0
    assert "path" in r.json()["error"]


def test_post_with_key_only_in_path_is_refused(cm: CM, http: httpx.Client) -> None:
    body = {"restaurant": MADRID, "date": future_day().isoformat()}
    r = http.post(f"{cm.base}/reserv/availability/{cm.key}", json=body)
    assert r.status_code == 401
    assert r.json()["resp"] == 0
    assert r.json()["error"] == "API key must be sent in the apikey header for POST requests"


@pytest.mark.parametrize("header", ["apikey", "ApiKey", "APIKEY", "apiKey"])
def test_post_header_name_is_case_insensitive(cm: CM, http: httpx.Client, header: str) -> None:
    body = {"restaurant": MADRID, "date": future_day().isoformat()}
    r = http.post(f"{cm.base}/reserv/availability", json=body, headers={header: cm.key})
    assert r.json()["resp"] == 1


def test_missing_and_unknown_keys(cm: CM, http: httpx.Client) -> None:
    assert http.get(f"{cm.base}/restaurant/list").status_code == 401
    unknown = http.get(f"{cm.base}/restaurant/list/cm_sbx_000000000000000000000000/")
    assert unknown.status_code == 403
    assert unknown.json() == {"resp": 0, "error": "Invalid API key"}
    post = http.post(f"{cm.base}/reserv/availability", json={}, headers={"apikey": "nope"})
    assert post.status_code == 403


def test_auth_errors_as_envelope_when_switched_off(sb: Sandbox, cm: CM, http: httpx.Client) -> None:
    sb.switches = dataclasses.replace(sb.switches, cm_auth_http_errors=False)
    r = http.get(f"{cm.base}/restaurant/list/wrong/")
    assert r.status_code == 200
    assert r.json() == {"resp": 0, "error": "Invalid API key"}


def test_unknown_path_and_wrong_method(cm: CM, http: httpx.Client) -> None:
    assert http.get(f"{cm.base}/reserv/nothing/{cm.key}").status_code == 404
    assert http.get(f"{cm.base}/").status_code == 404
    wrong = http.get(f"{cm.base}/reserv/reserv/{cm.key}")
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"


def test_restaurant_slug_is_flat(cm: CM) -> None:
    body = cm.get("restaurant/slug", MADRID).json()
    assert body["resp"] == 1
    assert body["restaurant"] == MADRID
    assert body["city"] == "Madrid"


# --- availability ------------------------------------------------------------------


def test_availability_shape(cm: CM) -> None:
    r = cm.post("reserv/availability", {"restaurant": MADRID, "date": future_day().isoformat()})
    body = r.json()
    assert body["resp"] == 1
    people, hours = body["availability"]["people"], body["availability"]["hours"]
    assert list(people) == [str(n) for n in range(1, 9)]
    assert list(hours) == GRID
    assert people["2"]["20:15"] == {"discount": False}
    assert hours["20:15"]["2"] == {"discount": False}
    # the two maps mirror each other exactly
    mirrored = {(p, h) for p, by_hour in people.items() for h in by_hour}
    assert mirrored == {(p, h) for h, by_people in hours.items() for p in by_people}


def test_availability_goes_down_and_a_full_slot_disappears(cm: CM) -> None:
    day = future_day().isoformat()

    def avail() -> dict:
        return cm.post("reserv/availability", {"restaurant": MADRID, "date": day}).json()[
            "availability"
        ]

    assert cm.book(date=day, hour="20:00", people="8").json()["resp"] == 1
    after = avail()
    assert list(after["hours"]["20:00"]) == ["1", "2", "3", "4"]  # 12 covers - 8
    assert "20:00" not in after["people"]["5"]
    assert cm.book(date=day, hour="20:00", people=4).json()["resp"] == 1
    full = avail()
    assert "20:00" not in full["hours"]
    assert all("20:00" not in by_hour for by_hour in full["people"].values())
    assert "20:15" in full["hours"]
    refused = cm.book(date=day, hour="20:00", people="1")
    assert refused.json() == {"resp": 0, "error": "Hour Not Available"}


def test_availability_in_the_past_is_empty(sb: Sandbox, cm: CM) -> None:
    body = {"restaurant": MADRID, "date": "2020-01-01"}
    assert cm.post("reserv/availability", body).json() == {
        "resp": 1,
        "availability": {"people": {}, "hours": {}},
    }
    sb.switches = dataclasses.replace(
        sb.switches, cm_empty_maps_as_lists=True, cm_availability_resp=False
    )
    assert cm.post("reserv/availability", body).json() == {
        "availability": {"people": [], "hours": []}
    }


def test_availability_number_people_filter_switch(sb: Sandbox, cm: CM) -> None:
    body = {"restaurant": MADRID, "date": future_day().isoformat(), "number_people": "4"}
    assert len(cm.post("reserv/availability", body).json()["availability"]["people"]) == 8
    sb.switches = dataclasses.replace(sb.switches, cm_availability_filter_people=True)
    assert list(cm.post("reserv/availability", body).json()["availability"]["people"]) == ["4"]


def test_availability_missing_fields_and_unknown_restaurant(cm: CM) -> None:
    assert cm.post("reserv/availability", {"restaurant": MADRID}).json() == {
        "resp": 0,
        "error": "Missing parameters: date",
    }
    r = cm.post("reserv/availability", {"restaurant": "nope", "date": "2030-01-01"})
    assert r.json() == {"resp": 0, "error": "Restaurant not found"}


def test_calendar_total(cm: CM) -> None:
    start = future_day()
    end = future_day(days=32)
    body = {"restaurant": MADRID, "dateStart": start.isoformat(), "dateEnd": end.isoformat()}
    cal = cm.post("reserv/availability_calendar_total", body).json()
    assert cal["resp"] == 1
    middle = future_day(days=31)
    assert list(cal["calendar"]) == [start.isoformat(), middle.isoformat(), end.isoformat()]
    day = cal["calendar"][start.isoformat()]
    assert set(day) == {"people", "hours"}
    assert list(day["hours"]) == GRID
    # snake_case names are not the calendar's: ignored, defaults apply (today + 30 days)
    snake = {"restaurant": MADRID, "date_start": start.isoformat(), "date_end": end.isoformat()}
    assert len(cm.post("reserv/availability_calendar_total", snake).json()["calendar"]) == 31


# --- create ------------------------------------------------------------------------


def test_create_returns_token_and_status(cm: CM) -> None:
    body = cm.book().json()
    assert set(body) == {"resp", "id_reserv", "status"}
    assert body["resp"] == 1 and body["status"] == "3"
    assert re.fullmatch(r"[A-Za-z0-9]{6}", body["id_reserv"])
    pending = cm.book(pending="1", hour="20:30").json()
    assert pending["status"] == "1"


@pytest.mark.parametrize(
    "missing", ["restaurant", "date", "hour", "people", "first_name", "last_name"]
)
def test_create_requires_fields(cm: CM, missing: str) -> None:
    body = reservation()
    del body[missing]
    r = cm.post("reserv/reserv", body)
    assert r.status_code == 200
    assert r.json() == {"resp": 0, "error": f"Missing parameters: {missing}"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"int_call_code": "+34"}, "Invalid int_call_code: digits only, without +"),
        ({"phone": "612 345 678"}, "Invalid phone: digits only"),
        ({"phone": "+34612345678"}, "Invalid phone: digits only"),
        ({"hour": "20:10"}, "Hour Not Available"),
        ({"hour": "18:00"}, "Hour Not Available"),
        ({"date": "2020-01-01"}, "Hour Not Available"),
        ({"people": "9"}, "Hour Not Available"),
        ({"people": "0"}, "Invalid people"),
        ({"hour": "8pm"}, "Invalid hour"),
        ({"date": "01/02/2030"}, "Invalid date"),
        ({"restaurant": READ_ONLY}, "Action not permited"),
        ({"restaurant": "unknown-place"}, "Restaurant not found"),
    ],
)
def test_create_refusals(cm: CM, fields: dict, error: str) -> None:
    r = cm.book(**fields)
    assert r.status_code == 200
    assert r.json() == {"resp": 0, "error": error}


def test_lenient_phone_when_switched_off(sb: Sandbox, cm: CM) -> None:
    sb.switches = sb.switches.with_specs(["cm_strict_phone=off"])
    assert cm.book(int_call_code="+34").json()["resp"] == 1


def test_byte_identical_repeat_returns_the_same_id(sb: Sandbox, cm: CM) -> None:
    first = cm.book().json()
    again = cm.book().json()
    assert again == first
    assert len(sb.state.reservations("covermanager")) == 1
    other = cm.book(first_name="Lucia").json()  # one byte differs: a new booking
    assert other["id_reserv"] != first["id_reserv"]


def test_repeat_books_twice_when_quirk_is_off() -> None:
    config = SandboxConfig(switches=Switches(cm_duplicate_same_id=False))
    with Sandbox(config) as sb, client() as http:
        cm = CM(sb, http)
        assert cm.book().json()["id_reserv"] != cm.book().json()["id_reserv"]


def test_force_ignores_availability_and_alias_is_switched(sb: Sandbox, cm: CM) -> None:
    day = future_day().isoformat()
    sb.state.set_slot_capacity("covermanager", MADRID, future_day(), "21:00", 0)
    assert cm.book(date=day, hour="21:00").json()["error"] == "Hour Not Available"
    forced = cm.post("reserv/reserv_force", reservation(date=day, hour="21:00", tables="T4"))
    assert forced.json()["resp"] == 1
    assert cm.post("reserv/force", reservation(hour="21:15")).status_code == 404
    sb.switches = sb.switches.with_specs(["cm_force_alias=on"])
    assert cm.post("reserv/force", reservation(hour="21:15")).json()["resp"] == 1


# --- cancel and list -----------------------------------------------------------------


def test_cancel_sets_status_minus_five(cm: CM) -> None:
    day = future_day().isoformat()
    booked = cm.book(date=day, people="8").json()["id_reserv"]
    r = cm.post("reserv/cancel_client", {"id_reserv": booked})
    assert r.json() == {"resp": 1, "message": "Reservation cancelled"}
    rows = cm.get("restaurant/get_reservs", MADRID, day, day).json()["reservs"]
    assert [(row["id_reserv"], row["status"]) for row in rows] == [(booked, "-5")]
    again = cm.post("reserv/cancel_client", {"id_reserv": booked}).json()
    assert again == {"resp": 0, "error": "Reservation already cancelled"}
    unknown = cm.post("reserv/cancel_client", {"id_reserv": "zzzzzz"}).json()
    assert unknown == {"resp": 0, "error": "Reservation not found"}
    # the covers are free again
    avail = cm.post("reserv/availability", {"restaurant": MADRID, "date": day}).json()
    assert "20:00" in avail["availability"]["people"]["8"]


def test_cancel_without_right(sb: Sandbox, cm: CM) -> None:
    venue = sb.state.venue("covermanager", READ_ONLY)
    assert venue is not None
    res = sb.state.book(venue, future_day(), "20:00", 2, status="3", first_name="Marta")
    assert cm.post("reserv/cancel_client", {"id_reserv": res.id}).json() == {
        "resp": 0,
        "error": "Action not permited",
    }


def test_get_reservs_record_shape(cm: CM) -> None:
    day = future_day().isoformat()
    booked = cm.book(date=day, hour="13:30", people=3, commentary="Window", ref="P-9").json()
    r = cm.get("restaurant/get_reservs", MADRID, day, day, "0", "0")
    body = r.json()
    assert body["resp"] == 1
    (row,) = body["reservs"]
    assert row["id_reserv"] == booked["id_reserv"]
    assert row["status"] == "3" and row["for"] == "3"
    assert (row["date"], row["time"], row["meal_shift"]) == (day, "13:30", "Comida")
    assert (row["first_name"], row["last_name"]) == ("Lucía", "Martín Ortega")
    assert row["user_name"] == "Lucía Martín Ortega"
    assert (row["user_phone"], row["int_call_code"]) == ("612345678", "34")
    assert row["email"] == "lucia.martin@gmail.com"
    assert row["commentary_client"] == "Window" and row["ref"] == "P-9"
    assert row["provenance"] == "terceros"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date_add"])
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", row["time_add"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", row["last_update_status"])
    for field in ("id_client", "id_restaurant", "status", "for"):
        assert isinstance(row[field], str)


def test_get_reservs_paging_and_dates() -> None:
    with Sandbox(SandboxConfig(cm_page_size=2)) as sb, client() as http:
        cm = CM(sb, http)
        day, next_day = future_day().isoformat(), future_day(days=31).isoformat()
        for hour in ("20:00", "20:15", "20:30"):
            assert cm.book(date=day, hour=hour).json()["resp"] == 1
        assert cm.book(date=next_day).json()["resp"] == 1

        def page(n: str, end: str = day) -> list[str]:
            rows = cm.get("restaurant/get_reservs", MADRID, day, end, n).json()["reservs"]
            return [row["time"] for row in rows]

        assert page("0") == ["20:00", "20:15"]
        assert page("1") == ["20:30"]
        assert page("2") == []
        assert len(page("1", next_day)) == 2
        bare = cm.get("restaurant/get_reservs", MADRID, day, day, "").json()["reservs"]
        assert len(bare) == 2  # trailing slash: page 0


def test_rate_limit_switch() -> None:
    config = SandboxConfig(switches=Switches(cm_rate_limit=True), cm_rate_limit_per_minute=3)
    with Sandbox(config) as sb, client() as http:
        cm = CM(sb, http)
        assert [cm.get("restaurant/list").status_code for _ in range(3)] == [200, 200, 200]
        limited = cm.get("restaurant/list")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json() == {"resp": 0, "error": "Too Many Requests"}
