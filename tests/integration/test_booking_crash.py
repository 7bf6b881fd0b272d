"""A create killed (SIGKILL) mid-flight, then rerun with the same --reference: the store is
consistent and the guest is booked exactly once, whether or not the first request landed."""

from __future__ import annotations

import json
import subprocess

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable, run_prima
from tests.integration.conftest import cm_settings
from tests.integration.test_bookings import GUEST, day
from tests.reliability.lifecycle import wait_until

pytestmark = pytest.mark.slow  # the default run skips these; .ci/run runs them


def create_args(reference: str) -> list[str]:
    return ["bookings", "create", "madrid", "--date", day(), "--time", "20:00", "--party", "2",
            *GUEST, "--reference", reference, "--json"]  # fmt: skip


def pending_attempt(cli: CLI) -> bool:
    rows = cli.ok("bookings", "list", "--json").json()
    return bool(rows) and rows[0]["status"] == "pending"


def kill_during_create(cli: CLI, reference: str, landed) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.Popen([*prima_executable(), *create_args(reference)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: pending_attempt(cli) and landed(), seconds=20, every=0.05)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -9


def test_killed_after_the_platform_booked(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    sandbox.inject("hang:covermanager:reserv/reserv:phase=after:seconds=30:times=1")
    kill_during_create(venues, "crash-1", lambda: len(sandbox.state.reservations()) == 1)
    left = venues.ok("bookings", "list", "--json").json()
    assert [b["status"] for b in left] == ["pending"]
    rerun = run_prima(create_args("crash-1"))
    assert rerun.returncode == 0, rerun.stderr
    booking = json.loads(rerun.stdout)
    assert booking["replayed"] is True and booking["status"] == "confirmed"
    assert len(sandbox.state.reservations()) == 1
    assert booking["external_id"] == sandbox.state.reservations()[0].id
    assert [a["state"] for a in booking["attempts"]] == ["confirmed"]


def test_killed_before_the_platform_booked(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    hang = sandbox.inject("hang:covermanager:reserv/reserv:seconds=30:times=1")
    kill_during_create(venues, "crash-2", lambda: hang not in sandbox.faults)  # in the call
    assert sandbox.state.reservations() == []
    rerun = run_prima(create_args("crash-2"))
    assert rerun.returncode == 0, rerun.stderr
    booking = json.loads(rerun.stdout)
    assert booking["status"] == "confirmed"
    assert len(sandbox.state.reservations()) == 1
    assert [a["state"] for a in booking["attempts"]] == ["not_landed", "confirmed"]
    assert "never landed" in booking["attempts"][0]["error"]["message"]
