"""The fault matrix: every kind of platform failure crossed with every command that talks to a
platform, in --json and in plain (piped) mode.

For each cell: the documented exit code, one clear message (one `error:` line or one JSON
error document; availability and sync carry the failure in their own output instead, see
`check_message`), no traceback, nothing doubled (never two platform reservations for one
booking, every platform reservation known locally), and once the fault is gone,
reconciliation (`bookings reconcile`, or the next sync) leaves nothing open and the store
and the platform agreeing one to one.

Faults are aimed at the CoverManager endpoint each command uses. `resp: 0` and permission
errors have no fault kind: they are real refusals of the simulator (see SPECIAL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, Result
from tests.integration.conftest import cm_settings
from tests.reliability.support import (
    MADRID_CM,
    assert_converged,
    assert_nothing_doubled,
    create_args,
    day,
    error_lines,
    json_error,
    local_bookings,
    no_traceback,
    revoke,
)

#: fault kind -> sandbox spec, with {path} the endpoint the command uses
FAULTS = {
    "timeout": "hang:covermanager:{path}:seconds=3",  # with PRIMA_READ_TIMEOUT=1
    "reset": "reset:covermanager:{path}",  # phase=after: the request was processed
    "429": "429:covermanager:{path}:retry_after=1",
    "500": "500:covermanager:{path}",
    "503": "503:covermanager:{path}",
    "malformed": "malformed:covermanager:{path}",  # phase=after, truncated JSON on HTTP 200
    "html": "html:covermanager:{path}",  # an HTML error page, HTTP 502
}
KINDS = (*FAULTS, "resp0", "permission")

#: the CoverManager endpoint each command depends on ("" = every request)
PATHS = {
    "availability": "reserv/availability",
    "create": "reserv/reserv",
    "cancel": "reserv/cancel_client",
    "sync": "",
    # sync with the platform up but its reservation look-ups failing: the reconcile and
    # status steps fail, while unknown bookings wait to be settled
    "sync-reconcile": "get_reservs",
}

_UNREACHABLE = {"timeout": 69, "reset": 69, "429": 75, "500": 69, "503": 69,
                "malformed": 69, "html": 69}  # fmt: skip

#: create faults after which the platform's answer is unknown (README: "unknown is never
#: resent"; exit 8, outcome unknown, with booking_outcome_unknown)
AMBIGUOUS_WRITES = frozenset({"timeout", "reset", "500", "malformed", "html"})
#: a write those faults leave ambiguous: exit 8 (reconcile), not 69 (not applied)
_WRITE = {**_UNREACHABLE, **dict.fromkeys(AMBIGUOUS_WRITES, 8)}

#: README "Exit codes": 69 not applied (network, timeout, 5xx after retries), 8 a write whose
#: outcome is unknown, 75 rate limited after retries, 6 refused by the platform, 5 permission.
EXPECTED_EXIT: dict[str, dict[str, int]] = {
    # resp0: the platform's "Restaurant not found" (resp 0) is a refusal: exit 6
    "availability": {**_UNREACHABLE, "resp0": 6, "permission": 5},
    # resp0: the slot was taken between the availability check and the create ("no
    # availability", exit 6, as README "Create exit codes" gives for no room)
    "create": {**_WRITE, "resp0": 6, "permission": 5},
    # resp0: the guest had cancelled on the platform already ("Reservation already
    # cancelled"): the goal is reached, so the cancel succeeds (judgement call; README
    # says only that a booking no platform holds is cancelled locally)
    "cancel": {**_WRITE, "resp0": 0, "permission": 5},
    # resp0: the key refused with HTTP 200 {"resp": 0, "error": "Invalid API key"} (exit 5).
    # permission: the key lost the read right, so CoverManager no longer lists the
    # restaurant; prima reports it as not found (exit 3) on purpose, see
    # CoverManagerAdapter.check_auth (judgement call: README's 5 would also fit).
    "sync": {**_UNREACHABLE, "resp0": 5, "permission": 3},
    # every connection failed the same way: that error's code (README "Sync")
    "sync-reconcile": dict(_UNREACHABLE),
}

#: faults that let the request through and spoil only the answer
LANDS = frozenset({"reset", "malformed"})


@pytest.fixture(autouse=True)
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIMA_READ_TIMEOUT", "1")


# --- the refusals that have no fault kind --------------------------------------------

Undo = Callable[[], None]


def _gone_restaurant(cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Undo:
    cli.ok("platforms", "edit", "madrid", "covermanager", "--set", "restaurant_id=prima-sbx-gone")
    return lambda: cli.ok("platforms", "edit", "madrid", "covermanager", "--set",
                          f"restaurant_id={MADRID_CM}")  # fmt: skip


def _slot_taken_meanwhile(cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Undo:
    # availability still shows 20:00 free, but reserv/reserv finds it taken and answers
    # {"resp": 0, "error": "Hour not available"}: a race with another channel
    sb.state.is_open = lambda *args: False  # type: ignore[method-assign]

    def undo() -> None:
        del sb.state.is_open

    return undo


def _guest_cancelled_first(cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Undo:
    for r in sb.state.reservations():
        sb.state.cancel_by_guest(r.id)
    return lambda: None


def _key_refused_on_http_200(cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Undo:
    sb.switches = sb.switches.with_specs(["cm_auth_http_errors=off"])
    cli.ok(
        "platforms", "edit", "madrid", "covermanager", "--set", "api_key=literal:cm_sbx_" + "0" * 24
    )

    def undo() -> None:
        sb.switches = sb.switches.with_specs(["cm_auth_http_errors=on"])
        cli.ok("platforms", "edit", "madrid", "covermanager", "--set",
               f"api_key=literal:{sb.credentials().covermanager.api_key}")  # fmt: skip

    return undo


def _revoked(right: str) -> Callable[[CLI, Sandbox, pytest.MonkeyPatch], Undo]:
    def setup(cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Undo:
        seed = sb.state.seed
        revoke(sb, MADRID_CM, right)

        def undo() -> None:
            sb.state.seed = seed

        return undo

    return setup


SPECIAL: dict[tuple[str, str], Callable[[CLI, Sandbox, pytest.MonkeyPatch], Undo]] = {
    ("availability", "resp0"): _gone_restaurant,
    ("availability", "permission"): _revoked("read"),
    ("create", "resp0"): _slot_taken_meanwhile,
    # the same refusal as the seeded read-only restaurant prima-sbx-valencia (see
    # test_read_only_restaurant below)
    ("create", "permission"): _revoked("book"),
    ("cancel", "resp0"): _guest_cancelled_first,
    ("cancel", "permission"): _revoked("cancel"),
    ("sync", "resp0"): _key_refused_on_http_200,
    ("sync", "permission"): _revoked("read"),
}


def break_platform(
    op: str, kind: str, cli: CLI, sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> Undo:
    if kind in FAULTS:
        sb.inject(FAULTS[kind].format(path=PATHS[op]))
        return sb.clear_faults
    return SPECIAL[(op, kind)](cli, sb, monkeypatch)


# --- messages --------------------------------------------------------------------------


def check_message(op: str, result: Result, as_json: bool) -> None:
    """One clear message for the failure, and nothing else that looks like an error.

    create and cancel fail as commands: one `error:` line (plain) or one JSON error
    document (--json) on stderr, nothing on stdout. availability and sync report per
    platform: their document (stdout) names the failing connection once, as README's JSON
    shapes give it (`platforms[].error`, `results[].error`); in plain mode availability
    shows it in its row, and when no platform could answer it also says so once on stderr;
    sync under cron prints one warning plus its summary line.
    """
    no_traceback(result.stdout, result.stderr)
    if op in ("create", "cancel"):
        if result.exit_code == 0:
            assert error_lines(result.stderr) == [] and "error" not in result.stderr
            return
        assert result.stdout == ""
        if as_json:
            json_error(result.stderr)
        else:
            assert len(error_lines(result.stderr)) == 1, result.stderr
            assert not result.stderr.lstrip().startswith("{")
        return
    if op == "availability":  # every platform failed: the document, plus one error on stderr
        if as_json:
            json_error(result.stderr)
        else:
            assert len(error_lines(result.stderr)) == 1, result.stderr
        if as_json:
            platforms = result.json()["platforms"]
            assert [p["status"] for p in platforms] == ["error"]
            assert platforms[0]["error"]["message"]
        else:
            rows = result.stdout.splitlines()
            assert len(rows) == 1 and rows[0].startswith("covermanager\tfailed: "), rows
        return
    if as_json:
        # the run's document on stdout; what failed, once, as the error line on stderr
        error = json_error(result.stderr)
        assert error["type"] == "batch_failed" and error["exit_code"] == result.exit_code
        assert error["message"].endswith(": failed; 1 of 1 connection(s) failed: "
                                         "madrid/covermanager")  # fmt: skip
        run = result.json()
        assert run["status"] == "failed"
        assert [(r["venue"], r["status"]) for r in run["results"]] == [("madrid", "failed")]
        assert run["results"][0]["error"]["message"]
    else:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 2, lines
        assert lines[0].startswith("warning: madrid/covermanager: ")
        assert lines[1].startswith("sync run ") and "failed" in lines[1]


# --- the matrix ---------------------------------------------------------------------------


def _cells() -> list[Any]:
    cells = []
    for op, expected in EXPECTED_EXIT.items():
        for kind in expected:
            for mode in ("json", "plain"):
                # the reconcile timeout waits out several read timeouts (about 6 s)
                slow = [pytest.mark.slow] if (op, kind) == ("sync-reconcile", "timeout") else []
                cells.append(
                    pytest.param(op, kind, mode == "json", id=f"{op}-{kind}-{mode}", marks=slow)
                )
    return cells


def _seed_sync_bookings(cli: CLI, sb: Sandbox) -> list[str]:
    """A confirmed booking, one whose answer was lost after it landed, and one that never
    landed (both unknown): what a sync has to settle."""
    refs = []
    for time, fault in (("20:00", None), ("20:15", "reset"), ("20:30", "500")):
        if fault:
            sb.inject(f"{fault}:covermanager:reserv/reserv:times=1")
        result = cli(*create_args("madrid", time, "--json"))
        assert result.exit_code == (8 if fault else 0), result.stderr
        refs.append(result.json()["reference"] if not fault else result.error()["booking"])
    assert [b["status"] for b in local_bookings(cli)] == ["confirmed", "unknown", "unknown"]
    return refs


@pytest.mark.parametrize(("op", "kind", "as_json"), _cells())
def test_fault_cell(
    cm: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, op: str, kind: str, as_json: bool
) -> None:
    flag = ["--json"] if as_json else []
    refs: list[str] = []
    booking: dict[str, Any] | None = None
    if op == "cancel":
        booking = cm.ok(*create_args("madrid", "20:00", "--json")).json()
    if op.startswith("sync"):
        refs = _seed_sync_bookings(cm, sandbox)
    before = local_bookings(cm)

    undo = break_platform(op, kind, cm, sandbox, monkeypatch)
    if op == "availability":
        result = cm("bookings", "availability", "madrid", "--date", day(), "--party", "2",
                    "--time", "20:00", *flag)  # fmt: skip
    elif op == "create":
        result = cm(*create_args("madrid", "20:00", "--reference", "cell-1", *flag))
    elif op == "cancel":
        assert booking is not None
        result = cm("bookings", "cancel", booking["reference"], *flag)
    else:
        result = cm("platforms", "sync", "--days", "1", *flag)
    undo()

    assert result.exit_code == EXPECTED_EXIT[op][kind], (result.stdout, result.stderr)
    check_message(op, result, as_json)
    assert_nothing_doubled(cm, sandbox)
    after = local_bookings(cm)

    if op == "availability":
        assert after == [] and sandbox.state.reservations() == []
    elif op == "create":
        _check_create(cm, sandbox, kind, result, as_json, after)
    elif op == "cancel":
        _check_cancel(cm, sandbox, kind, before, after, flag)
    else:
        # a failed sync settles nothing it could not confirm: the bookings are as they were
        assert [(b["reference"], b["status"]) for b in after] == [
            (b["reference"], b["status"]) for b in before
        ]
        # the next sync, with the platform healthy again, settles and pushes everything
        again = cm("platforms", "sync", "--days", "1", "--json")
        assert again.exit_code == 0, again.stdout + again.stderr
        assert_converged(cm, sandbox)
        assert sorted(r.reference for r in sandbox.state.reservations()) == sorted(refs)
        runs = cm.ok("platforms", "history", "--json").json()
        assert [r["status"] for r in runs] == ["ok", "failed"]


def _check_create(
    cli: CLI, sb: Sandbox, kind: str, result: Result, as_json: bool, after: list[dict[str, Any]]
) -> None:
    assert len(after) == 1  # intent first: the booking is recorded whatever happened
    booking = after[0]
    landed = sb.state.reservations()
    assert len(landed) == (1 if kind in LANDS else 0)
    if kind in AMBIGUOUS_WRITES:
        assert booking["status"] == "unknown"
        if as_json:
            assert result.error()["type"] == "booking_outcome_unknown"
            assert result.error()["booking"] == booking["reference"]
        else:
            assert booking["reference"] in result.stderr and "reconcile" in result.stderr
    else:
        assert booking["status"] == "rejected"
        if as_json:
            assert result.error()["type"] == "booking_not_placed"
    report = cli("bookings", "reconcile", "--json")
    assert report.exit_code == 0, report.stdout + report.stderr
    outcomes = [i["outcome"] for i in report.json()["items"]]
    if kind in AMBIGUOUS_WRITES:
        assert outcomes == ["found" if kind in LANDS else "not_found"]
    else:
        assert outcomes == []
    assert_converged(cli, sb)
    if kind in LANDS:
        # the caller retries with the same key: answered from the store, never sent again
        rerun = cli(*create_args("madrid", "20:00", "--reference", "cell-1", "--json"))
        assert rerun.exit_code == 0, rerun.stderr
        assert rerun.json()["replayed"] is True and rerun.json()["status"] == "confirmed"
        assert len(sb.state.reservations()) == 1


def _check_cancel(
    cli: CLI,
    sb: Sandbox,
    kind: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    flag: list[str],
) -> None:
    (booking,) = after
    if kind == "resp0":
        assert booking["status"] == "cancelled"
    else:
        # README: a failed cancel leaves the booking as it was, with the cancel recorded as
        # asked for (a rerun, reconcile or the next sync finishes it)
        assert booking["cancel_requested_at"] is not None
        unchanged = [{k: v for k, v in b.items() if k not in ("cancel_requested_at",
                      "cancel_reason", "updated_at")} for b in after]  # fmt: skip
        assert unchanged == [{k: v for k, v in b.items() if k not in (
            "cancel_requested_at", "cancel_reason", "updated_at")} for b in before]  # fmt: skip
        assert booking["status"] == "confirmed"
        # trying again once the platform is back converges, whether or not the lost
        # request had cancelled it on the platform
        again = cli("bookings", "cancel", booking["reference"], *flag)
        assert again.exit_code == 0, again.stderr
    assert cli.ok("bookings", "reconcile", "--json").json()["items"] == []
    (final,) = local_bookings(cli)
    assert final["status"] == "cancelled"
    (held,) = sb.state.reservations()
    assert held.id == final["external_id"] and not held.active
    assert_converged(cli, sb)


# --- beyond the matrix -------------------------------------------------------------------


def test_read_only_restaurant(madrid: CLI, sandbox: Sandbox) -> None:
    """prima-sbx-valencia may read but not book: availability and sync work, a create is
    refused with the platform's words (exit 5), nothing is left open or sent twice."""
    madrid.ok("platforms", "add", "madrid", "covermanager",
              *cm_settings(sandbox, restaurant="prima-sbx-valencia"))  # fmt: skip
    madrid.ok("bookings", "availability", "madrid", "--date", day(), "--party", "2")
    refused = madrid(*create_args("madrid", "20:00", "--json"))
    assert refused.exit_code == 5
    error = json_error(refused.stderr)
    assert error["type"] == "booking_not_placed"
    assert "Action not permited" in error["message"]
    assert error["cause"]["type"] == "platform_auth_failed"
    assert [b["status"] for b in local_bookings(madrid)] == ["rejected"]
    run = madrid("platforms", "sync", "--days", "1", "--json")
    assert run.exit_code == 0, run.stdout
    assert run.json()["counts"]["pushed"] == 0  # a refusal is not an outbox entry
    assert sandbox.state.reservations() == []
    assert_converged(madrid, sandbox)


