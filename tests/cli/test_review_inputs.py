"""Out-of-range input is a usage error (exit 2) through the real executable, never an
internal error (exit 1) and never a change to the store."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_prima


@pytest.fixture
def migrated_store() -> None:
    done = run_prima(["db", "migrate"])
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["db", "prune", "--older-than", "99999999999999d", "--dry-run"],
        ["db", "prune", "--older-than", "999999999d"],
        ["platforms", "history", "--since", "99999999999w"],
        ["platforms", "history", "--since", "9999-12-31T23:59:59-05:00"],
    ],
)
def test_durations_and_points_in_time_beyond_the_calendar_are_usage_errors(
    migrated_store: None, args: list[str]
) -> None:
    result = run_prima([*args, "--json"])
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stderr)["error"]
    assert error["type"] == "invalid_input"
    assert args[-2] in error["message"] or args[-3] in error["message"]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--to", "9999-12-31"],
        ["report", "--from", "0001-01-01"],
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_usage_errors(
    migrated_store: None, args: list[str]
) -> None:
    result = run_prima([*args, "--json"])
    assert result.returncode == 2, result.stderr
    assert "outside the calendar" in json.loads(result.stderr)["error"]["message"]
    assert result.stdout == ""


def test_help_secrets_names_the_forms_platforms_add_takes(migrated_store: None) -> None:
    text = run_prima(["help", "secrets"]).stdout
    for form in ("env:NAME", "file:/path", "keyring:", "literal:VALUE", "--store-secret"):
        assert form in text
    # what the topic says of a bare value is what platforms add does
    run_prima(["venues", "add", "Casa Pepe"])
    bare = run_prima(
        ["platforms", "add", "casa-pepe", "covermanager", "--no-test", "--set",
         "restaurant_id=casa-pepe", "--set", "api_key=abcdefgh12345678"]
    )  # fmt: skip
    assert bare.returncode == 2 and "refused" in text and "accepted, with a warning" not in text
    assert "abcdefgh12345678" not in bare.stderr


@pytest.mark.parametrize("item", ["api_key:{}", "api_key {}", "={}"])
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([], []),
        ([], ["--json"]),
        (["--log-format", "json"], []),
        (["-v", "--log-format", "logfmt"], []),
    ],
)
def test_a_malformed_set_never_repeats_what_may_be_a_secret(
    migrated_store: None, item: str, before: list[str], after: list[str]
) -> None:
    secret = "cm_live_7f3a9b2c4d5e6f70"
    run_prima(["venues", "add", "Casa Pepe"])
    set_items = ["--set", "restaurant_id=casa-pepe", "--set", item.format(secret)]
    add = ["platforms", "add", "casa-pepe", "covermanager", "--no-test", *set_items]
    result = run_prima([*before, *add, *after])
    assert result.returncode == 2, result.stderr
    assert "KEY=VALUE" in result.stderr and "number 2" in result.stderr
    assert secret not in result.stderr + result.stdout
    assert secret[-4:] not in result.stderr  # not even masked: it is not a known secret


@pytest.mark.parametrize("port", ["99999", "http"])
def test_a_ping_url_with_a_bad_port_is_refused_before_the_run(
    migrated_store: None, port: str
) -> None:
    url = f"http://127.0.0.1:{port}/9f1c2d3e-check-uuid"
    result = run_prima(["platforms", "sync", "--ping-url", url, "--json"])
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stderr)["error"]
    assert "--ping-url" in error["message"] and "check-uuid" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["bookings", "list"], ["platforms", "history"]])
def test_an_offset_beyond_a_64_bit_integer_is_a_usage_error(
    migrated_store: None, command: list[str]
) -> None:
    result = run_prima([*command, "--offset", "99999999999999999999", "--json"])
    assert result.returncode == 2, result.stderr
    assert "--offset" in json.loads(result.stderr)["error"]["message"]
    assert result.stdout == ""


#: "Café" and "Lucía" as a Latin-1 export writes them, passed to a UTF-8 prima: Python
#: reads such bytes as lone surrogates, which no database, JSON encoder or URL takes
CAFE_LATIN1 = b"Caf\xe9 Pepe".decode("utf-8", "surrogateescape")
LUCIA_LATIN1 = b"Luc\xeda Fern\xe1ndez".decode("utf-8", "surrogateescape")


@pytest.mark.parametrize(
    "args",
    [
        ["venues", "add", CAFE_LATIN1],
        ["bookings", "create", "casa-pepe", "--date", "tomorrow", "--time", "20:00",
         "--party", "2", "--name", LUCIA_LATIN1, "--email", "l@example.org",
         "--phone", "612 48 39 07"],
        ["platforms", "edit", "casa-pepe", "covermanager", "--set", f"source={CAFE_LATIN1}"],
        ["platforms", "add", "casa-pepe", "restoo", "--set", f"api_key=literal:{CAFE_LATIN1}",
         "--set", "account=a", "--set", "base_url=http://127.0.0.1:1", "--no-test"],
        ["bookings", "list", "--venue", CAFE_LATIN1],
    ],
)  # fmt: skip
@pytest.mark.parametrize("as_json", [False, True])
def test_an_argument_that_is_not_utf8_is_a_usage_error_and_changes_nothing(
    migrated_store: None, args: list[str], as_json: bool
) -> None:
    """It was an internal error (exit 1, 'report it') wherever the text reached the
    store or an encoder; one value stored by `platforms edit` then broke every
    `platforms list --json` (exit 1)."""
    assert run_prima(["venues", "add", "Casa Pepe"]).returncode == 0
    assert run_prima(["platforms", "add", "casa-pepe", "covermanager", "--set",
                      "restaurant_id=r", "--set", "api_key=literal:k3y-abcdefgh",
                      "--no-test"]).returncode == 0  # fmt: skip
    before = [run_prima([*what, "--json"]).stdout for what in
              (["venues", "list"], ["platforms", "list"], ["bookings", "list"])]  # fmt: skip
    result = run_prima([*args, *(["--json"] if as_json else [])])
    assert result.returncode == 2, result.stderr
    message = json.loads(result.stderr)["error"]["message"] if as_json else result.stderr
    assert "not UTF-8" in message and ("0xe9" in message or "0xed" in message), message
    assert "Caf" not in message and "Luc" not in message  # it may be a secret: not quoted
    after = [run_prima([*what, "--json"]) for what in
             (["venues", "list"], ["platforms", "list"], ["bookings", "list"])]  # fmt: skip
    assert [r.returncode for r in after] == [0, 0, 0]
    assert [r.stdout for r in after] == before
