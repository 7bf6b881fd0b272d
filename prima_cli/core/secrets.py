"""Secret values in connection configurations: references, resolution and display.

A secret is stored either as a reference ``env:NAME`` (resolved when used, never stored)
or literally. Resolved values are registered with :mod:`prima_cli.redact` so that no
output, log or trace can show them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from prima_cli import redact
from prima_cli.errors import ConfigError, InvalidInput

ENV_PREFIX = "env:"
STDIN_MARKER = "-"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_reference(value: str) -> bool:
    return value.startswith(ENV_PREFIX)


def check_reference(key: str, value: str) -> None:
    name = value[len(ENV_PREFIX) :]
    if not _ENV_NAME.match(name):
        raise InvalidInput(
            f"{key}: {value!r} is not a valid environment variable reference",
            hint="write env:NAME with NAME made of letters, digits and underscores",
        )


def resolve(key: str, value: str, *, where: str) -> str:
    """The secret's value; a reference to an unset variable, or a value no platform can be
    sent (see :func:`check_value`), is a ConfigError (exit 78)."""
    if not is_reference(value):
        redact.register(value)
        check_value(key, value, where=where)
        return value
    name = value[len(ENV_PREFIX) :]
    resolved = os.environ.get(name)
    if not resolved:
        raise ConfigError(
            f"{where}: {key} refers to the environment variable {name}, which is not set",
            hint=f"set {name} in the environment prima runs in (for cron: a {name}= line in "
            f"the crontab), or store another reference with {_edit(where, key)}",
        )
    redact.register(resolved)
    check_value(key, resolved, where=f"{where}: {key} from {name}")
    return resolved


def _edit(where: str, key: str) -> str:
    """The command that changes ``key`` of the connection ``where`` (``venue/type``)."""
    venue, _, kind = where.partition("/")
    return f"`prima platforms edit {venue} {kind or '...'} --set {key}=-` (read from stdin)"


def _flaw(value: str) -> tuple[int, str] | None:
    """The first character of ``value`` that a key cannot hold, as (position, what)."""
    for index, char in enumerate(value, start=1):
        if char in "\r\n":
            return index, "a line break"
        if char == "\0":
            return index, "a NUL character"
        if not char.isprintable():
            return index, "a control character"
        if not char.isascii():
            return index, "a character outside ASCII"
    return None


def check_value(key: str, value: str, *, where: str) -> None:
    """Refuse (ConfigError, exit 78) a secret that cannot be sent as it is: a line break,
    NUL or other control character inside it, or a character outside ASCII. Keys travel
    in HTTP headers and URL paths, where such a character would cut or garble the
    request. Surrounding whitespace is not a flaw: the adapters send the key stripped.
    The message names the character's position, never the value."""
    stripped = value.strip()
    flaw = _flaw(stripped)
    if flaw is None:
        return
    position, what = flaw
    raise ConfigError(
        f"{where}: the {key} contains {what} (character {position} of {len(stripped)}); "
        "a key is printable ASCII",
        hint=f"give the {key} again as issued (if it comes from a file or a variable, "
        "check how it was written there)",
    )


def unresolved(config: Mapping[str, object], secret_keys: Iterable[str]) -> list[str]:
    """Secret keys whose ``env:`` reference points at an unset variable."""
    missing = []
    for key in secret_keys:
        value = config.get(key)
        if (
            isinstance(value, str)
            and is_reference(value)
            and not os.environ.get(value[len(ENV_PREFIX) :])
        ):
            missing.append(key)
    return missing


def display(value: object, *, secret: bool) -> object:
    """How a configuration value may be shown: references as is, literal secrets masked."""
    if not secret or not isinstance(value, str) or is_reference(value):
        return value
    return redact.mask(value)


def register_literals(config: Mapping[str, object], secret_keys: Iterable[str]) -> None:
    """Register literal secrets of a stored configuration before anything is printed."""
    for key in secret_keys:
        value = config.get(key)
        if isinstance(value, str) and not is_reference(value):
            redact.register(value)
