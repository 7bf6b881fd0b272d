"""`prima platforms ...` connection management (no network: --no-test)."""

from __future__ import annotations

import pytest

from tests.conftest import CLI

SECRET = "cm_live_0123456789abcdefSECRET"


def snapshot(cli: CLI) -> str:
    return cli.ok("platforms", "list", "--json").stdout


@pytest.fixture
def venue(migrated: CLI) -> CLI:
    migrated.ok(
        "venues",
        "add",
        "Casa Pepe",
        "--slug",
        "pepe",
        "--country",
        "ES",
        "--timezone",
        "Europe/Madrid",
    )
    return migrated


def add_cm(cli: CLI, *extra: str) -> dict:
    return cli.ok(
        "platforms",
        "add",
        "pepe",
        "covermanager",
        "--set",
        "restaurant_id=casa-pepe",
        "--set",
        "api_key=env:CM_KEY",
        "--no-test",
        "--json",
        *extra,
    ).json()


def test_types_lists_builtin_adapters_with_fields(cli: CLI) -> None:
    types = {t["name"]: t for t in cli.ok("platforms", "types", "--json").json()}
    assert {"covermanager", "restoo"} <= set(types)
    cm = {f["name"]: f for f in types["covermanager"]["fields"]}
    assert cm["restaurant_id"]["required"] and not cm["restaurant_id"]["secret"]
    assert cm["api_key"]["required"] and cm["api_key"]["secret"]
    assert cm["base_url"]["default"] == "https://www.covermanager.com/api"
    restoo = {f["name"]: f for f in types["restoo"]["fields"]}
    assert restoo["partner_id"]["default"] == "prima"
    assert restoo["base_url"]["required"] and restoo["base_url"]["default"] is None
    assert "integration-dev.myrestoo.net" in restoo["base_url"]["help"]


def test_add_with_env_reference_then_show_and_list(venue: CLI) -> None:
    added = add_cm(venue)
    assert added["platform_type"] == "covermanager"
    assert added["configuration"] == {"restaurant_id": "casa-pepe", "api_key": "env:CM_KEY"}
    assert added["defaults"]["base_url"] == "https://www.covermanager.com/api"
    assert added["enabled"] is True and added["priority"] == 1
    assert added["test"] == {"tested": False, "detail": None}
    shown = venue.ok("platforms", "show", "pepe", "covermanager", "--json").json()
    assert shown["venue"] == "pepe"
    listed = venue.ok("platforms", "list", "--json").json()
    assert [c["id"] for c in listed] == [added["id"]]


def test_literal_secret_is_masked_everywhere_and_warned(venue: CLI) -> None:
    result = venue.ok(
        "platforms",
        "add",
        "pepe",
        "covermanager",
        "--set",
        "restaurant_id=casa-pepe",
        "--set",
        f"api_key=literal:{SECRET}",
        "--no-test",
    )
    assert "visible in the process list" in result.stderr
    for args in (
        ["platforms", "show", "pepe", "covermanager"],
        ["platforms", "show", "pepe", "covermanager", "--json"],
        ["platforms", "list", "--json"],
    ):
        out = venue.ok(*args)
        assert SECRET not in out.stdout + out.stderr
        assert "****CRET" in out.stdout
    listed = venue.ok("platforms", "list")  # the configuration is in `show`, not the list
    assert SECRET not in listed.stdout + listed.stderr and "pepe" in listed.stdout
    tty = venue.ok("platforms", "list", tty=True)
    assert SECRET not in tty.stdout


def test_secret_from_stdin(venue: CLI) -> None:
    result = venue.ok(
        "platforms",
        "add",
        "pepe",
        "covermanager",
        "--set",
        "restaurant_id=casa-pepe",
        "--set",
        "api_key=-",
        "--store-secret",
        "--no-test",
        "--json",
        input=SECRET + "\n",
    )
    assert result.json()["configuration"]["api_key"] == "****CRET"
    assert "process list" not in result.stderr


def test_missing_secret_off_a_terminal_fails_with_the_flag_to_pass(venue: CLI) -> None:
    before = snapshot(venue)
    result = venue(
        "platforms", "add", "pepe", "covermanager", "--set", "restaurant_id=casa-pepe", "--no-test"
    )
    assert result.exit_code == 2
    assert "missing required secret api_key" in result.stderr
    assert "--set api_key=env:NAME" in result.stderr
    assert snapshot(venue) == before


