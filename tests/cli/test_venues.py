"""`prima venues ...` through the CLI: happy paths, errors, store unchanged on error."""

from __future__ import annotations

import pytest

from tests.conftest import CLI


def snapshot(cli: CLI) -> str:
    return cli.ok("venues", "list", "--json").stdout + cli.ok("platforms", "list", "--json").stdout


def test_add_derives_unique_slug_and_validates(migrated: CLI) -> None:
    first = migrated.ok(
        "venues", "add", "Café Olé", "--timezone", "Europe/Madrid", "--country", "es", "--json"
    ).json()
    assert first["slug"] == "cafe-ole"
    assert first["country"] == "ES"
    assert first["timezone"] == "Europe/Madrid"
    assert first["created_at"].endswith("+00:00")
    second = migrated.ok("venues", "add", "Cafe Ole", "--json").json()
    assert second["slug"] == "cafe-ole-2"
    assert second["timezone"] == "UTC"
    assert second["country"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["X", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["X", "--country", "XX"], "unknown country code 'XX'"),
        (["X", "--slug", "Bad Slug"], "invalid slug 'Bad Slug'"),
        (["X", "--slug", "123"], "cannot be all digits"),
        (["   "], "the venue name is empty"),
        (["!!!"], "cannot derive a slug"),
    ],
)
def test_add_rejects_bad_input_and_writes_nothing(
    migrated: CLI, args: list[str], needle: str
) -> None:
    before = snapshot(migrated)
    result = migrated("venues", "add", *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert snapshot(migrated) == before


def test_explicit_duplicate_slug_is_a_conflict(migrated: CLI) -> None:
    migrated.ok("venues", "add", "One", "--slug", "casa")
    before = snapshot(migrated)
    result = migrated("venues", "add", "Two", "--slug", "casa", "--json")
    assert result.exit_code == 4
    assert result.error()["type"] == "conflict"
    assert "casa" in result.error()["message"]
    assert snapshot(migrated) == before


def test_show_by_id_and_slug_and_not_found(migrated: CLI) -> None:
    venue = migrated.ok("venues", "add", "Sala", "--json").json()
    by_id = migrated.ok("venues", "show", str(venue["id"]), "--json").json()
    by_slug = migrated.ok("venues", "show", "sala", "--json").json()
    assert by_id == by_slug == venue
    missing = migrated("venues", "show", "nope")
    assert missing.exit_code == 3
    assert "no venue 'nope'" in missing.stderr
    assert "prima venues list" in missing.stderr


def test_list_plain_text_is_tab_separated_without_header(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Bar Uno", "--timezone", "Europe/Madrid")
    migrated.ok("venues", "add", "Bar Dos")
    lines = migrated.ok("venues", "list").stdout.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["bar-dos", "bar-uno"]
    assert all(len(line.split("\t")) == 6 for line in lines)
    assert "\x1b[" not in "".join(lines)


def test_list_on_a_terminal_is_a_table_and_honours_no_color(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Bar Uno")
    coloured = migrated.ok("venues", "list", tty=True)
    assert "bar-uno" in coloured.stdout and "Slug" in coloured.stdout
    plain = migrated.ok("venues", "list", tty=True, no_color=True)
    assert "\x1b[" not in plain.stdout
    assert "Slug" in plain.stdout


def test_empty_list_json_is_an_empty_array(migrated: CLI) -> None:
    assert migrated.ok("venues", "list", "--json").json() == []


def test_edit_changes_fields_and_rejects_conflicts(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Uno", "--slug", "uno")
    migrated.ok("venues", "add", "Dos", "--slug", "dos")
    edited = migrated.ok(
        "venues",
        "edit",
        "uno",
        "--name",
        "Uno Bis",
        "--timezone",
        "America/New_York",
        "--country",
        "US",
        "--json",
    ).json()
    assert (edited["name"], edited["timezone"], edited["country"]) == (
        "Uno Bis",
        "America/New_York",
        "US",
    )
    assert edited["updated_at"] >= edited["created_at"]
    before = snapshot(migrated)
    clash = migrated("venues", "edit", "uno", "--slug", "dos")
    assert clash.exit_code == 4
    nothing = migrated("venues", "edit", "uno")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    bad_tz = migrated("venues", "edit", "uno", "--timezone", "Nowhere")
    assert bad_tz.exit_code == 2
    assert snapshot(migrated) == before
    cleared = migrated.ok("venues", "edit", "uno", "--country", "", "--json").json()
    assert cleared["country"] is None


def test_remove_needs_confirmation_off_a_terminal(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Uno")
    before = snapshot(migrated)
    refused = migrated("venues", "remove", "uno")
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert snapshot(migrated) == before
    removed = migrated.ok("venues", "remove", "uno", "--yes", "--json").json()
    assert removed["removed"]["slug"] == "uno"
    assert migrated.ok("venues", "list", "--json").json() == []


def test_remove_cascades_to_connections(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Uno")
    migrated.ok(
        "platforms",
        "add",
        "uno",
        "covermanager",
        "--set",
        "restaurant_id=uno",
        "--set",
        "api_key=env:CM_KEY",
        "--no-test",
    )
    assert len(migrated.ok("platforms", "list", "--json").json()) == 1
    migrated.ok("venues", "remove", "uno", "--yes")
    assert migrated.ok("platforms", "list", "--json").json() == []


def test_commands_need_a_migrated_database(cli: CLI) -> None:
    result = cli("venues", "list")
    assert result.exit_code == 78
    assert "prima db migrate" in result.stderr
    as_json = cli("venues", "list", "--json")
    assert as_json.exit_code == 78
    assert as_json.error()["type"] == "schema_not_migrated"
    assert as_json.stdout == ""
