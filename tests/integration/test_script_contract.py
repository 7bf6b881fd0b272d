"""What scripts rely on, through the entry point against the simulator: outcome unknown (8)
apart from not applied (69), "already in that state" succeeding alike across commands, output
formats of listings (json, jsonl, csv, tsv, --fields, --jq) and lists that say what lies
beyond --limit and page on with --offset."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.integration.conftest import cm_settings
from tests.integration.test_bookings import GUEST, book, day

pytestmark = pytest.mark.usefixtures("instant_retries")


def test_outcome_unknown_is_8_and_never_retryable_through_the_executable(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    db = ["--db", str(tmp_path / "p.db")]
    assert run_prima([*db, "db", "migrate"]).returncode == 0
    assert run_prima([*db, "venues", "add", "Madrid", "--slug", "madrid", "--timezone",
                      "Europe/Madrid", "--country", "ES"]).returncode == 0  # fmt: skip
    added = run_prima([*db, "platforms", "add", "madrid", "covermanager", *cm_settings(sandbox)])
    assert added.returncode == 0, added.stderr
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    lost = run_prima([*db, "bookings", "create", "madrid", "--date", day(), "--time", "20:00",
                      "--party", "2", *GUEST, "--json"])  # fmt: skip
    assert lost.returncode == 8, lost.stderr
    error = json.loads(lost.stderr.strip())["error"]
    assert error["type"] == "booking_outcome_unknown"
    assert (error["exit_code"], error["retryable"]) == (8, False)
    assert "do not create it again" in error["hint"]
    assert len(sandbox.state.reservations()) == 1  # the platform did take it


def test_not_applied_is_69_and_retryable(madrid: CLI, sandbox: Sandbox) -> None:
    sandbox.inject("503:covermanager")
    refused = book(madrid, "--platform", "covermanager")
    assert refused.exit_code == 69
    error = refused.error()
    assert (error["type"], error["exit_code"], error["retryable"]) == (
        "booking_not_placed", 69, True,
    )  # fmt: skip
    assert sandbox.state.reservations() == []


def test_already_in_that_state_is_a_success_everywhere(madrid: CLI, sandbox: Sandbox) -> None:
    booking = book(madrid).json()
    first = madrid.ok("bookings", "cancel", booking["reference"], "--json").json()
    again = madrid("bookings", "cancel", booking["reference"], "--json")
    assert (first["changed"], again.exit_code, again.json()["changed"]) == (True, 0, False)
    assert again.json()["status"] == "cancelled"
    madrid.ok("platforms", "disable", "madrid", "restoo")
    twice = madrid("platforms", "disable", "madrid", "restoo", "--json")
    assert twice.exit_code == 0 and twice.json()["changed"] is False
    madrid.ok("platforms", "disable", "madrid", "covermanager")
    # nothing enabled: both batches are empty successes, with the same status
    tested = madrid("platforms", "test", "--all", "--json")
    synced = madrid("platforms", "sync", "--json")
    assert (tested.exit_code, synced.exit_code) == (0, 0), tested.stderr + synced.stderr
    assert tested.json()["status"] == synced.json()["status"] == "empty"
    people = madrid("platforms", "test", "--all", tty=True, no_color=True)
    assert people.exit_code == 0 and "no enabled connections to test" in people.stderr
    # naming what does not exist stays "not found"
    assert madrid("platforms", "test", "lisboa", "covermanager").exit_code == 3
    assert madrid("venues", "remove", "nowhere", "--yes").exit_code == 3
    assert madrid("bookings", "cancel", "PRM-NOSUCHONE").exit_code == 3


@pytest.fixture
def booked(madrid: CLI, sandbox: Sandbox) -> list[str]:
    """Seven bookings at madrid, by start time: their references."""
    refs = []
    for slot in ("13:00", "13:15", "13:30", "13:45", "14:00", "14:15", "14:30"):
        made = book(madrid, time=slot)
        assert made.exit_code == 0, made.stderr
        refs.append(made.json()["reference"])
    return refs


def test_list_says_what_lies_beyond_the_limit_and_pages_on(madrid: CLI, booked: list[str]) -> None:
    first = madrid("bookings", "list", "--limit", "3", "--json")
    assert [b["reference"] for b in first.json()] == booked[:3]
    assert first.stderr.strip() == "3 of 7 shown; next page: --offset 3"
    second = madrid("bookings", "list", "--limit", "3", "--offset", "3", "--format", "jsonl")
    assert [json.loads(x)["reference"] for x in second.stdout.splitlines()] == booked[3:6]
    assert "next page: --offset 6" in second.stderr
    last = madrid("bookings", "list", "--limit", "3", "--offset", "6", "--json")
    assert [b["reference"] for b in last.json()] == booked[6:] and last.stderr == ""
    past = madrid("bookings", "list", "--offset", "9", "--json")
    assert past.json() == [] and "past the last of 7" in past.stderr
    table = madrid("bookings", "list", "--limit", "5", tty=True, no_color=True)
    assert table.stderr == "5 of 7 shown; next page: --offset 5\n" and "Reference" in table.stdout
    assert madrid("bookings", "list", "--offset", "-1").exit_code == 2


def test_csv_tsv_fields_and_jq(madrid: CLI, booked: list[str]) -> None:
    out = madrid.ok("bookings", "list", "--format", "csv", "--fields", "reference,venue,status")
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["reference", "venue", "status"]
    assert rows[1:] == [[ref, "madrid", "confirmed"] for ref in booked]
    whole = list(csv.DictReader(io.StringIO(madrid.ok("bookings", "list", "--format",
                                                        "csv").stdout)))  # fmt: skip
    assert whole[0]["reference"] == booked[0] and json.loads(whole[0]["guest"])["first_name"]
    tsv = madrid.ok("bookings", "list", "--format", "tsv", "--fields", "reference,party_size")
    assert tsv.stdout.splitlines()[0] == "reference\tparty_size"
    assert tsv.stdout.splitlines()[1] == f"{booked[0]}\t2"
    picked = madrid.ok("bookings", "list", "--json", "--fields", "reference,status").json()
    assert picked[0] == {"reference": booked[0], "status": "confirmed"}
    refs = madrid.ok("bookings", "list", "--jq", ".[] | .reference")
    assert refs.stdout.splitlines() == booked
    count = madrid.ok("venues", "list", "--jq", "length")
    assert count.stdout.strip() == "2"
    table = madrid.ok("bookings", "list", "--fields", "reference,status", tty=True, no_color=True)
    assert "reference" in table.stdout and booked[0] in table.stdout


#: what a guest typed online, as prima stores it: each would be a live formula in a spreadsheet
HOSTILE = {
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|x": "'+1+cmd|x",
    "-2+3 extra chips": "'-2+3 extra chips",
}
#: numbers, phones and dates keep their value
PLAIN = ["-5", "+34 600 123 456", "-12.50", "2026-12-07", "+1 (555) 010-9999"]


def test_csv_and_tsv_cells_never_start_a_formula(madrid: CLI, sandbox: Sandbox) -> None:
    """OWASP's rule through the entry point: a text cell starting with = + - @ gets a leading
    quote in csv and tsv; plain numbers and phone numbers do not; JSON keeps every value."""
    for index, notes in enumerate([*HOSTILE, *PLAIN]):
        made = book(madrid, "--notes", notes, time=f"{13 + index // 4}:{index % 4 * 15:02d}")
        assert made.exit_code == 0, made.stderr
    for index, name in enumerate([*HOSTILE, *PLAIN]):
        madrid.ok("venues", "add", "--slug", f"hostile-{index}", "--", name)
    expected = {**HOSTILE, **{p: p for p in PLAIN}}
    exact = [b["notes"] for b in madrid.ok("bookings", "list", "--json").json()]
    assert exact == [*HOSTILE, *PLAIN]  # JSON: as the guest typed it
    csv_out = madrid("bookings", "list", "--format", "csv", "--fields", "notes,party_size")
    assert csv_out.exit_code == 0 and csv_out.stderr == ""
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert [r["notes"] for r in rows] == [expected[n] for n in exact]
    assert {r["party_size"] for r in rows} == {"2"}
    tsv_out = madrid.ok("bookings", "list", "--format", "tsv", "--fields", "notes,starts_at")
    tsv = [line.split("\t") for line in tsv_out.stdout.splitlines()[1:]]
    assert [cells[0] for cells in tsv] == [expected[n] for n in exact]
    assert all(cells[1][:1].isdigit() for cells in tsv)  # dates as written
    listed = madrid.ok("venues", "list", "--format", "csv").stdout
    names = {v["name"] for v in csv.DictReader(io.StringIO(listed))}
    assert names == {"Madrid", "Lisboa", *expected.values()}
    # the installed executable writes the same bytes, and exits 0 with nothing on stderr
    piped = run_prima(["bookings", "list", "--format", "csv", "--fields", "notes,party_size"])
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, csv_out.stdout, "")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--format", "xml"], "--format must be one of"),
        (["--json", "--format", "csv"], "--json is --format json"),
        (["--format", "csv", "--jq", "."], "--jq filters the JSON document"),
        (["--fields", "reference,nope", "--json"], "no field 'nope'"),
        (["--jq", ".[", "--json"], "--jq:"),
    ],
)
def test_bad_output_options_are_usage_errors(
    madrid: CLI, booked: list[str], args: list[str], needle: str
) -> None:
    result = madrid("bookings", "list", *args)
    assert result.exit_code == 2, result.stderr
    assert needle in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("program", "message", "hint"),
    [
        ('"no venue in Paris\\n" | halt_error', "--jq: no venue in Paris", "halt_error(5)"),
        (".[0].slug, (.[0] | {slug} | halt_error(1))", '--jq: {"slug":"lisboa"}', "halt_error(1)"),
        ('.[] | select(.slug == "madrid") | halt_error', '--jq: {"id":', "halt_error(5)"),
        ('error("stop here")', "--jq: stop here", None),
        ('.[0].slug, error({"why": "stop"})', "--jq: {", None),
    ],
)
def test_a_jq_filter_that_errors_or_halts_with_an_error_exits_2(
    venues: CLI, program: str, message: str, hint: str | None
) -> None:
    """error(...) and halt_error are the filter failing: exit 2, the message on stderr (one
    JSON line for scripts), nothing on stdout; jq's own halt_error would exit 0 here."""
    result = venues("venues", "list", "--jq", program)
    assert (result.exit_code, result.stdout) == (2, ""), result.stderr
    error = result.error()
    assert error["type"] == "invalid_input" and error["message"].startswith(message)
    assert error["exit_code"] == 2 and error["retryable"] is False
    assert error["hint"] is None if hint is None else hint in error["hint"]
    people = venues("venues", "list", "--jq", program, tty=True, no_color=True)
    assert people.exit_code == 2 and message in people.stderr and people.stdout == ""


