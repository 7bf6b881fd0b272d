"""A command whose output cannot be written (stdout on a full disk) after it did its work:
exit 74 saying the work stands, never "internal error" (exit 1), which invites a rerun that
books the guest a second time. Run through the real executable with stdout on /dev/full.
And a command whose stderr is gone (a closed pipe, a full disk): its exit status is then
all a caller learns, so it stays the one of what happened."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings
from tests.reliability.support import create_args

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


def _to_full_disk(*args: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run([*prima_executable(), *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=os.environ.copy(), timeout=120)  # fmt: skip


@pytest.mark.parametrize("json_flag", [["--json"], []], ids=["json", "text"])
def test_a_booking_made_whose_output_is_lost_says_so_and_is_made_once(
    madrid: CLI, sandbox: Sandbox, json_flag: list[str]
) -> None:
    madrid.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    lost = _to_full_disk(*create_args("madrid", "20:00", *json_flag))
    assert lost.returncode == 74, lost.stderr
    if json_flag:
        error = json.loads(lost.stderr)["error"]
        assert (error["type"], error["retryable"]) == ("output_lost", False)
        said = error["message"] + error["hint"]
    else:
        said = lost.stderr
        assert "Traceback" not in said and "internal error" not in said
    assert "could not be written (No space left on device)" in said
    assert "what it did stands" in said and "`prima bookings list`" in said
    (held,) = sandbox.state.reservations()  # booked once, and recorded as such
    (booking,) = madrid.ok("bookings", "list", "--json").json()
    assert booking["status"] == "confirmed"
    assert booking["reference"] == held.reference


def test_the_version_on_a_full_disk_is_exit_74_without_a_traceback() -> None:
    lost = _to_full_disk("--version")
    assert lost.returncode == 74
    assert lost.stderr == "error: the version could not be written (No space left on device)\n"


def _stderr_gone(how: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run prima with stderr a pipe whose reader is gone, or on a full disk."""
    if how == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run([*prima_executable(), *args], stdout=subprocess.PIPE,
                                  stderr=full, text=True, env=os.environ.copy(),
                                  timeout=120)  # fmt: skip
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([*prima_executable(), *args], stdout=subprocess.PIPE,
                              stderr=write, text=True, env=os.environ.copy(),
                              timeout=120)  # fmt: skip
    finally:
        os.close(write)


@pytest.mark.parametrize("how", ["closed", "full"])
@pytest.mark.parametrize("json_flag", [["--json"], []], ids=["json", "text"])
def test_a_failure_whose_stderr_is_gone_keeps_its_exit_code(
    madrid: CLI, how: str, json_flag: list[str]
) -> None:
    """With its message lost, the exit status is all a caller has: it stays the error's."""
    assert _stderr_gone(how, "bookings", "show", "NOPE", *json_flag).returncode == 3
    assert _stderr_gone(how, "bookings", "list", "--nope").returncode == 2


@pytest.mark.parametrize("how", ["closed", "full"])
def test_a_partial_sync_whose_stderr_is_gone_still_exits_7(
    cm: CLI, sandbox: Sandbox, how: str
) -> None:
    """A cron sync whose stderr is gone syncs every connection, records its run, and exits
    7 for the one that failed, not 1 or 141 from failing to say so."""
    cm.ok("venues", "add", "Bogota", "--slug", "bogota", "--timezone", "America/Bogota",
          "--country", "CO")  # fmt: skip
    cm.ok("platforms", "add", "bogota", "covermanager",
          *cm_settings(sandbox, key="not-the-key"), "--no-test")  # fmt: skip
    done = _stderr_gone(how, "platforms", "sync", "--days", "2")
    assert done.returncode == 7
    (run,) = cm.ok("platforms", "history", "--json").json()
    assert run["status"] == "partial"
    assert (run["counts"]["ok"], run["counts"]["failed"]) == (1, 1)
