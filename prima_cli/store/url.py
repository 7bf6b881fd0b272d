"""Where the database is: resolving, normalising and masking database URLs.

No SQLAlchemy import at module level: ``prima doctor`` and error paths use this cheaply.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV_VAR = "PRIMA_DATABASE_URL"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Drivers we ship extras for; SQLAlchemy's own defaults (psycopg2, mysqlclient) are not installed.
_DRIVER_DEFAULTS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def data_dir() -> Path:
    """The platformdirs user data directory of prima (``PRIMA_DATA_DIR`` overrides it)."""
    override = os.environ.get("PRIMA_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("prima", appauthor=False)


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'prima.db'}"


def resolve(cli_value: str | None) -> tuple[str, str]:
    """The database URL and where it came from: ``--db``, the environment, or the default."""
    if cli_value is not None:
        if not cli_value.strip():
            from prima_cli.errors import InvalidInput

            raise InvalidInput("--db is empty", hint="give a database URL or a SQLite file path")
        return normalise(cli_value, source="--db"), "--db"
    env = os.environ.get(ENV_VAR)
    if env:
        return normalise(env, source=ENV_VAR), ENV_VAR
    return default_url(), "default"


def normalise(value: str, *, source: str = "the database URL") -> str:
    """Accept a bare file path for SQLite and pick our drivers for bare dialect names.

    A value without a scheme that holds ``@`` or ``:`` is refused (ConfigError): it is a
    URL that lost its ``scheme://`` far more often than a file name, and as a path it
    would create a SQLite file in folders named after its user and password.
    """
    value = value.strip()
    if not _SCHEME.match(value):
        if _looks_like_url(value):
            from prima_cli.errors import ConfigError

            raise ConfigError(
                f"{source} holds '@' or ':' but no scheme (like postgresql://): it looks "
                "like a database URL, not a SQLite file path",
                hint="write the URL in full (postgresql://user:pass@host/db), or give a SQLite "
                "file as ./NAME.db or an absolute path",
            )
        return f"sqlite:///{_absolute(value, source)}"
    scheme, rest = value.split("://", 1)
    return f"{_DRIVER_DEFAULTS.get(scheme.lower(), scheme)}://{rest}"


def _looks_like_url(value: str) -> bool:
    explicit_path = value.startswith(("/", "./", "../", "~"))
    return not explicit_path and ("@" in value or ":" in value)


def _absolute(value: str, source: str) -> Path:
    try:
        return Path(value).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # too long, a loop, a NUL
        from prima_cli.errors import ConfigError

        raise ConfigError(
            f"{source} is not a usable SQLite file path ({_shortened(value)}): {_reason(exc)}",
            hint="give a shorter path to a file in an existing, writable folder",
        ) from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[0]


def mask_password(url: str) -> str:
    """The URL with its password replaced by ``***``, in the userinfo and in a ``password=``
    query parameter (no SQLAlchemy needed)."""
    from prima_cli.redact import mask_url

    return mask_url(url)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other dialects and in-memory databases."""
    match = re.match(r"^sqlite(?:\+\w+)?:///(.*?)(\?.*)?$", url)
    if not match or match.group(1) in ("", ":memory:"):
        return None
    return Path(match.group(1))


def file_exists(path: Path) -> bool:
    """Whether the SQLite file exists; a path the OS refuses to look up (a name too long,
    a file where a folder should be) is a ConfigError naming why."""
    try:
        return path.exists()
    except OSError as exc:
        from prima_cli.errors import ConfigError

        raise ConfigError(
            f"cannot use the database file {_shortened(str(path))}: {_reason(exc)}",
            hint="pass --db with a usable path or set PRIMA_DATABASE_URL",
        ) from None


def _shortened(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"