def test_missing_secret_on_a_terminal_is_prompted_hidden(
    venue: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, bool]] = []

    def fake_prompt(text: str, hide_input: bool = False, err: bool = False) -> str:
        asked.append((text, hide_input))
        return SECRET

    monkeypatch.setattr("typer.prompt", fake_prompt)
    result = venue(
        "platforms",
        "add",
        "pepe",
        "covermanager",
        "--set",
        "restaurant_id=casa-pepe",
        "--store-secret",
        "--no-test",
        "--json",
        tty=True,
    )
    assert result.exit_code == 0, result.stderr
    assert asked == [("api_key", True)]
    assert SECRET not in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (["pepe", "opentable"], 2, ["unknown platform type 'opentable'", "covermanager, restoo"]),
        (
            ["pepe", "covermanager"],
            2,
            ["missing required configuration", "restaurant_id", "api_key"],
        ),
        (
            [
                "pepe",
                "covermanager",
                "--set",
                "restaurant_id=x",
                "--set",
                "api_key=env:K",
                "--set",
                "colour=blue",
            ],
            2,
            ["unknown configuration key(s) for covermanager: colour"],
        ),
        (["pepe", "covermanager", "--set", "restaurant_id"], 2, ["expects KEY=VALUE"]),
        (
            ["pepe", "covermanager", "--set", "restaurant_id=x", "--set", "api_key=env:1BAD"],
            2,
            ["not a valid environment variable reference"],
        ),
        (
            ["nowhere", "covermanager", "--set", "restaurant_id=x", "--set", "api_key=env:K"],
            3,
            ["no venue 'nowhere'"],
        ),
        (
            [
                "pepe",
                "covermanager",
                "--set",
                "restaurant_id=x",
                "--set",
                "api_key=env:K",
                "--priority",
                "-1",
            ],
            2,
            ["--priority"],
        ),
    ],
)
def test_add_validation_errors_write_nothing(
    venue: CLI, args: list[str], code: int, needles: list[str]
) -> None:
    before = snapshot(venue)
    result = venue("platforms", "add", *args, "--no-test")
    assert result.exit_code == code, result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(venue) == before


def test_duplicate_connection_is_a_conflict(venue: CLI) -> None:
    add_cm(venue)
    before = snapshot(venue)
    result = venue(
        "platforms",
        "add",
        "pepe",
        "covermanager",
        "--set",
        "restaurant_id=o",
        "--set",
        "api_key=env:CM_KEY",
        "--no-test",
        "--json",
    )
    assert result.exit_code == 4
    assert result.error()["type"] == "conflict"
    assert snapshot(venue) == before


def test_priority_defaults_to_after_existing_connections(venue: CLI) -> None:
    add_cm(venue)
    restoo = venue.ok(
        "platforms",
        "add",
        "pepe",
        "restoo",
        "--set",
        "account=pepe",
        "--set",
        "api_key=env:RESTOO_KEY",
        "--set",
        "base_url=http://x.test",
        "--no-test",
        "--json",
    ).json()
    assert restoo["priority"] == 2
    listed = venue.ok("platforms", "list", "--venue", "pepe", "--json").json()
    assert [c["platform_type"] for c in listed] == ["covermanager", "restoo"]


def test_edit_merges_and_unsets(venue: CLI) -> None:
    add_cm(venue)
    edited = venue.ok(
        "platforms",
        "edit",
        "pepe",
        "covermanager",
        "--set",
        "base_url=https://beta.covermanager.com/api",
        "--priority",
        "5",
        "--json",
    ).json()
    assert edited["configuration"] == {
        "restaurant_id": "casa-pepe",
        "api_key": "env:CM_KEY",
        "base_url": "https://beta.covermanager.com/api",
    }
    assert edited["priority"] == 5
    unset = venue.ok(
        "platforms", "edit", "pepe", "covermanager", "--unset", "base_url", "--json"
    ).json()
    assert "base_url" not in unset["configuration"]
    assert unset["defaults"]["base_url"] == "https://www.covermanager.com/api"
    before = snapshot(venue)
    required = venue("platforms", "edit", "pepe", "covermanager", "--unset", "restaurant_id")
    assert required.exit_code == 2 and "cannot be unset" in required.stderr
    unknown = venue("platforms", "edit", "pepe", "covermanager", "--set", "venue_id=3")
    assert unknown.exit_code == 2
    nothing = venue("platforms", "edit", "pepe", "covermanager")
    assert nothing.exit_code == 2
    missing = venue("platforms", "edit", "pepe", "restoo", "--priority", "1")
    assert missing.exit_code == 3
    assert snapshot(venue) == before


def test_enable_disable_and_filters(venue: CLI) -> None:
    add_cm(venue, "--disabled")
    assert venue.ok("platforms", "list", "--enabled", "--json").json() == []
    assert len(venue.ok("platforms", "list", "--disabled", "--json").json()) == 1
    first = venue.ok("platforms", "enable", "pepe", "covermanager", "--json").json()
    assert first["enabled"] is True and first["changed"] is True
    again = venue.ok("platforms", "enable", "pepe", "covermanager")
    assert "already enabled" in again.stderr
    off = venue.ok("platforms", "disable", "pepe", "covermanager", "--json").json()
    assert off["enabled"] is False
    assert venue.ok("platforms", "list", "--type", "restoo", "--json").json() == []


def test_remove_confirms_and_removes(venue: CLI) -> None:
    add_cm(venue)
    refused = venue("platforms", "remove", "pepe", "covermanager")
    assert refused.exit_code == 2
    assert len(venue.ok("platforms", "list", "--json").json()) == 1
    venue.ok("platforms", "remove", "pepe", "covermanager", "--yes")
    assert venue.ok("platforms", "list", "--json").json() == []
    gone = venue("platforms", "remove", "pepe", "covermanager", "--yes")
    assert gone.exit_code == 3


