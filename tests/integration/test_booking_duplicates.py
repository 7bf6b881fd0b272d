"""CoverManager may answer a create with an id_reserv another booking already holds: it is
recorded, flagged for the operator, and never cancelled blindly."""

from __future__ import annotations

import respx
from httpx import Response

from tests.conftest import CLI
from tests.integration.test_bookings import day

BASE = "https://cm.test/api"
SLOT = {"discount": False}


def test_an_id_held_by_another_booking_is_flagged(venues: CLI) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", "--set", "restaurant_id=casa",
              "--set", "api_key=literal:cm_test_key_0123456789", "--set", f"base_url={BASE}",
              "--no-test")  # fmt: skip
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{BASE}/reserv/availability").mock(return_value=Response(200, json={
            "resp": 1,
            "availability": {"people": {"2": {"20:00": SLOT}}, "hours": {"20:00": {"2": SLOT}}},
        }))  # fmt: skip
        create = mock.post(f"{BASE}/reserv/reserv").mock(
            return_value=Response(200, json={"resp": 1, "id_reserv": "DUP123", "status": "3"})
        )
        refs = []
        for first, phone in (("Lucía", "+34612483907"), ("Marta", "+34622483917")):
            result = venues.ok("bookings", "create", "madrid", "--date", day(), "--time",
                               "20:00", "--party", "2", "--first-name", first, "--last-name",
                               "Ruiz", "--email", f"{first.lower()}@gmail.com", "--phone", phone,
                               "--json")  # fmt: skip
            refs.append(result.json()["reference"])
        assert create.call_count == 2
    first, second = (venues.ok("bookings", "show", r, "--json").json() for r in refs)
    assert first["attempts"][0]["attention"] is None
    assert first["external_id"] == second["external_id"] == "DUP123"
    assert refs[0] in second["attempts"][0]["attention"]
    assert second["needs_attention"] is True
    listed = venues.ok("bookings", "list").stdout
    assert "confirmed (!)" in listed
    refused = venues("bookings", "cancel", refs[1])
    assert refused.exit_code == 4
    assert "also held by" in refused.stderr and refs[0] in refused.stderr
    # the duplicate is dropped here, without a call: the reservation stays with the first
    dropped = venues("bookings", "cancel", refs[1], "--local", "--json")
    assert dropped.exit_code == 0, dropped.stderr
    assert dropped.json()["status"] == "cancelled"
    assert "dropped locally" in dropped.json()["status_detail"]
    # a local drop of the last holder would leave the table booked: refused, nothing changed
    before = venues.ok("bookings", "show", refs[0], "--json").json()
    kept = venues("bookings", "cancel", refs[0], "--local")
    assert kept.exit_code == 4 and "would leave reservation DUP123" in kept.stderr
    assert venues.ok("bookings", "show", refs[0], "--json").json() == before
    # the last live holder's cancel goes to the platform and cascades to the dropped one
    with respx.mock(assert_all_called=True) as mock:
        cancel = mock.post(f"{BASE}/reserv/cancel_client").mock(
            return_value=Response(200, json={"resp": 1, "status": "-1"})
        )
        done = venues("bookings", "cancel", refs[0], "--json")
        assert done.exit_code == 0, done.stderr
        assert cancel.call_count == 1
    dup = venues.ok("bookings", "show", refs[1], "--json").json()
    assert [a["state"] for a in dup["attempts"]] == ["cancelled"]
