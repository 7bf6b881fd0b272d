"""`prima bookings ...` against the simulator: intent first, idempotency, failover,
lost answers and reconciliation, cancellation through the recorded connection."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.conftest import add_venues, cm_settings, restoo_settings

pytestmark = pytest.mark.usefixtures("instant_retries")

GUEST = ["--first-name", "Lucía", "--last-name", "Fernández Ruiz",
         "--email", "lucia.fernandez@gmail.com", "--phone", "612 48 39 07"]  # fmt: skip


def day(tz: str = "Europe/Madrid", ahead: int = 3) -> str:
    return (dt.datetime.now(ZoneInfo(tz)).date() + dt.timedelta(days=ahead)).isoformat()


def book(cli: CLI, *extra: str, time: str = "20:00", venue: str = "madrid") -> object:
    return cli(
        "bookings",
        "create",
        venue,
        "--date",
        day(),
        "--time",
        time,
        "--party",
        "2",
        *GUEST,
        "--json",
        *extra,
    )


def creates(sb: Sandbox, platform: str | None = None) -> int:
    return len(sb.state.reservations(platform=platform))


def test_create_show_list_cancel(madrid: CLI, sandbox: Sandbox) -> None:
    result = book(madrid, "--notes", "window table")
    assert result.exit_code == 0, result.stderr
    booking = result.json()
    assert booking["status"] == "confirmed" and booking["replayed"] is False
    assert booking["platform_type"] == "covermanager"
    assert booking["guest"]["phone"] == "+34612483907"
    held = sandbox.state.reservations(platform="covermanager")
    assert [r.id for r in held] == [booking["external_id"]]
    assert held[0].reference == booking["reference"]
    assert (held[0].int_call_code, held[0].phone) == ("34", "612483907")
    assert held[0].time == "20:00" and held[0].notes == "window table"
    shown = madrid.ok("bookings", "show", booking["reference"], "--json").json()
    assert shown["attempts"][0]["state"] == "confirmed"
    assert shown["attempts"][0]["raw_response"]["id_reserv"] == booking["external_id"]
    assert madrid.ok("bookings", "show", str(booking["id"]), "--json").json()["id"] == booking["id"]
    listed = madrid.ok(
        "bookings",
        "list",
        "--venue",
        "madrid",
        "--status",
        "confirmed",
        "--from",
        day(),
        "--to",
        day(),
        "--json",
    ).json()
    assert [b["reference"] for b in listed] == [booking["reference"]]
    assert madrid.ok("bookings", "list", "--status", "cancelled", "--json").json() == []
    cancelled = madrid.ok(
        "bookings", "cancel", booking["reference"], "--reason", "changed_plans", "--json"
    ).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "CHANGED_PLANS"
    assert sandbox.state.get(booking["external_id"]).status == "-5"
    again = madrid("bookings", "cancel", booking["reference"])
    assert again.exit_code == 0 and "already cancelled" in again.stderr  # the state asked for
    assert sandbox.state.get(booking["external_id"]).status == "-5"
    repeated = madrid.ok("bookings", "cancel", booking["reference"], "--json").json()
    assert repeated["status"] == "cancelled" and repeated["changed"] is False
    assert cancelled["changed"] is True


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"--date": "2020-01-01"}, "in the past"),
        ({"--date": "someday"}, "YYYY-MM-DD, today, tomorrow"),
        ({"--time": "25:00"}, "HH:MM"),
        ({"--party": "0"}, "--party must be between 1 and 50"),
        ({"--party": "51"}, "--party must be between 1 and 50"),
        ({"--email": "lucia@"}, "not a valid e-mail"),
        ({"--phone": "12"}, "not a valid phone number"),
        ({"--reference": "has space"}, "--reference must be"),
    ],
)
def test_invalid_input_writes_nothing_and_calls_nothing(
    madrid: CLI, sandbox: Sandbox, change: dict[str, str], needle: str
) -> None:
    guest = dict(zip(GUEST[::2], GUEST[1::2], strict=True))
    args = {"--date": day(), "--time": "20:00", "--party": "2", **guest} | change
    extra = [x for k, v in args.items() for x in (k, v)]
    sandbox.clear_requests_log()
    result = madrid("bookings", "create", "madrid", *extra)
    assert result.exit_code == 2, result.stderr
    assert needle in result.stderr
    assert madrid.ok("bookings", "list", "--json").json() == []
    assert not [r for r in sandbox.requests_log if "reserv" in r.path or "booking" in r.path]


def test_name_forms(madrid: CLI) -> None:
    base = [
        "bookings",
        "create",
        "madrid",
        "--date",
        day(),
        "--time",
        "20:00",
        "--party",
        "2",
        "--email",
        "lucia.fernandez@gmail.com",
        "--phone",
        "+34612483907",
    ]
    single = madrid(*base, "--name", "Lucía")
    assert single.exit_code == 2 and "no last name" in single.stderr
    both = madrid(*base, "--name", "Lucía Fernández", "--first-name", "Lucía")
    assert both.exit_code == 2
    ok = madrid.ok(*base, "--name", "Lucía Fernández Ruiz", "--json").json()
    assert (ok["guest"]["first_name"], ok["guest"]["last_name"]) == ("Lucía", "Fernández Ruiz")


def test_no_platform_configured(venues: CLI) -> None:
    result = book(venues)
    assert result.exit_code == 3
    assert "no enabled platform configured" in result.error()["message"]
    availability = venues("bookings", "availability", "madrid", "--date", day(), "--party", "2")
    assert availability.exit_code == 3


def test_same_reference_never_books_twice(madrid: CLI, sandbox: Sandbox) -> None:
    first = book(madrid, "--reference", "order-77").json()
    second = book(madrid, "--reference", "order-77")
    assert second.exit_code == 0
    assert second.json()["replayed"] is True
    assert second.json()["reference"] == first["reference"]
    assert creates(sandbox) == 1
    other = book(madrid, "--reference", "order-77", time="21:00")
    assert other.exit_code == 4
    assert "different details" in other.error()["message"]
    assert creates(sandbox) == 1


def test_lost_answer_then_reconcile_ends_with_one_reservation(
    madrid: CLI, sandbox: Sandbox
) -> None:
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    result = book(madrid, "--reference", "lost-1")
    assert result.exit_code == 8, result.stderr
    error = result.error()
    assert error["type"] == "booking_outcome_unknown"
    reference = error["booking"]
    assert creates(sandbox) == 1  # the platform did book it
    unknown = madrid.ok("bookings", "list", "--status", "unknown", "--json").json()
    assert [b["reference"] for b in unknown] == [reference]
    report = madrid.ok("bookings", "reconcile", "--json").json()
    assert [(i["booking"], i["outcome"]) for i in report["items"]] == [(reference, "found")]
    booking = madrid.ok("bookings", "show", reference, "--json").json()
    assert booking["status"] == "confirmed"
    assert booking["external_id"] == sandbox.state.reservations()[0].id
    assert [a["platform_type"] for a in booking["attempts"]] == ["covermanager"]
    again = book(madrid, "--reference", "lost-1")
    assert again.exit_code == 0 and again.json()["replayed"] is True
    assert creates(sandbox) == 1
    assert madrid.ok("bookings", "reconcile", "--json").json()["items"] == []


def test_cancel_of_a_lost_answer_looks_it_up_first_then_cancels(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """A cancel needs the reservation's id: it reconciles the booking, then cancels there."""
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    reference = book(madrid, "--reference", "lost-2").error()["booking"]
    cancel = madrid("bookings", "cancel", reference, "--json")
    assert cancel.exit_code == 0, cancel.stderr
    assert cancel.json()["status"] == "cancelled"
    assert [r.active for r in sandbox.state.reservations()] == [False]