@pytest.mark.parametrize("meanwhile", ["venue removed", "connection added", "none"])
def test_what_changed_while_credentials_were_tested_is_reported(
    venue: CLI, meanwhile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential test runs outside any transaction: a venue removed or the same
    connection added by another process in that time is said as such, and nothing saved."""
    from prima_cli.core import connections
    from prima_cli.errors import Conflict, NotFound
    from prima_cli.store.store import Store
    from prima_cli.store.url import resolve

    monkeypatch.setenv("CM_KEY", "cm_test_key_0123456789")
    store = Store(resolve(None)[0])

    def tester(_adapter: object, _connection: object) -> str:
        if meanwhile == "venue removed":
            venue.ok("venues", "remove", "pepe", "--yes")
        elif meanwhile == "connection added":
            add_cm(venue)
        return "credentials accepted"

    try:
        if meanwhile == "none":
            added = connections.add(
                store, "pepe", "covermanager", ["restaurant_id=casa-pepe", "api_key=env:CM_KEY"],
                priority=None, enabled=True, secret_input=None, test=tester,  # type: ignore[arg-type]
            )  # fmt: skip
            assert added.value.test_detail == "credentials accepted"
            return
        expected = NotFound if meanwhile == "venue removed" else Conflict
        with pytest.raises(expected) as caught:
            connections.add(
                store, "pepe", "covermanager", ["restaurant_id=other", "api_key=env:CM_KEY"],
                priority=None, enabled=True, secret_input=None, test=tester,  # type: ignore[arg-type]
            )  # fmt: skip
    finally:
        store.dispose()
    if meanwhile == "venue removed":
        assert "was removed while its covermanager connection was being added" in str(caught.value)
        assert venue.ok("platforms", "list", "--json").json() == []
    else:
        assert "added meanwhile" in str(caught.value)
        listed = venue.ok("platforms", "list", "--json").json()
        assert [c["configuration"]["restaurant_id"] for c in listed] == ["casa-pepe"]


@pytest.mark.parametrize(
    "base_url", ["ftp://x", "not-a-url", "https://", "http:///path", "127.0.0.1:8080"]
)
def test_a_base_url_that_is_not_http_is_refused_before_it_is_saved(
    venue: CLI, base_url: str
) -> None:
    """It was saved by `platforms add --no-test` and `platforms edit` (exit 0), and every
    command that used the connection then failed with exit 78 (a sync under cron too)."""
    before = snapshot(venue)
    added = venue("platforms", "add", "pepe", "covermanager", "--set", "restaurant_id=x",
                  "--set", "api_key=env:CM_KEY", "--set", f"base_url={base_url}",
                  "--no-test")  # fmt: skip
    assert added.exit_code == 2, added.stderr
    assert "base_url" in added.stderr and "http(s) URL" in added.stderr
    assert snapshot(venue) == before
    add_cm(venue)
    before = snapshot(venue)
    edited = venue("platforms", "edit", "pepe", "covermanager", "--set", f"base_url={base_url}")
    assert edited.exit_code == 2, edited.stderr
    assert snapshot(venue) == before


def test_a_base_url_password_is_not_quoted_when_the_url_is_refused(venue: CLI) -> None:
    refused = venue("platforms", "add", "pepe", "covermanager", "--set", "restaurant_id=x",
                    "--set", "api_key=env:CM_KEY", "--set",
                    'base_url=ftp://u:hunter2"pw@host', "--no-test")  # fmt: skip
    assert refused.exit_code == 2 and "hunter2" not in refused.stderr, refused.stderr


@pytest.mark.parametrize("setting", ["pending=maybe", "not_notify=yes", "pending=01"])
def test_a_value_outside_a_fields_choices_is_refused_before_it_is_saved(
    venue: CLI, setting: str
) -> None:
    """`pending=maybe` was stored, then sent to CoverManager with every reservation."""
    before = snapshot(venue)
    added = venue("platforms", "add", "pepe", "covermanager", "--set", "restaurant_id=x",
                  "--set", "api_key=env:CM_KEY", "--set", setting, "--no-test")  # fmt: skip
    key, _, value = setting.partition("=")
    assert added.exit_code == 2, added.stderr
    assert f"{key} must be one of 0, 1, not '{value}'" in added.stderr
    assert snapshot(venue) == before
    add_cm(venue)
    before = snapshot(venue)
    edited = venue("platforms", "edit", "pepe", "covermanager", "--set", setting)
    assert edited.exit_code == 2, edited.stderr
    assert snapshot(venue) == before
    assert venue("platforms", "edit", "pepe", "covermanager", "--set", f"{key}=1").exit_code == 0
    fields = {f["name"]: f for f in venue.ok("platforms", "types", "--json").json()[0]["fields"]}
    assert fields[key]["choices"] == ["0", "1"] and fields["source"]["choices"] is None
