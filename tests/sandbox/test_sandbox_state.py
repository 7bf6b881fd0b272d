"""Seeding, the shared capacity model, platform-side actions and the state file."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig, Switches
from tests.sandbox.sandbox_support import CM, MADRID, READ_ONLY, Restoo, client, future_day


def test_seeding_is_deterministic() -> None:
    a, b, c = (Sandbox(SandboxConfig(seed=s)).credentials() for s in (0, 0, 7))
    assert a == b
    assert a.covermanager.api_key != c.covermanager.api_key
    assert a.restoo.api_key != c.restoo.api_key
    assert re.fullmatch(r"cm_sbx_[0-9a-f]{24}", a.covermanager.api_key)
    assert re.fullmatch(r"rst_sbx_[0-9a-f]{24}", a.restoo.api_key)


def test_credentials_shape(sb: Sandbox) -> None:
    creds = sb.credentials()
    cm = creds.covermanager
    assert cm.base_url == sb.base_url + "/covermanager/api"
    assert len({r.timezone for r in cm.restaurants}) == 3
    (limited,) = [r for r in cm.restaurants if not r.can_book]
    assert limited.slug == READ_ONLY and not limited.can_cancel
    restoo = creds.restoo
    assert restoo.base_url == sb.base_url + "/restoo"
    assert restoo.partner == "prima"
    assert len({a.timezone for a in restoo.accounts}) == 3
    assert {a.booking_status for a in restoo.accounts} == {"CONFIRMED", "REQUESTED"}
    as_dict = creds.to_dict()
    assert as_dict["restoo"]["accounts"][0]["account"] == "prima-sbx-barcelona"
    json.dumps(as_dict)


def test_platform_side_actions_show_in_get_reservs(sb: Sandbox, cm: CM) -> None:
    day = future_day().isoformat()
    ids = [cm.book(hour=h).json()["id_reserv"] for h in ("20:00", "20:15", "20:30")]
    sb.state.cancel_by_guest(ids[0])
    sb.state.mark_no_show(ids[1])
    rows = cm.get("restaurant/get_reservs", MADRID, day, day).json()["reservs"]
    assert [r["status"] for r in rows] == ["-2", "-3", "3"]
    assert sb.state.confirm(ids[2]).status == "3"


def test_restoo_platform_side_actions(sb: Sandbox, restoo: Restoo) -> None:
    booked = restoo.book().json()["uuid"]
    assert sb.state.mark_no_show(booked).status == "NO_SHOW"
    assert restoo.cancel(booked, {"cancelReason": "OTHER"}).status_code == 409


def test_fixed_clock_hides_past_slots_today() -> None:
    now = dt.datetime(2030, 3, 12, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with Sandbox(SandboxConfig(clock=lambda: now)) as sb, client() as http:
        cm = CM(sb, http)
        body = {"restaurant": MADRID, "date": "2030-03-12"}
        hours = list(cm.post("reserv/availability", body).json()["availability"]["hours"])
        assert hours[0] == "14:15"
        assert cm.book(date="2030-03-12", hour="14:00").json()["error"] == "Hour Not Available"
        assert cm.book(date="2030-03-12", hour="14:15").json()["resp"] == 1
        tomorrow = cm.post("reserv/availability", {**body, "date": "2030-03-13"}).json()
        assert next(iter(tomorrow["availability"]["hours"])) == "13:00"
        beyond = cm.post("reserv/availability", {**body, "date": "2031-03-13"}).json()
        assert beyond["availability"]["hours"] == {}  # past the 180-day window


def test_concurrent_bookings_never_overbook() -> None:
    config = SandboxConfig(switches=Switches(cm_duplicate_same_id=False))
    with Sandbox(config) as sb:
        results: list[int] = []

        def book(n: int) -> None:
            with client() as http:
                body = CM(sb, http).book(first_name=f"Guest{n}", people="1").json()
                results.append(body["resp"])

        threads = [threading.Thread(target=book, args=(n,)) for n in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [0] * 8 + [1] * 12  # slot capacity is 12 covers
        assert len(sb.state.reservations()) == 12


def test_state_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "sandbox.json"
    config = SandboxConfig(state_path=path)
    day = future_day().isoformat()
    with Sandbox(config) as sb, client() as http:
        first = CM(sb, http).book(people="8").json()["id_reserv"]
        booked = Restoo(sb, http).book().json()["uuid"]
    data = json.loads(path.read_text())
    assert data["format"] == "prima-sandbox-state" and data["seed"] == 0
    assert {r["id"] for r in data["reservations"]} == {first, booked}

    with Sandbox(config) as sb, client() as http:
        cm = CM(sb, http)
        rows = cm.get("restaurant/get_reservs", MADRID, day, day).json()["reservs"]
        assert [r["id_reserv"] for r in rows] == [first]
        avail = cm.post("reserv/availability", {"restaurant": MADRID, "date": day}).json()
        assert "20:00" not in avail["availability"]["people"]["5"]  # still holds its covers
        assert cm.post("reserv/cancel_client", {"id_reserv": first}).json()["resp"] == 1
        second = cm.book(first_name="Otra").json()["id_reserv"]
        assert second != first
    assert {r["id"]: r["status"] for r in json.loads(path.read_text())["reservations"]}[
        first
    ] == "-5"
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temp leftovers


def test_state_file_with_another_seed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    sb = Sandbox(SandboxConfig(state_path=path))
    venue = sb.state.venue("covermanager", MADRID)
    assert venue is not None
    sb.state.book(venue, future_day(), "20:00", 2, status="3", first_name="Ana")
    with pytest.raises(ValueError, match="seed 0, not 1"):
        Sandbox(SandboxConfig(seed=1, state_path=path))
    path.write_text("{}")
    with pytest.raises(ValueError, match="not a prima sandbox state file"):
        Sandbox(SandboxConfig(state_path=path))


def test_switch_specs() -> None:
    switches = Switches().with_specs(["cm_force_alias=on", "restoo_availability=off"])
    assert switches.cm_force_alias and not switches.restoo_availability
    with pytest.raises(ValueError, match="unknown switch 'nope'"):
        Switches().with_specs(["nope=on"])
    with pytest.raises(ValueError, match="cm_force_alias=on"):
        Switches().with_specs(["cm_force_alias=maybe"])
    described = {name: default for name, default, _ in Switches.describe()}
    assert described["cm_duplicate_same_id"] is True
    assert described["cm_force_alias"] is False


def test_free_covers_cache_follows_every_change_and_the_clock() -> None:
    """Free covers are cached per minute; a booking, a cancellation or a capacity change
    must show at once, and a slot must disappear the minute it starts."""
    now = [dt.datetime(2030, 3, 12, 13, 59, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))]
    with Sandbox(SandboxConfig(clock=lambda: now[0])) as sb, client() as http:
        cm = CM(sb, http)
        venue = sb.state.venue("covermanager", MADRID)
        assert venue is not None
        day = dt.date(2030, 3, 12)
        before = sb.state.free_covers(venue, day)
        assert before["14:00"] == venue.slot_capacity
        booked = cm.book(date="2030-03-12", hour="14:00", people="4").json()["id_reserv"]
        assert sb.state.free_covers(venue, day)["14:00"] == venue.slot_capacity - 4
        sb.state.cancel_by_guest(booked)
        assert sb.state.free_covers(venue, day)["14:00"] == venue.slot_capacity
        sb.state.set_slot_capacity("covermanager", MADRID, day, "14:15", 0)
        assert "14:15" not in sb.state.free_covers(venue, day)
        sb.state.free_covers(venue, day)["14:30"] = 0  # a caller's copy, not the cache
        assert sb.state.free_covers(venue, day)["14:30"] == venue.slot_capacity
        now[0] += dt.timedelta(seconds=30)  # 14:00:00 local: that slot has started
        assert "14:00" not in sb.state.free_covers(venue, day)