def test_failover_from_unreachable_primary(madrid: CLI, sandbox: Sandbox) -> None:
    sandbox.inject("503:covermanager")
    result = book(madrid)
    assert result.exit_code == 0, result.stderr
    booking = madrid.ok("bookings", "show", result.json()["reference"], "--json").json()
    assert [(a["platform_type"], a["state"]) for a in booking["attempts"]] == [
        ("covermanager", "failed"),
        ("restoo", "confirmed"),
    ]
    failed = booking["attempts"][0]["error"]
    assert failed["type"] == "platform_unavailable"
    # the whole error is kept with the attempt, not only its type and message
    assert (failed["platform"], failed["http_status"]) == ("covermanager", 503)
    assert creates(sandbox, "restoo") == 1 and creates(sandbox, "covermanager") == 0
    only = book(madrid, "--platform", "covermanager", time="21:00")
    assert only.exit_code == 69
    error = only.error()
    assert error["type"] == "booking_not_placed"
    assert (error["cause"]["type"], error["cause"]["http_status"]) == ("platform_unavailable", 503)
    assert error["hint"] and error["hint"] == error["cause"]["hint"]


def test_repeating_a_create_that_never_landed_places_it(madrid: CLI, sandbox: Sandbox) -> None:
    sandbox.inject("503:covermanager")
    failed = book(madrid, "--platform", "covermanager", "--reference", "retry-1")
    assert failed.exit_code == 69
    assert creates(sandbox) == 0
    sandbox.clear_faults()
    placed = book(madrid, "--platform", "covermanager", "--reference", "retry-1")
    assert placed.exit_code == 0, placed.stderr
    booking = placed.json()
    assert booking["status"] == "confirmed" and booking["replayed"] is False
    assert [a["state"] for a in booking["attempts"]] == ["failed", "confirmed"]
    assert creates(sandbox) == 1
    again = book(madrid, "--platform", "covermanager", "--reference", "retry-1")
    assert again.json()["replayed"] is True and creates(sandbox) == 1


