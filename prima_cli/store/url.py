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
        return normalise(cli_value), "--db"
    env = os.environ.get(ENV_VAR)
    if env:
        return normalise(env), ENV_VAR
    return default_url(), "default"


def normalise(value: str) -> str:
    """Accept a bare file path for SQLite and pick our drivers for bare dialect names."""
    value = value.strip()
    if not _SCHEME.match(value):
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    return f"{_DRIVER_DEFAULTS.get(scheme.lower(), scheme)}://{rest}"


def mask_password(url: str) -> str:
    """The URL with its password replaced by ``***``, in the userinfo and in a ``password=``
    query parameter (no SQLAlchemy needed)."""
    from prima_cli.redact import mask_url_passwords

    return mask_url_passwords(url)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other dialects and in-memory databases."""
    match = re.match(r"^sqlite(?:\+\w+)?:///(.*?)(\?.*)?$", url)
    if not match or match.group(1) in ("", ":memory:"):
        return None
    return Path(match.group(1))
