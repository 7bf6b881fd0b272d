"""Where referenced secrets are read from, besides the environment: files readable by their
owner only (``file:/path``) and the system keyring (``keyring:service/name``, through the
optional ``keyring`` package). Each is read when used, never stored."""

from __future__ import annotations

import os
import stat

from prima_cli.errors import ConfigError


def read_file(key: str, path: str, *, where: str) -> str:
    """The secret in ``path``, surrounding whitespace (the file's final newline) removed.
    Refused when the file is not a regular file, or when its group or others may read or
    write it: a key that others can read is no longer a secret."""
    if not path.isprintable():
        raise ConfigError(f"{where}: {key} refers to {path!r}, a path with a control character")
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ConfigError(
            f"{where}: {key} refers to the file {path!r}, which cannot be read: "
            f"{getattr(exc, 'strerror', None) or exc}",
            hint=f"create it with the key and `chmod 600 {path}`, owned by the user prima runs as",
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{where}: {key} refers to {path}, which is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{where}: {key} refers to the file {path}, which its group or others can access "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); it was not read",
            hint=f"`chmod 600 {path}` (and change the key if others may have read it)",
        )
    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: {key}: cannot read {path}: {exc}") from None
    if not value:
        raise ConfigError(f"{where}: {key} refers to the file {path}, which is empty")
    return value


def read_keyring(key: str, service: str, name: str, *, where: str) -> str:
    """The secret the system keyring holds for ``service``/``name``."""
    try:
        import keyring
    except ImportError:
        raise ConfigError(
            f"{where}: {key} refers to the keyring, but the keyring package is not installed",
            hint="pip install 'prima-cli[keyring]' (or use env: or file: references)",
        ) from None
    try:
        value = keyring.get_password(service, name)
    except Exception as exc:  # NoKeyringError (no backend here), or a backend's own failure
        raise ConfigError(
            f"{where}: {key} refers to the keyring, which cannot be used here: "
            f"{type(exc).__name__}: {exc}",
            hint="install a keyring backend for this user, or use env: or file: references "
            "(a cron job often has no keyring session)",
        ) from None
    if not value:
        raise ConfigError(
            f"{where}: {key} refers to the keyring entry {service}/{name}, which does not exist",
            hint=f"`keyring set {service} {name}` as the user prima runs as",
        )
    return value