def test_a_refused_booking_is_not_resent_by_repeating(madrid: CLI, sandbox: Sandbox) -> None:
    madrid.ok("platforms", "disable", "madrid", "covermanager")
    args = ["bookings", "create", "madrid", "--date", day(), "--time", "20:00", "--party", "2",
            "--name", "Test Test", "--email", "test@example.com", "--phone", "+34612483907",
            "--reference", "fake-1", "--json"]  # fmt: skip
    assert madrid(*args).exit_code == 6
    sandbox.clear_requests_log()
    again = madrid(*args)
    assert again.exit_code == 6
    assert not [r for r in sandbox.requests_log if r.method == "POST"]


def test_failover_when_the_primary_is_full(madrid: CLI, sandbox: Sandbox) -> None:
    sandbox.state.set_slot_capacity(
        "covermanager", "prima-sbx-madrid", dt.date.fromisoformat(day()), "20:00", 0
    )
    booking = book(madrid).json()
    assert booking["platform_type"] == "restoo"
    shown = madrid.ok("bookings", "show", booking["reference"], "--json").json()
    assert shown["attempts"][0]["state"] == "skipped"
    assert "nearest" in shown["attempts"][0]["error"]["message"]


def test_invalid_guest_data_does_not_fail_over(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok(
        "venues",
        "add",
        "Barcelona",
        "--slug",
        "bcn",
        "--timezone",
        "Europe/Madrid",
        "--country",
        "ES",
    )
    venues.ok(
        "platforms",
        "add",
        "bcn",
        "restoo",
        *restoo_settings(sandbox, account="prima-sbx-barcelona"),
    )
    venues.ok("platforms", "add", "bcn", "covermanager", *cm_settings(sandbox))
    result = venues(
        "bookings",
        "create",
        "bcn",
        "--date",
        day(),
        "--time",
        "20:00",
        "--party",
        "2",
        "--name",
        "Test Test",
        "--email",
        "test@example.com",
        "--phone",
        "+34612483907",
        "--json",
    )
    assert result.exit_code == 6, result.stderr
    assert result.error()["type"] == "booking_not_placed"
    assert creates(sandbox) == 0
    booking = venues.ok("bookings", "list", "--json").json()[0]
    assert booking["status"] == "rejected"
    shown = venues.ok("bookings", "show", booking["reference"], "--json").json()
    assert [a["platform_type"] for a in shown["attempts"]] == ["restoo"]
    local = venues.ok("bookings", "cancel", booking["reference"], "--json").json()
    assert local["status"] == "cancelled"
    assert local["status_detail"] == "cancelled locally (no platform held it)"


def test_restoo_off_grid_time_is_refused_before_anything(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox))
    args = ["bookings", "create", "lisboa", "--date", day("Europe/Lisbon"), "--party", "2",
            "--name", "Joana Matos", "--email", "joana.matos@sapo.pt",
            "--phone", "+351913572846", "--json"]  # fmt: skip
    off = venues(*args, "--time", "20:10")
    assert off.exit_code == 2
    assert "20:00 or 20:15" in off.error()["message"]
    assert venues.ok("bookings", "list", "--json").json() == []
    snapped = venues(*args, "--time", "20:10", "--snap-to-quarter")
    assert snapped.exit_code == 0, snapped.stderr
    assert snapped.json()["time"] == "20:15"
    assert "snapped to 20:15" in snapped.stderr
    held = sandbox.state.reservations(platform="restoo")
    assert len(held) == 1 and held[0].time == "20:15"


