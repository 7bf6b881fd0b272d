"""Secret values in connection configurations: references, resolution and display.

A secret is stored as a reference, resolved each time it is used and never stored:
``env:NAME`` (an environment variable), ``file:/path`` (a file readable by its owner only,
e.g. a systemd credential or a ``/run/secrets`` file) or ``keyring:service/name`` (the
system keyring, through the optional ``keyring`` package); or, only when the operator asks
for it (``literal:VALUE`` or ``--store-secret``), literally. Resolved values are registered
with :mod:`prima_cli.redact` so that no output, log or trace can show them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from prima_cli import redact
from prima_cli.errors import ConfigError, InvalidInput

ENV_PREFIX = "env:"
FILE_PREFIX = "file:"
KEYRING_PREFIX = "keyring:"
#: the explicit form of a secret to store in the database as it is
LITERAL_PREFIX = "literal:"
REFERENCE_PREFIXES = (ENV_PREFIX, FILE_PREFIX, KEYRING_PREFIX)
STDIN_MARKER = "-"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: the forms to suggest instead of storing a secret
REFERENCE_FORMS = "env:NAME, file:/path or keyring:service/name"


def is_reference(value: str) -> bool:
    return value.startswith(REFERENCE_PREFIXES)


def check_reference(key: str, value: str) -> None:
    """Refuse (exit 2) a reference that can never resolve, before it is stored."""
    if not value.isprintable():
        raise InvalidInput(f"{key}: {value!r} holds a control character")
    if value.startswith(ENV_PREFIX):
        if not _ENV_NAME.match(value[len(ENV_PREFIX) :]):
            raise InvalidInput(
                f"{key}: {value!r} is not a valid environment variable reference",
                hint="write env:NAME with NAME made of letters, digits and underscores",
            )
    elif value.startswith(FILE_PREFIX):
        if not os.path.isabs(value[len(FILE_PREFIX) :]):
            raise InvalidInput(
                f"{key}: {value!r} is not an absolute path",
                hint="write file:/path/to/the/key (cron and systemd run in another directory)",
            )
    elif value.startswith(KEYRING_PREFIX):
        service, slash, name = value[len(KEYRING_PREFIX) :].partition("/")
        if not (service and slash and name):
            raise InvalidInput(
                f"{key}: {value!r} is not a keyring reference",
                hint="write keyring:SERVICE/NAME (e.g. keyring:prima/casa-pepe-covermanager)",
            )


def resolve(key: str, value: str, *, where: str) -> str:
    """The secret's value; a reference that does not resolve (unset variable, missing or
    unsafe file, no keyring entry), or a value no platform can be sent (see
    :func:`check_value`), is a ConfigError (exit 78)."""
    if not is_reference(value):
        redact.register(value)
        check_value(key, value, where=where)
        return value
    resolved, source = _read(key, value, where=where)
    redact.register(resolved)
    check_value(key, resolved, where=f"{where}: {key} from {source}")
    return resolved


def _read(key: str, value: str, *, where: str) -> tuple[str, str]:
    """The referenced value and where it came from (for messages)."""
    from prima_cli.core import secret_sources

    if value.startswith(FILE_PREFIX):
        return secret_sources.read_file(key, value[len(FILE_PREFIX) :], where=where), value
    if value.startswith(KEYRING_PREFIX):
        service, _, name = value[len(KEYRING_PREFIX) :].partition("/")
        return secret_sources.read_keyring(key, service, name, where=where), value
    name = value[len(ENV_PREFIX) :]
    resolved = os.environ.get(name)
    if not resolved:
        raise ConfigError(
            f"{where}: {key} refers to the environment variable {name}, which is not set",
            hint=f"set {name} in the environment prima runs in (for cron: a {name}= line in "
            f"the crontab), or store the key itself with {_edit(where, key)}",
        )
    return resolved, name


def problem(key: str, value: object) -> str | None:
    """Why a stored reference does not resolve now, as :func:`resolve` would refuse it:
    unreadable, or a value no platform can be sent (None: it does, or it is literal)."""
    if not isinstance(value, str) or not is_reference(value):
        return None
    try:
        resolve(key, value, where="")
    except ConfigError as err:
        return err.message.removeprefix(": ")
    return None


def _edit(where: str, key: str) -> str:
    """The command that changes ``key`` of the connection ``where`` (``venue/type``)."""
    venue, _, kind = where.partition("/")
    command = f"prima platforms edit {venue} {kind or '...'} --store-secret --set {key}=-"
    return f"`{command}` (the key on stdin)"


def _flaw(value: str) -> tuple[int, str] | None:
    """The first character of ``value`` that a key cannot hold, as (position, what)."""
    if value.isascii() and value.isprintable():  # each flaw below is one or the other
        return None
    for index, char in enumerate(value, start=1):
        if char in "\r\n":
            return index, "a line break"
        if char == "\0":
            return index, "a NUL character"
        if "\udc80" <= char <= "\udcff":  # how Python reads a byte that is not UTF-8
            return index, f"a byte that is not UTF-8 text (0x{ord(char) - 0xDC00:02x})"
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
    """Secret keys whose reference does not resolve now (see :func:`problem`)."""
    return [key for key in secret_keys if problem(key, config.get(key)) is not None]


def literal(config: Mapping[str, object], secret_keys: Iterable[str]) -> list[str]:
    """Secret keys stored literally in the database (not a reference)."""
    return [
        key
        for key in secret_keys
        if isinstance(config.get(key), str) and not is_reference(str(config.get(key)))
    ]


def display(value: object, *, secret: bool) -> object:
    """How a configuration value may be shown: references as is, literal secrets masked,
    a URL's password (``base_url``) as ``***``."""
    if not isinstance(value, str):
        return value
    if not secret:
        return redact.mask_url(value) if "://" in value else value
    if is_reference(value):
        return value
    return redact.mask(value)


def register_literals(config: Mapping[str, object], secret_keys: Iterable[str]) -> None:
    """Register literal secrets of a stored configuration before anything is printed."""
    for key in secret_keys:
        value = config.get(key)
        if isinstance(value, str) and not is_reference(value):
            redact.register(value)


def not_stored(key: str, *, from_stdin: bool = False, missing: bool = False) -> InvalidInput:
    """The refusal of a secret that would be stored in clear without the operator asking."""
    if missing:
        what = f"missing required secret {key}"
    else:
        what = f"the {key} would be stored in the database in clear"
    how = f"--store-secret --set {key}=-" if from_stdin or missing else f"--set {key}=literal:..."
    return InvalidInput(
        f"{what}; prima stores a secret only when asked to",
        hint=f"pass a reference: --set {key}=env:NAME, file:/path or keyring:service/name; "
        f"or, to store it, {how}",
    )
