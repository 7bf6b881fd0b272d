"""SIGKILL in the middle of platform work, through the real executable.

tests/integration/test_booking_crash.py covers one create killed before/after the platform
booked, and test_sync.py one sync killed during its availability calls. Here: a cancel
killed mid-flight, a sync killed while it pushes or reconciles, and repeated kills of the
same create. Afterwards the store is consistent (`db status`, `bookings list`, `platforms
history` work; nothing stays pending) and a rerun completes without duplicates.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable, run_prima
from tests.reliability.lifecycle import wait_until
from tests.reliability.support import (
    assert_converged,
    assert_nothing_doubled,
    create_args,
    local_bookings,
    no_traceback,
)

pytestmark = pytest.mark.slow  # the default run skips these; .ci/run runs them


def kill_when(args: Sequence[str], ready: Callable[[], bool]) -> None:
    """Start prima with `args`, SIGKILL it once `ready()` holds."""
    proc = subprocess.Popen([*prima_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: ready() or proc.poll() is not None, seconds=20, every=0.05)
        assert proc.poll() is None, f"finished before the kill: {proc.communicate()}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -9


def hanging(sb: Sandbox, path: str, phase: str = "before") -> Callable[[], bool]:
    """Inject a one-shot hang on `path`; the returned predicate says the request is in it
    (a one-shot fault retires when a request takes it)."""
    sb.inject(f"hang:covermanager:{path}:phase={phase}:seconds=30:times=1")
    return lambda: sb.faults == []


def assert_store_usable(cli: CLI) -> None:
    status = run_prima(["db", "status", "--json"])
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["up_to_date"] is True
    for args in (["bookings", "list", "--json"], ["platforms", "history", "--json"],
                 ["platforms", "list", "--json"]):  # fmt: skip
        proc = run_prima(args)
        assert proc.returncode == 0, proc.stderr
        no_traceback(proc.stdout, proc.stderr)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_cancel_killed_mid_flight_then_rerun(cm: CLI, sandbox: Sandbox, phase: str) -> None:
    booking = cm.ok(*create_args("madrid", "20:00", "--json")).json()
    in_flight = hanging(sandbox, "reserv/cancel_client", phase)
    kill_when(["bookings", "cancel", booking["reference"], "--json"], in_flight)
    (held,) = sandbox.state.reservations()
    assert held.active is (phase == "before")
    assert_store_usable(cm)
    (left,) = local_bookings(cm)
    assert left["status"] == "confirmed"  # a cancel not known to have worked changes nothing
    rerun = run_prima(["bookings", "cancel", booking["reference"], "--json"])
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["status"] == "cancelled"
    assert not sandbox.state.reservations()[0].active
    assert_converged(cm, sandbox)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_sync_killed_while_pushing(cm: CLI, sandbox: Sandbox, phase: str) -> None:
    """An unknown booking that never landed is in the outbox; the sync that pushes it is
    killed with the push in flight (landed or not). The next sync marks the run
    interrupted, completes, and the guest holds exactly one reservation."""
    sandbox.inject("500:covermanager:reserv/reserv:times=1")
    lost = cm(*create_args("madrid", "20:00", "--reference", "outbox-1", "--json"))
    assert lost.exit_code == 8
    in_flight = hanging(sandbox, "reserv/reserv", phase)
    kill_when(["platforms", "sync", "--days", "1"], in_flight)
    assert len(sandbox.state.reservations()) == (1 if phase == "after" else 0)
    assert_store_usable(cm)
    assert_nothing_doubled(cm, sandbox)
    after = run_prima(["platforms", "sync", "--days", "1", "--json"])
    assert after.returncode == 0, after.stdout + after.stderr
    assert_converged(cm, sandbox)
    (held,) = sandbox.state.reservations()
    assert cm.ok("bookings", "show", "outbox-1", "--json").json()["external_id"] == held.id
    runs = cm.ok("platforms", "history", "--json").json()
    assert [r["status"] for r in runs] == ["ok", "interrupted"]
    # and a third run finds nothing left to do
    third = cm.ok("platforms", "sync", "--days", "1", "--json").json()
    assert third["counts"]["pushed"] == 0 and third["counts"]["reconciled"] == 0
    assert len(sandbox.state.reservations()) == 1


def test_sync_killed_while_reconciling(cm: CLI, sandbox: Sandbox) -> None:
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    landed = cm(*create_args("madrid", "20:00", "--json"))
    assert landed.exit_code == 8
    in_flight = hanging(sandbox, "get_reservs")
    kill_when(["platforms", "sync", "--days", "1"], in_flight)
    assert_store_usable(cm)
    assert [b["status"] for b in local_bookings(cm)] == ["unknown"]
    after = run_prima(["platforms", "sync", "--days", "1", "--json"])
    assert after.returncode == 0, after.stdout + after.stderr
    assert json.loads(after.stdout)["counts"]["reconciled"] == 1
    assert_converged(cm, sandbox)
    assert len(sandbox.state.reservations()) == 1


@pytest.mark.slow
def test_the_same_create_killed_again_and_again(cm: CLI, sandbox: Sandbox) -> None:
    """Killed while the create hangs before landing, then while the rerun's request has
    landed, then while the next rerun reconciles: the last rerun books exactly once."""
    args = create_args("madrid", "20:00", "--reference", "again-1", "--json")
    kill_when(args, hanging(sandbox, "reserv/reserv", "before"))
    assert sandbox.state.reservations() == []
    kill_when(args, hanging(sandbox, "reserv/reserv", "after"))
    assert len(sandbox.state.reservations()) == 1
    kill_when(args, hanging(sandbox, "get_reservs"))
    assert_store_usable(cm)
    assert [b["status"] for b in local_bookings(cm)] == ["pending"]
    rerun = run_prima(args)
    assert rerun.returncode == 0, rerun.stderr
    booking = json.loads(rerun.stdout)
    assert booking["status"] == "confirmed"
    (held,) = sandbox.state.reservations()
    assert booking["external_id"] == held.id
    assert [a["state"] for a in booking["attempts"]].count("confirmed") == 1
    assert_converged(cm, sandbox)
    replay = run_prima(args)
    assert replay.returncode == 0 and json.loads(replay.stdout)["replayed"] is True
    assert len(sandbox.state.reservations()) == 1


def test_a_killed_create_is_not_stuck_pending(cm: CLI, sandbox: Sandbox) -> None:
    """Without any rerun, `bookings reconcile` settles the dead process's pending attempt
    (README: a pending attempt whose process died is treated as unknown)."""
    kill_when(create_args("madrid", "20:00", "--json"),
              hanging(sandbox, "reserv/reserv", "after"))  # fmt: skip
    assert [b["status"] for b in local_bookings(cm)] == ["pending"]
    report = run_prima(["bookings", "reconcile", "--json"])
    assert report.returncode == 0, report.stderr
    assert [i["outcome"] for i in json.loads(report.stdout)["items"]] == ["found"]
    assert_converged(cm, sandbox)
