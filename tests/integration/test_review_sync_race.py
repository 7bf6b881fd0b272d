"""Review: one `platforms sync` process runs its connections concurrently; the reconcile of
one connection treats a pending attempt that a sibling task of the same process is making
as abandoned (``attempt_in_flight`` says "this process: not making it now"), and the
placer then throws the platform's answer away (``placement._settle``: "settled by reconcile
meanwhile"). The interleaving is forced with events, not timing: each adapter call is the
real one, only held until the other task has reached a given point.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from prima_cli.core import placement
from prima_cli.core.booking_state import IllegalTransition
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.restoo import RestooAdapter
from prima_cli.sandbox import Sandbox, SandboxConfig
from prima_cli.sandbox.config import Switches
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings, restoo_settings
from tests.integration.test_bookings import GUEST, book, day
from tests.reliability.lifecycle import wait_until

pytestmark = pytest.mark.usefixtures("instant_retries")

GUARD = 30  # seconds: only a guard against a hang if the interleaving is never reached


def _orphan(cli: CLI, sandbox: Sandbox, key: str, first: str) -> str:
    """A create SIGKILLed after its booking row and before any attempt (while the first
    platform's availability check hangs)."""
    sandbox.inject(f"hang:{first}:availability:seconds=60:times=1")
    args = ["bookings", "create", "madrid", "--date", day(), "--time", "21:00", "--party", "2",
            *GUEST, "--reference", key, "--json"]  # fmt: skip
    proc = subprocess.Popen([*prima_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip

    def intent_only() -> bool:
        shown = cli("bookings", "show", key, "--json")
        return shown.exit_code == 0 and shown.json()["attempts"] == []

    try:
        wait_until(intent_only, seconds=30, every=0.05)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    sandbox.clear_faults()
    return cli.ok("bookings", "show", key, "--json").json()["reference"]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """The simulator without its CoverManager quirk that answers a byte-identical repeat
    within 60 s with the first id (a quirk, not a promise: prima must not lean on it)."""
    with Sandbox(SandboxConfig(seed=7, switches=Switches(cm_duplicate_same_id=False))) as sb:
        yield sb


@pytest.fixture
def restoo_first(venues: CLI, sandbox: Sandbox) -> CLI:
    venues.ok("platforms", "add", "madrid", "restoo", "--priority", "1",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    venues.ok("platforms", "add", "madrid", "covermanager", "--priority", "2",
              *cm_settings(sandbox))  # fmt: skip
    return venues


@pytest.fixture
def cm_first(venues: CLI, sandbox: Sandbox) -> CLI:
    venues.ok("platforms", "add", "madrid", "covermanager", "--priority", "1",
              *cm_settings(sandbox))  # fmt: skip
    venues.ok("platforms", "add", "madrid", "restoo", "--priority", "2",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    return venues


class Gates:
    """Holds the adapter's calls of booking ``reference`` so that: the create is sent only
    after that platform's sync task looked the booking up, and that task starts only once
    the create's pending attempt is committed (what a slow platform does by itself)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, reference: str,
                 adapter: Any = CoverManagerAdapter) -> None:  # fmt: skip
        self.reference, self.on = reference, True
        self.pending: asyncio.Event | None = None
        self.looked_up: asyncio.Event | None = None
        create, find, auth = (adapter.create_reservation, adapter.find_reservation,
                              adapter.check_auth)  # fmt: skip
        gates = self

        def events() -> tuple[asyncio.Event, asyncio.Event]:
            if gates.pending is None or gates.looked_up is None:
                gates.pending, gates.looked_up = asyncio.Event(), asyncio.Event()
            return gates.pending, gates.looked_up

        async def gated_create(self: Any, connection: Any, request: Any) -> Any:
            if gates.on and request.reference == gates.reference:
                pending, looked_up = events()
                pending.set()
                await asyncio.wait_for(looked_up.wait(), GUARD)
            return await create(self, connection, request)

        async def gated_find(self: Any, connection: Any, request: Any) -> Any:
            try:
                return await find(self, connection, request)
            finally:
                if gates.on and request.reference == gates.reference:
                    events()[1].set()

        async def gated_auth(self: Any, connection: Any) -> Any:
            if gates.on:
                await asyncio.wait_for(events()[0].wait(), GUARD)
            return await auth(self, connection)

        from prima_cli.core import reconcile

        settle = reconcile.reconcile_async

        async def gated_reconcile(*args: Any, **kwargs: Any) -> Any:
            # a reconcile that rightly leaves the in-flight attempt alone opens the gate too
            try:
                return await settle(*args, **kwargs)
            finally:
                if gates.on:
                    events()[1].set()

        monkeypatch.setattr(adapter, "create_reservation", gated_create)
        monkeypatch.setattr(adapter, "find_reservation", gated_find)
        monkeypatch.setattr(adapter, "check_auth", gated_auth)
        monkeypatch.setattr(reconcile, "reconcile_async", gated_reconcile)


def _held(sandbox: Sandbox, reference: str) -> list[Any]:
    return [r for r in sandbox.state.reservations() if r.reference == reference and r.active]


@pytest.mark.slow
def test_a_sync_does_not_reconcile_its_own_in_flight_create_into_a_double_booking(
    restoo_first: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restoo first, CoverManager second. The orphan's placement (Restoo's sync task) fails
    over to CoverManager; CoverManager's own sync task reconciles meanwhile, finds nothing
    yet, records the attempt `not_landed`; the create lands, its answer is dropped, and the
    same sync's outbox books the guest a second table."""
    cli = restoo_first
    # another booking whose CoverManager create lost its answer: CoverManager has open work
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    assert book(cli, "--platform", "covermanager").exit_code == 8  # outcome unknown
    reference = _orphan(cli, sandbox, "race-1", "restoo")
    sandbox.inject("503:restoo:availability")  # Restoo cannot check: fail over to CoverManager
    gates = Gates(monkeypatch, reference)
    cli("platforms", "sync", "--days", "1", "--json")
    gates.on = False
    shown = cli.ok("bookings", "show", reference, "--json").json()
    states = [(a["platform_type"], a["state"], a["external_id"]) for a in shown["attempts"]]
    held = [r.id for r in _held(sandbox, reference)]
    assert len(held) <= 1, f"{reference} is booked {len(held)} times ({held}); attempts {states}"


@pytest.mark.slow
def test_a_sync_race_on_restoo_does_not_end_in_an_illegal_transition(
    cm_first: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CoverManager first, Restoo second. Restoo's sync task flags the in-flight attempt
    `unknown` (no look-up); Restoo then answers the create with a definite 503: recording it
    is `unknown -> failed`, which the state machine refuses, and the sync fails."""
    cli = cm_first
    sandbox.inject("reset:restoo:v3/booking:POST:times=1")
    assert book(cli, "--platform", "restoo").exit_code == 8  # outcome unknown
    reference = _orphan(cli, sandbox, "race-2", "covermanager")
    sandbox.inject("503:covermanager:availability")
    sandbox.inject("503:restoo:v3/booking:POST")
    gates = Gates(monkeypatch, reference, RestooAdapter)
    raised: list[BaseException] = []
    push = placement.push_async

    async def watched_push(*args: Any, **kwargs: Any) -> Any:
        try:
            return await push(*args, **kwargs)
        except BaseException as err:
            raised.append(err)
            raise

    monkeypatch.setattr(placement, "push_async", watched_push)
    cli("platforms", "sync", "--days", "1", "--json")
    gates.on = False
    assert not any(isinstance(e, IllegalTransition) for e in raised), raised
    shown = cli.ok("bookings", "show", reference, "--json").json()
    # Restoo's 503 on a write means nothing was applied: prima knew, and recorded nothing
    assert [a["state"] for a in shown["attempts"]] == ["failed", "failed"], shown["attempts"]
