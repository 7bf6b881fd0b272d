"""Hostile configuration and command-line input through the `prima` entry point: keys that
cannot be sent, passwords inside URLs, out-of-range numbers and names. Each is a clear
error with a documented exit code (never 1), shows no secret, and changes nothing."""

from __future__ import annotations

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, Result
from tests.integration.conftest import restoo_settings
from tests.reliability.support import no_traceback
from tests.reliability.test_secrets import leaked


def store_state(cli: CLI) -> tuple[object, ...]:
    return (
        cli.ok("venues", "list", "--json").json(),
        cli.ok("platforms", "list", "--json").json(),
        cli.ok("bookings", "list", "--json").json(),
        cli.ok("platforms", "history", "--json").json(),
    )


def refused(result: Result, code: int) -> dict[str, object]:
    """The one JSON error of a refused command (run with --json), with no traceback."""
    no_traceback(result.stdout, result.stderr)
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stdout == ""
    return result.error()


# --- keys that cannot be sent ---------------------------------------------------------------

BROKEN_KEYS = {
    "newline": "rst_sbx_0c\n5c7fd0a6a3a4506513270e",
    "nul": "rst_sbx_0c\x005c7fd0a6a3a4506513270e",
    "non_ascii": "rst_sbx_0c5c7fd0a6a3a4506513270é",
}


@pytest.fixture
def lisboa(migrated: CLI) -> CLI:
    migrated.ok("venues", "add", "Lisboa", "--slug", "lisboa", "--timezone", "Europe/Lisbon",
                "--country", "PT")  # fmt: skip
    return migrated


@pytest.mark.parametrize("kind", sorted(BROKEN_KEYS))
@pytest.mark.parametrize("test", [True, False], ids=["tested", "no_test"])
def test_a_key_that_cannot_be_sent_is_refused_and_never_shown(
    lisboa: CLI, sandbox: Sandbox, kind: str, test: bool
) -> None:
    key = BROKEN_KEYS[kind]
    before = store_state(lisboa)
    result = lisboa("--verbose", "platforms", "add", "lisboa", "restoo",
                    *restoo_settings(sandbox, key=key), *([] if test else ["--no-test"]),
                    "--json")  # fmt: skip
    error = refused(result, 78)
    assert error["type"] == "configuration_error"
    assert "api_key" in str(error["message"]) and "printable ASCII" in str(error["message"])
    assert not leaked(key, result.stderr)
    assert store_state(lisboa) == before
    assert sandbox.requests_log == []


@pytest.mark.parametrize("kind", ["newline", "non_ascii"])  # no variable can hold a NUL
def test_a_broken_key_in_a_variable_fails_the_sync_without_showing_it(
    lisboa: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    key = BROKEN_KEYS[kind]
    lisboa.ok("platforms", "add", "lisboa", "restoo", "--set", "account=prima-sbx-lisboa",
              "--set", "api_key=env:PRIMA_TEST_BROKEN_KEY", "--set",
              f"base_url={sandbox.credentials().restoo.base_url}", "--no-test")  # fmt: skip
    monkeypatch.setenv("PRIMA_TEST_BROKEN_KEY", key)
    synced = lisboa("--verbose", "platforms", "sync", "--days", "1")
    assert synced.exit_code == 78, synced.stderr
    assert "PRIMA_TEST_BROKEN_KEY" in synced.stderr and "printable ASCII" in synced.stderr
    shown = [
        synced.stderr,
        lisboa("platforms", "sync", "--days", "1", "--json").stdout,
        lisboa.ok("platforms", "history", "1", "--json").stdout,
        lisboa.ok("platforms", "list", "--json").stdout,
        lisboa("platforms", "test", "lisboa", "--json").stderr,
    ]
    connection = lisboa.ok("platforms", "show", "lisboa", "restoo", "--json").json()
    assert "printable ASCII" in connection["last_error"]
    assert not any(leaked(key, text) for text in shown)
    assert sandbox.requests_log == []


def test_a_non_ascii_header_value_is_a_configuration_error(lisboa: CLI, sandbox: Sandbox) -> None:
    """Not a secret, but sent in a header too: Restoo's Account."""
    result = lisboa("platforms", "add", "lisboa", "restoo",
                    *restoo_settings(sandbox, account="prima-sbx-lisbõa"), "--json")  # fmt: skip
    assert refused(result, 78)["type"] == "configuration_error"
    assert lisboa.ok("platforms", "list", "--json").json() == []