@pytest.mark.parametrize("kind", ["reset", "500", "503", "malformed"])
def test_a_push_that_fails_during_sync_is_neither_lost_nor_doubled(
    cm: CLI, sandbox: Sandbox, kind: str
) -> None:
    """An unknown booking that never landed is pushed by sync (the outbox); the push itself
    meets a fault; the next sync settles it and the guest holds exactly one reservation."""
    sandbox.inject("500:covermanager:reserv/reserv:times=1")
    lost = cm(*create_args("madrid", "20:00", "--reference", "push-1", "--json"))
    assert lost.exit_code == 8
    sandbox.inject(FAULTS[kind].format(path="reserv/reserv") + ":times=1")
    first = cm("platforms", "sync", "--days", "1", "--json")
    no_traceback(first.stdout, first.stderr)
    assert first.exit_code in (0, 8, 69), first.stdout + first.stderr
    assert_nothing_doubled(cm, sandbox)
    second = cm("platforms", "sync", "--days", "1", "--json")
    assert second.exit_code == 0, second.stdout + second.stderr
    assert_converged(cm, sandbox)
    (held,) = sandbox.state.reservations()
    shown = cm.ok("bookings", "show", "push-1", "--json").json()
    assert shown["status"] == "confirmed" and shown["external_id"] == held.id


