"""`prima help [TOPIC] [COMMAND...]`: exit codes, JSON, environment and secrets topics."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application


def _complete_topic(incomplete: str) -> list[str]:
    from prima_cli.cli.help_topics import TOPICS

    return [name for name in TOPICS if name.startswith(incomplete)]


def help_(
    ctx: typer.Context,
    topic: str | None = typer.Argument(
        None,
        metavar="TOPIC",
        help="exit-codes, json, environment or secrets.",
        autocompletion=_complete_topic,
    ),
    command: list[str] | None = typer.Argument(
        None, metavar="COMMAND", help="With `json`: the command whose schema to print."
    ),
) -> int:
    """Help topics: exit codes, JSON contract and schemas, environment, secrets."""
    from prima_cli.cli.help_topics import TOPICS
    from prima_cli.cli.views.help import SCHEMA, TOPIC
    from prima_cli.core.result import OperationResult
    from prima_cli.errors import InvalidInput, NotFound

    app_ = application(ctx)
    if topic is None:
        listing = "Topics (prima help TOPIC):\n" + "".join(f"  {name}\n" for name in TOPICS)
        return app_.render(OperationResult.ok(listing), TOPIC)
    if topic not in TOPICS:
        raise NotFound(f"no help topic {topic!r}", hint=f"topics: {', '.join(TOPICS)}")
    if command:
        if topic != "json":
            raise InvalidInput(f"`prima help {topic}` takes no COMMAND")
        from prima_cli.cli.json_contract import schema

        name = " ".join(command)
        found = schema(name)
        if found is None:
            raise NotFound(f"no JSON document named {name!r}", hint="see `prima help json`")
        return app_.render(OperationResult.ok(found), SCHEMA)
    return app_.render(OperationResult.ok(TOPICS[topic]()), TOPIC)
