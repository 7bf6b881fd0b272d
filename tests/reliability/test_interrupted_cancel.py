"""A cancel stopped by Ctrl-C or SIGTERM while its request is at the platform: the cancel is
recorded as asked for and the next sync finishes it, so the error names the booking and says
so. A bare "interrupted" read as "nothing happened": an operator who stopped the cancel
because the guest was coming after all kept the booking, and the next cron sync cancelled
the table (found by the review)."""

from __future__ import annotations

import signal

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.reliability.support import (
    create_args,
    interrupted_at_platform,
    interruption_said,
    local_bookings,
)


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_cancel_interrupted_at_the_platform_says_the_sync_finishes_it(
    cm: CLI, sandbox: Sandbox, sig: signal.Signals, json_mode: bool
) -> None:
    reference = cm.ok(*create_args("madrid", "20:00", "--json")).json()["reference"]
    # the platform holds the cancel back, then drops it unapplied
    sandbox.inject("hang:covermanager:reserv/cancel_client:seconds=30:times=1")
    args = ["bookings", "cancel", reference, *(["--json"] if json_mode else [])]
    code, err = interrupted_at_platform(sandbox, args, sig, "the cancel's request reached it")
    assert code == 130, err
    said = interruption_said(err, json_mode, reference)
    assert reference in said and "cancel" in said and "platforms sync" in said, said
    # as it says: the next sync finishes it
    assert [r.active for r in sandbox.state.reservations()] == [True]
    assert run_prima(["platforms", "sync", "--days", "1"]).returncode == 0
    assert [b["status"] for b in local_bookings(cm)] == ["cancelled"]
    assert [r.active for r in sandbox.state.reservations()] == [False]