def test_cancel_after_disabling_the_connection(madrid: CLI, sandbox: Sandbox) -> None:
    booking = book(madrid).json()
    madrid.ok("platforms", "disable", "madrid", "covermanager")
    result = madrid("bookings", "cancel", booking["reference"], "--json")
    assert result.exit_code == 0, result.stderr
    assert "disabled" in result.stderr
    assert result.json()["status"] == "cancelled"
    assert sandbox.state.get(booking["external_id"]).status == "-5"


def test_failed_cancel_leaves_the_booking_as_it_was(madrid: CLI, sandbox: Sandbox) -> None:
    booking = book(madrid).json()
    sandbox.inject("500:covermanager:cancel_client:times=1")
    result = madrid("bookings", "cancel", booking["reference"])
    assert result.exit_code == 8
    shown = madrid.ok("bookings", "show", booking["reference"], "--json").json()
    assert shown["status"] == "confirmed"
    assert sandbox.state.get(booking["external_id"]).status != "-5"
    madrid.ok("bookings", "cancel", booking["reference"])
    assert sandbox.state.get(booking["external_id"]).status == "-5"


def test_restoo_unknown_outcome_is_flagged_for_the_operator(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox))
    sandbox.inject("reset:restoo:/booking:POST:times=1")
    result = venues(
        "bookings",
        "create",
        "lisboa",
        "--date",
        day("Europe/Lisbon"),
        "--time",
        "20:00",
        "--party",
        "2",
        "--name",
        "Joana Matos",
        "--email",
        "joana.matos@sapo.pt",
        "--phone",
        "+351913572846",
        "--json",
    )
    assert result.exit_code == 8
    reference = result.error()["booking"]
    report = venues("bookings", "reconcile", reference, "--json")
    assert report.exit_code == 7
    item = report.json()["items"][0]
    assert item["outcome"] == "manual"
    assert reference in item["detail"] and "Joana Matos" in item["detail"]
    shown = venues.ok("bookings", "show", reference, "--json").json()
    assert shown["status"] == "unknown" and shown["needs_attention"] is True


def test_live_bookings_guard_removals(madrid: CLI) -> None:
    booking = book(madrid).json()
    venue = madrid("venues", "remove", "madrid", "--yes")
    assert venue.exit_code == 4 and "1 live booking" in venue.stderr
    conn = madrid("platforms", "remove", "madrid", "covermanager", "--yes")
    assert conn.exit_code == 4
    quiet = madrid.ok("platforms", "remove", "madrid", "restoo", "--yes")  # holds nothing
    assert "warning" not in quiet.stderr
    forced = madrid.ok("platforms", "remove", "madrid", "covermanager", "--yes", "--force")
    # what the platform still holds is named: prima cannot cancel it any more
    assert (
        f"1 live booking(s) removed from prima may still hold tables on the platform: "
        f"{booking['reference']}; cancel them there by hand" in forced.stderr
    )
    shown = madrid.ok("bookings", "show", booking["reference"], "--json").json()
    assert shown["attempts"][0]["connection_id"] is None  # history kept
    cancel = madrid("bookings", "cancel", booking["reference"])
    assert cancel.exit_code == 4 and "removed" in cancel.stderr
    gone = madrid.ok("venues", "remove", "madrid", "--yes", "--force", "--json")
    assert gone.json()["removed"]["slug"] == "madrid"
    assert gone.stderr.startswith("warning: 1 live booking(s) removed from prima")
    assert booking["reference"] in gone.stderr  # --json too: warnings go to stderr
    assert madrid.ok("bookings", "list", "--json").json() == []


