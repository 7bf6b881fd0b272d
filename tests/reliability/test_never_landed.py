"""A booking proved never to have landed is placed again by the next sync (the outbox), and
what the operator reads says so.

Found by the review: after `create` (exit 8: "do not create it again") and `reconcile`
("not_found: ... the request never landed", exit 0), the booking was listed `rejected`; an
operator who took that at its word booked the guest again, and the next quiet cron sync
placed the first booking too: two tables for one guest.
"""

from __future__ import annotations

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.conftest import cm_settings, restoo_settings
from tests.reliability.support import create_args

#: what the operator must read wherever the booking's fate is shown
SAYS_THE_SYNC_PLACES_IT = "the next `prima platforms sync` places it"


def _assert_tells_what_comes(text: str, reference: str) -> None:
    assert SAYS_THE_SYNC_PLACES_IT in text, text
    assert "do not create it again" in text, text
    assert f"prima bookings cancel {reference}" in text, text  # how to drop it instead


def test_reconcile_says_a_booking_that_never_landed_is_placed_by_the_next_sync(
    madrid: CLI, sandbox: Sandbox
) -> None:
    madrid.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    sandbox.inject("500:covermanager:reserv/reserv:times=1")  # refused before it booked
    lost = madrid(*create_args("madrid", "20:00", "--reference", "nl-1", "--json"))
    assert lost.exit_code == 8, lost.stderr
    reference = lost.error()["booking"]

    report = madrid("bookings", "reconcile", "--json")
    (item,) = report.json()["items"]
    assert item["outcome"] == "not_found"
    _assert_tells_what_comes(item["detail"], reference)
    shown = madrid.ok("bookings", "show", "nl-1", "--json").json()
    _assert_tells_what_comes(shown["status_detail"], reference)
    listed = madrid.ok("bookings", "list")  # piped: the detail is not a column, the status is
    assert reference in listed.stdout
    assert sandbox.state.reservations() == []

    # and so it is: the sync places it, once
    madrid.ok("platforms", "sync", "--days", "1", "--quiet")
    (held,) = sandbox.state.reservations()
    assert held.reference == reference


@pytest.mark.parametrize("note", [[], ["--note", "not in the back office"]])
def test_resolve_not_found_says_the_next_sync_places_it(
    madrid: CLI, sandbox: Sandbox, note: list[str]
) -> None:
    madrid.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    sandbox.inject("500:restoo:/booking:POST:times=1")  # Restoo has no look-up: by hand
    lost = madrid(*create_args("madrid", "20:00", "--reference", "nl-2", "--json"))
    assert lost.exit_code == 8, lost.stderr
    reference = lost.error()["booking"]
    resolved = madrid.ok("bookings", "resolve", "nl-2", "--not-found", *note, "--json").json()
    _assert_tells_what_comes(resolved["status_detail"], reference)
    text = madrid.ok("bookings", "show", "nl-2")
    assert SAYS_THE_SYNC_PLACES_IT in text.stdout