def test_restoo_lost_answer_stays_open_for_the_operator(
    madrid: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restoo has no look-up: an answer lost after the booking landed stays `unknown`,
    reconcile says it needs the operator (exit 7), and nothing is ever sent twice."""
    from tests.integration.conftest import restoo_settings

    madrid.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    sandbox.inject("reset:restoo:/booking:POST:times=1")
    result = madrid(*create_args("madrid", "20:00", "--reference", "rst-1", "--json"))
    assert result.exit_code == 8, result.stderr
    assert json_error(result.stderr)["type"] == "booking_outcome_unknown"
    assert len(sandbox.state.reservations()) == 1
    report = madrid("bookings", "reconcile", "--json")
    assert report.exit_code == 7, report.stdout + report.stderr
    assert [i["outcome"] for i in report.json()["items"]] == ["manual"]
    still = json_error(report.stderr)  # what a script reads besides the items
    assert (still["type"], still["exit_code"]) == ("partial_failure", 7)
    reference = report.json()["items"][0]["booking"]
    assert still["message"] == f"1 booking(s) still open after reconciling: {reference}"
    rerun = madrid(*create_args("madrid", "20:00", "--reference", "rst-1", "--json"))
    no_traceback(rerun.stdout, rerun.stderr)
    sync = madrid("platforms", "sync", "--days", "1", "--json")
    no_traceback(sync.stdout, sync.stderr)
    # under cron, too, the run must not look clean while a booking needs the operator
    assert sync.exit_code == 7, sync.stdout + sync.stderr
    assert sync.json()["status"] == "ok" and sync.json()["counts"]["attention"] == 1
    assert json_error(sync.stderr)["message"].endswith(
        "; 1 booking(s) need the operator (`prima bookings reconcile`)")  # fmt: skip
    unattended = madrid("platforms", "sync", "--days", "1")
    assert unattended.exit_code == 7
    assert "1 booking(s) whose outcome on the platform is unknown need the operator" in (
        unattended.stderr)  # fmt: skip
    assert "1 booking(s) need the operator" in unattended.stderr  # the summary line
    assert len(sandbox.state.reservations()) == 1
    assert_nothing_doubled(madrid, sandbox)
    assert [b["status"] for b in local_bookings(madrid)] == ["unknown"]


def test_availability_failing_differently_on_every_platform_is_one_error_of_its_exit_code(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """CoverManager refuses the key's right to read (5), Restoo is down (69): the command
    exits 7 and its one error line says 7 and names both, not the first platform's 5."""
    from tests.integration.conftest import restoo_settings

    madrid.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    madrid.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    revoke(sandbox, MADRID_CM, "read")
    sandbox.inject("503:restoo::")
    result = madrid("bookings", "availability", "madrid", "--date", day(), "--party", "2",
                    "--json")  # fmt: skip
    assert result.exit_code == 7, result.stderr
    codes = sorted(p["error"]["exit_code"] for p in result.json()["platforms"])
    assert codes == [5, 69]
    error = json_error(result.stderr)
    assert (error["type"], error["exit_code"], error["retryable"]) == ("partial_failure", 7, False)
    assert error["message"].startswith("no platform could answer: ")
    assert "covermanager: " in error["message"] and "restoo: " in error["message"]
