"""Both adapters end to end against the local simulator, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from prima_cli.errors import PlatformAmbiguousOutcome, PlatformAuthError
from prima_cli.platforms import http
from prima_cli.platforms.contract import CancelReason, Connection, ReservationStatus
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.restoo import RestooAdapter
from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.platforms.adapter_support import booking

T = TypeVar("T")
GUEST = {
    "first_name": "Lucía",
    "last_name": "Martín Ortega",
    "email": "lucia.martin@gmail.com",
    "phone_e164": "+34659812734",
}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as sandbox:
        yield sandbox


def future_day() -> dt.date:
    return dt.date.today() + dt.timedelta(days=30)


def cm_conn(sb: Sandbox, slug: str = "prima-sbx-madrid") -> Connection:
    creds = sb.credentials().covermanager
    config = {"restaurant_id": slug, "api_key": creds.api_key, "base_url": creds.base_url}
    return Connection("covermanager", config, "madrid", timezone="Europe/Madrid")


def restoo_conn(sb: Sandbox, account: str, timezone: str) -> Connection:
    creds = sb.credentials().restoo
    config = {
        "account": account,
        "api_key": creds.api_key,
        "base_url": creds.base_url,
        "partner_id": creds.partner,
    }
    return Connection("restoo", config, account, timezone=timezone)


def run(work: Callable[[Any], Awaitable[T]], adapter_cls: type, verbose: bool = False) -> T:
    async def go() -> T:
        async with http.build_client(verbose=verbose) as client:
            return await work(adapter_cls(client))

    return asyncio.run(go())


def test_covermanager_full_flow(sb: Sandbox) -> None:
    conn, day = cm_conn(sb), future_day()

    async def flow(cm: CoverManagerAdapter) -> tuple[Any, ...]:
        await cm.check_auth(conn)
        slots = await cm.check_availability(conn, day, None, 2)
        created = await cm.create_reservation(
            conn, booking(date=day, time=slots[0].time, party_size=2, **GUEST)
        )
        listed = await cm.list_reservations(conn, day, day)
        cancelled = await cm.cancel_reservation(conn, created.external_id, CancelReason.OTHER)
        after = await cm.list_reservations(conn, day, day)
        return slots, created, listed, cancelled, after

    slots, created, listed, cancelled, after = run(flow, CoverManagerAdapter)
    assert slots and all(s.party_size == 2 and s.date == day for s in slots)
    assert created.status is ReservationStatus.CONFIRMED
    mine = next(r for r in listed if r.external_id == created.external_id)
    assert (mine.reference, mine.time, mine.party_size) == ("PRIMA-00042", slots[0].time, 2)
    assert mine.phone_e164 == "+34659812734"
    assert cancelled.status is ReservationStatus.CANCELLED
    gone = next(r for r in after if r.external_id == created.external_id)
    assert gone.status is ReservationStatus.CANCELLED


def test_covermanager_key_without_right_is_auth_error(sb: Sandbox) -> None:
    conn = cm_conn(sb, "prima-sbx-valencia")  # read-only restaurant in the seed
    with pytest.raises(PlatformAuthError, match="not permited"):
        run(
            lambda cm: cm.create_reservation(conn, booking(date=future_day(), **GUEST)),
            CoverManagerAdapter,
        )


@pytest.mark.parametrize("fault", ["reset", "malformed"])
def test_spoiled_answer_after_booking_is_ambiguous_and_reconcilable(
    sb: Sandbox, fault: str
) -> None:
    conn, day = cm_conn(sb), future_day()
    sb.inject(f"{fault}:covermanager:reserv/reserv:times=1")  # booked, then answer spoiled
    with pytest.raises(PlatformAmbiguousOutcome):
        run(
            lambda cm: cm.create_reservation(conn, booking(date=day, reference="P-77", **GUEST)),
            CoverManagerAdapter,
        )
    creates = [r for r in sb.requests_log if r.path.endswith("reserv/reserv")]
    assert len(creates) == 1  # never retried blindly
    listed = run(lambda cm: cm.list_reservations(conn, day, day), CoverManagerAdapter)
    assert [r.reference for r in listed] == ["P-77"]  # the booking exists: reconcile finds it


def test_answered_requests_leave_nothing_for_the_garbage_collector(sb: Sandbox) -> None:
    """Reads of a sync over real HTTP are freed by reference counting: httpx's response and
    stream, httpcore's exchange and the retry machinery form no reference cycle per request
    (each one cost the collector about 70 objects, and a sync's RSS 50 MB per 1,000)."""
    conn, day = cm_conn(sb), future_day()

    async def reads(cm: CoverManagerAdapter) -> list[object]:
        await cm.check_auth(conn)  # the kept-alive connection and the caches, made once
        await cm.availability_calendar(conn, day, day)
        await cm.list_reservations(conn, day, day)
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds lands in gc.garbage
        try:
            for _ in range(20):
                await cm.check_auth(conn)
                await cm.availability_calendar(conn, day, day + dt.timedelta(days=6))
                await cm.list_reservations(conn, day, day)
            gc.collect()
            return list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    garbage = run(reads, CoverManagerAdapter)
    assert len(sb.requests_log) == 63
    kinds = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in garbage)
    http_stack = ("httpx", "httpcore", "h11", "anyio", "tenacity", "stamina", "prima_cli")
    assert not [k for k in kinds if k.startswith(http_stack)], kinds
    # anything else (another test's leftovers freed meanwhile) is far below one per request
    assert len(garbage) < 60, kinds


@pytest.mark.parametrize(
    ("account", "timezone", "status"),
    [
        ("prima-sbx-barcelona", "Europe/Madrid", ReservationStatus.CONFIRMED),
        ("prima-sbx-lisboa", "Europe/Lisbon", ReservationStatus.PENDING),
    ],
)
def test_restoo_full_flow(
    sb: Sandbox, account: str, timezone: str, status: ReservationStatus
) -> None:
    conn, day = restoo_conn(sb, account, timezone), future_day()

    async def flow(rt: RestooAdapter) -> tuple[Any, ...]:
        await rt.check_auth(conn)
        slots = await rt.check_availability(conn, day, dt.time(20, 0), 2)
        created = await rt.create_reservation(
            conn, booking(date=day, time=slots[0].time, party_size=2, **GUEST)
        )
        cancelled = await rt.cancel_reservation(
            conn, created.external_id, CancelReason.CHANGED_PLANS
        )
        return slots, created, cancelled

    slots, created, cancelled = run(flow, RestooAdapter)
    assert slots and all(s.party_size == 2 and s.date == day for s in slots)
    assert created.status is status
    assert cancelled.status is ReservationStatus.CANCELLED


def test_restoo_429_on_create_is_retried(sb: Sandbox) -> None:
    conn = restoo_conn(sb, "prima-sbx-barcelona", "Europe/Madrid")
    sb.inject("429:restoo:/booking:POST:times=1:retry_after=1")
    result = run(
        lambda rt: rt.create_reservation(conn, booking(date=future_day(), **GUEST)),
        RestooAdapter,
    )
    assert result.status is ReservationStatus.CONFIRMED
    assert [r.status for r in sb.requests_log if r.path.endswith("/booking")] == [429, 201]


def test_verbose_trace_against_sandbox_has_no_secret(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = cm_conn(sb)
    run(lambda cm: cm.check_auth(conn), CoverManagerAdapter, verbose=True)
    err = capsys.readouterr().err
    key = sb.credentials().covermanager.api_key
    assert "restaurant/list/****" in err
    assert key not in err
