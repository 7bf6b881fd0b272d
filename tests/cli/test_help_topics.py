"""`prima help [TOPIC]`: a registry of topics (name -> function returning text), and
`prima help json COMMAND` printing the shipped JSON Schema of that command's document."""

from __future__ import annotations

import json

from prima_cli.cli.help_topics import TOPICS
from prima_cli.cli.json_contract import VERSION, packaged
from tests.conftest import CLI, run_prima


def test_every_topic_is_text() -> None:
    assert set(TOPICS) == {"exit-codes", "json", "environment", "secrets"}
    for name, topic in TOPICS.items():
        text = topic()
        assert isinstance(text, str) and text.strip(), name


def test_json_topic_names_the_version_and_every_document(cli: CLI) -> None:
    shown = cli.ok("help", "json").stdout
    assert f"JSON contract version {VERSION}." in shown
    for name in packaged()["documents"]:
        assert f"  {name}\n" in shown


def test_help_json_command_prints_its_schema_through_the_executable() -> None:
    done = run_prima(["help", "json", "bookings", "list"])
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema["type"] == "array" and f"version {VERSION}" in schema["title"]
    booking = schema["items"]
    assert booking["additionalProperties"] is False
    assert booking["properties"]["starts_at"] == {"type": "string", "format": "date-time"}
    assert booking["properties"]["venue"] == {"type": "string"}
    missing = run_prima(["help", "json", "bookings", "nope"])
    assert missing.returncode == 3 and "prima help json" in missing.stderr
    assert run_prima(["help", "secrets", "venues"]).returncode == 2
