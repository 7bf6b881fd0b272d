"""A create stopped by Ctrl-C or SIGTERM while its request is at the platform: the booking is
recorded and the next sync settles it, so the error names it and says not to create it again
(a create run again after a bare "interrupted" booked the guest twice)."""

from __future__ import annotations

import signal

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.reliability.support import (
    assert_nothing_doubled,
    create_args,
    interrupted_at_platform,
    interruption_said,
    local_bookings,
)


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_create_interrupted_at_the_platform_names_its_booking(
    cm: CLI, sandbox: Sandbox, sig: signal.Signals, json_mode: bool
) -> None:
    # the create landed on the platform, which holds its answer back
    sandbox.inject("hang:covermanager:reserv/reserv:phase=after:seconds=30:times=1")
    args = create_args("madrid", "20:00", *(["--json"] if json_mode else []))
    code, err = interrupted_at_platform(sandbox, args, sig, "the create's request reached it")
    assert code == 130, err
    [booking] = local_bookings(cm)
    reference = booking["reference"]
    said = interruption_said(err, json_mode, reference)
    assert reference in said and "do not create it again" in said, said
    # as it says: the next sync settles it, once
    assert run_prima(["platforms", "sync"]).returncode == 0
    assert [b["status"] for b in local_bookings(cm)] == ["confirmed"]
    assert [r.reference for r in sandbox.state.reservations()] == [reference]
    assert_nothing_doubled(cm, sandbox)
