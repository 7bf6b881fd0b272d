"""Two processes placing one booking at once: a create retried while the first run is still
between platforms. Only one of them may reach a platform; the other stops (exit 75)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import restoo_settings
from tests.reliability.support import (
    assert_nothing_doubled,
    create_args,
    json_error,
    no_traceback,
)


@pytest.mark.slow
def test_a_create_retried_between_platforms_is_placed_once(madrid: CLI, sandbox: Sandbox) -> None:
    cm = sandbox.credentials().covermanager
    madrid.ok("platforms", "add", "madrid", "covermanager", "--set",
              "restaurant_id=prima-sbx-madrid", "--set", f"api_key=literal:{cm.api_key}",
              "--set", f"base_url={cm.base_url}")  # fmt: skip
    madrid.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    args = create_args("madrid", "20:00", "--reference", "order-42", "--json")
    # the first run: CoverManager's availability fails (its whole retry budget), then it
    # stalls on Restoo's availability, with the booking recorded as not placed yet
    sandbox.inject("503:covermanager:reserv/availability:times=4")
    hang = sandbox.inject("hang:restoo:availability:seconds=6:times=1")
    first = subprocess.Popen([*prima_executable(), *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while hang in sandbox.faults and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hang not in sandbox.faults, "the first run never reached Restoo"
    # the retry, while the first run waits: CoverManager answers now, so it places there
    retry = madrid(*args)
    out, err = first.communicate(timeout=120)
    no_traceback(out, err, retry.stdout, retry.stderr)
    results = {first.returncode: (out, err), retry.exit_code: (retry.stdout, retry.stderr)}
    assert sorted(results) == [0, 75], results
    loser = json_error(results[75][1])
    assert loser["type"] == "try_again_later"
    assert "is being placed by another prima process" in loser["message"]
    placed = json.loads(results[0][0])
    assert placed["status"] == "confirmed"
    held = [r for r in sandbox.state.reservations() if r.active]
    assert len(held) == 1, held
    shown = madrid.ok("bookings", "show", "order-42", "--json").json()
    assert [a["state"] for a in shown["attempts"]].count("confirmed") == 1
    assert shown["external_id"] == held[0].id
    assert_nothing_doubled(madrid, sandbox)


def test_a_stale_claim_is_refused_on_every_backend(any_db_url: str) -> None:
    """The compare-and-set under it: of two writers that read the same version, the second
    is refused, whatever the database."""
    import datetime as dt

    from prima_cli.core.booking_state import Lost, claim
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.models import Venue
    from prima_cli.store.store import Store

    CLI(any_db_url).ok("db", "migrate")
    store = Store(any_db_url)
    with store.session() as session:
        venue = Venue(name="Madrid", slug="madrid", timezone="Europe/Madrid", country="ES")
        session.add(venue)
        session.flush()
        assert venue.id is not None
        booking = Booking(reference="PRM-1", fingerprint="f", venue_id=venue.id,
                          local_date=dt.date(2026, 12, 1), local_time=dt.time(20, 0),
                          timezone="Europe/Madrid",
                          starts_at=dt.datetime(2026, 12, 1, 19, tzinfo=dt.UTC), party_size=2,
                          first_name="A", last_name="B", email="a@b.es",
                          phone_e164="+34600111222", status="pending")  # fmt: skip
        session.add(booking)
        session.flush()
        booking_id = booking.id
        assert booking_id is not None and booking.version == 0
    with store.session() as session:  # the first writer
        assert claim(session, booking_id, 0) == 1
    with pytest.raises(Lost), store.session() as session:  # read 0 too: refused
        claim(session, booking_id, 0)
    with store.session() as session:
        assert claim(session, booking_id, 1) == 2
        assert session.get(Booking, booking_id).version == 2  # type: ignore[union-attr]
    store.dispose()
