"""A create stopped by Ctrl-C or SIGTERM while its request is at the platform: the booking is
recorded and the next sync settles it, so the error names it and says not to create it again
(a create run again after a bare "interrupted" booked the guest twice)."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable, run_prima
from tests.integration.conftest import cm_settings
from tests.reliability.lifecycle import wait_until
from tests.reliability.support import assert_nothing_doubled, create_args, local_bookings


@pytest.fixture
def cm(madrid: CLI, sandbox: Sandbox) -> CLI:
    madrid.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    return madrid


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_create_interrupted_at_the_platform_names_its_booking(
    cm: CLI, sandbox: Sandbox, sig: signal.Signals, json_mode: bool
) -> None:
    # the create landed on the platform, which holds its answer back
    sandbox.inject("hang:covermanager:reserv/reserv:phase=after:seconds=30:times=1")
    args = create_args("madrid", "20:00", *(["--json"] if json_mode else []))
    proc = subprocess.Popen([*prima_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: sandbox.faults == [] or proc.poll() is not None, seconds=30,
                   what="the create's request reached the platform")  # fmt: skip
        assert proc.poll() is None
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    [booking] = local_bookings(cm)
    reference = booking["reference"]
    if json_mode:
        error = json.loads(err)["error"]
        assert (error["type"], error["booking"]) == ("interrupted", reference)
        said = error["message"] + " " + error["hint"]
    else:
        said = err
        assert "Traceback" not in err
    assert reference in said and "do not create it again" in said, said
    # as it says: the next sync settles it, once
    assert run_prima(["platforms", "sync"]).returncode == 0
    assert [b["status"] for b in local_bookings(cm)] == ["confirmed"]
    assert [r.reference for r in sandbox.state.reservations()] == [reference]
    assert_nothing_doubled(cm, sandbox)