def test_jq_halt_ends_the_output_with_success(venues: CLI) -> None:
    stopped = venues("venues", "list", "--jq", ".[].slug, halt, 2")
    assert (stopped.exit_code, stopped.stdout, stopped.stderr) == (0, "lisboa\nmadrid\n", "")
    # halt_error(0) asks for success too: the output so far, then its message on stderr
    said = venues("venues", "list", "--jq", '.[0].slug, ("done\\n" | halt_error(0))')
    assert (said.exit_code, said.stdout, said.stderr) == (0, "lisboa\n", "done\n")
    # a filter that catches its own error is not one that failed
    caught = venues("venues", "list", "--jq", 'try error("x") catch "caught"')
    assert (caught.exit_code, caught.stdout) == (0, "caught\n")


def test_the_executable_exits_2_on_halt_error(venues: CLI) -> None:
    halted = run_prima(["venues", "list", "--jq", '"stop\\n" | halt_error'])
    assert (halted.returncode, halted.stdout) == (2, "")
    assert json.loads(halted.stderr)["error"]["message"] == "--jq: stop"


def test_every_listing_takes_every_format(madrid: CLI, sandbox: Sandbox) -> None:
    madrid.ok("platforms", "sync", "--days", "1")
    listings = [["venues", "list"], ["platforms", "list"], ["platforms", "types"],
                ["platforms", "history"], ["bookings", "list"]]  # fmt: skip
    book(madrid)
    for listing in listings:
        documents = madrid.ok(*listing, "--json").json()
        assert isinstance(documents, list) and documents, listing
        lines = madrid.ok(*listing, "--format", "jsonl").stdout.splitlines()
        assert [json.loads(x) for x in lines] == documents, listing
        rows = list(csv.DictReader(io.StringIO(madrid.ok(*listing, "--format", "csv").stdout)))
        assert len(rows) == len(documents) and list(rows[0]) == list(documents[0]), listing
        tsv = madrid.ok(*listing, "--format", "tsv").stdout.splitlines()
        assert tsv[0].split("\t") == list(documents[0]) and len(tsv) == len(documents) + 1


def test_errors_inside_documents_carry_their_exit_code_too(madrid: CLI, sandbox: Sandbox) -> None:
    """An attempt's recorded error and a sync result's error say what their type stands for."""
    sandbox.inject("503:covermanager")
    placed = book(madrid)
    assert placed.exit_code == 0, placed.stderr  # failed over to Restoo
    shown = madrid.ok("bookings", "show", placed.json()["reference"], "--json").json()
    failed = shown["attempts"][0]["error"]
    assert (failed["type"], failed["exit_code"], failed["retryable"]) == (
        "platform_unavailable", 69, True,
    )  # fmt: skip
    run = madrid("platforms", "sync", "--days", "1", "--json")
    errors = [r["error"] for r in run.json()["results"] if r["error"]]
    assert errors and all(e["exit_code"] == 69 and e["retryable"] for e in errors), errors
    from prima_cli.cli.views import stored_error

    old = stored_error(None, "platform_auth_failed", "refused")  # a record before revision 0005
    assert old == {"type": "platform_auth_failed", "message": "refused", "exit_code": 5,
                   "retryable": False}  # fmt: skip
