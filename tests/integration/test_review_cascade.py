"""Review: the cascade of a cancel onto a duplicate's attempt is a transition of that
booking too: it must bump its version and leave an audit event."""

from __future__ import annotations

import respx
from httpx import Response

from tests.conftest import CLI
from tests.integration.test_bookings import day

BASE = "https://cm.test/api"
SLOT = {"discount": False}


def test_the_cascade_is_audited_on_the_duplicate(venues: CLI) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", "--set", "restaurant_id=casa",
              "--set", "api_key=literal:cm_test_key_0123456789", "--set", f"base_url={BASE}",
              "--no-test")  # fmt: skip
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{BASE}/reserv/availability").mock(return_value=Response(200, json={
            "resp": 1,
            "availability": {"people": {"2": {"20:00": SLOT}}, "hours": {"20:00": {"2": SLOT}}},
        }))  # fmt: skip
        mock.post(f"{BASE}/reserv/reserv").mock(
            return_value=Response(200, json={"resp": 1, "id_reserv": "DUP123", "status": "3"})
        )
        refs = []
        for first, phone in (("Lucía", "+34612483907"), ("Marta", "+34622483917")):
            result = venues.ok("bookings", "create", "madrid", "--date", day(), "--time",
                               "20:00", "--party", "2", "--first-name", first, "--last-name",
                               "Ruiz", "--email", f"{first.lower()}@gmail.com", "--phone", phone,
                               "--json")  # fmt: skip
            refs.append(result.json()["reference"])
    venues.ok("bookings", "cancel", refs[1], "--local")
    before = venues.ok("bookings", "show", refs[1], "--json").json()
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{BASE}/reserv/cancel_client").mock(
            return_value=Response(200, json={"resp": 1, "status": "-1"})
        )
        venues.ok("bookings", "cancel", refs[0], "--json")
    after = venues.ok("bookings", "show", refs[1], "--json").json()
    assert [a["state"] for a in before["attempts"]] == ["confirmed"]
    assert [a["state"] for a in after["attempts"]] == ["cancelled"]  # the cascade happened
    # ... but the duplicate's audit trail does not say so, and its version did not move
    assert len(after["events"]) > len(before["events"]), (
        "attempt 1 of the duplicate went confirmed -> cancelled with no event: "
        f"{[e['action'] for e in after['events']]}"
    )