def test_availability_with_time_and_alternatives(madrid: CLI, sandbox: Sandbox) -> None:
    result = madrid.ok(
        "bookings",
        "availability",
        "madrid",
        "--date",
        day(),
        "--party",
        "2",
        "--time",
        "20:10",
        "--json",
    ).json()
    by_type = {p["platform_type"]: p for p in result["platforms"]}
    assert by_type["covermanager"]["bookable"] is False
    assert by_type["covermanager"]["alternatives"] == ["20:15", "20:00", "20:30"]
    assert "20:00" in by_type["restoo"]["times"]
    past = madrid("bookings", "availability", "madrid", "--date", "2020-01-01", "--party", "2")
    assert past.exit_code == 2
    sandbox.switches = sandbox.switches.with_specs(["restoo_availability=off"])
    unsupported = madrid.ok(
        "bookings",
        "availability",
        "madrid",
        "--date",
        day(),
        "--party",
        "2",
        "--platform",
        "restoo",
        "--json",
    ).json()
    assert unsupported["platforms"][0]["status"] == "unsupported"


def test_bookings_list_pages_and_attempts_on_every_backend(
    any_db_url: str, sandbox: Sandbox
) -> None:
    """Booking, failover attempts and the paged list read the same on SQLite, PostgreSQL
    and MariaDB (PostgreSQL reads a page's attempts through one array parameter)."""
    from prima_cli.core.bookings import BookingFilter, iter_bookings
    from prima_cli.store.store import Store

    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    cli.ok("platforms", "add", "madrid", "restoo",
           *restoo_settings(sandbox, account="prima-sbx-barcelona"), "--no-test")  # fmt: skip
    placed = [book(cli, time=t).json() for t in ("20:00", "20:15", "20:30")]
    sandbox.inject("503:covermanager")  # the primary is down: Restoo takes it
    placed.append(book(cli, time="20:45").json())
    sandbox.clear_faults()
    assert [b["platform_type"] for b in placed] == ["covermanager"] * 3 + ["restoo"]
    listed = cli.ok("bookings", "list", "--json").json()
    assert [b["reference"] for b in listed] == [b["reference"] for b in placed]
    assert [b["platform_type"] for b in listed] == [b["platform_type"] for b in placed]
    assert [b["external_id"] for b in listed] == [b["external_id"] for b in placed]
    store = Store(any_db_url)
    try:
        paged = list(iter_bookings(store, BookingFilter(limit=100), page_size=3))
    finally:
        store.dispose()
    assert [b.reference for b in paged] == [b["reference"] for b in placed]
    assert [[a.state for a in b.attempts] for b in paged] == [["confirmed"]] * 3 + [
        ["failed", "confirmed"]
    ]


def test_a_failure_prima_did_not_foresee_while_placing_is_outcome_unknown(
    madrid: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (here an adapter raising RuntimeError) after the booking is recorded: exit 8
    naming the booking, never "internal error" alone, which invited a second create while
    the next sync pushed the first; the sync then places it once."""
    from prima_cli.platforms.covermanager import CoverManagerAdapter

    async def broken(*args: object, **kw: object) -> object:
        raise RuntimeError("adapter bug")

    works = CoverManagerAdapter.create_reservation
    monkeypatch.setattr(CoverManagerAdapter, "create_reservation", broken)
    result = book(madrid, "--platform", "covermanager")
    assert result.exit_code == 8, result.stderr
    error = result.error()
    assert error["type"] == "booking_outcome_unknown" and error["retryable"] is False
    assert "RuntimeError: adapter bug" in error["message"] and "do not create it again" in \
        error["hint"]  # fmt: skip
    assert "Traceback" not in result.stderr
    assert madrid.ok("bookings", "show", error["booking"], "--json").json()["status"] == "pending"
    monkeypatch.setattr(CoverManagerAdapter, "create_reservation", works)  # fixed
    madrid("bookings", "reconcile", error["booking"])
    madrid("platforms", "sync", "--days", "30")
    assert creates(sandbox, "covermanager") == 1
    shown = madrid.ok("bookings", "show", error["booking"], "--json").json()
    assert shown["status"] == "confirmed"
