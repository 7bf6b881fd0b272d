"""Shared fixtures: an isolated data directory, an in-process CLI runner with an injected
terminal, the real `prima` executable, and fresh PostgreSQL/MariaDB databases."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prima_cli import redact
from prima_cli.cli.main import main
from prima_cli.cli.terminal import Terminal
from tests.scratch_databases import fresh_database

POSTGRES_ENV = "PRIMA_TEST_POSTGRES_URL"
MYSQL_ENV = "PRIMA_TEST_MYSQL_URL"


def pytest_configure(config: pytest.Config) -> None:
    """Tests stop the prima processes they start with Ctrl-C (SIGINT). A suite started in
    the background by a shell without job control (`cmd &` in a script, nohup) inherits
    SIGINT ignored, and an ignored signal stays ignored across exec: every prima it started
    would ignore Ctrl-C, as a background job should, and those tests would fail for a reason
    that is not prima's. A handled signal is reset to the default on exec, so the suite
    handles it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PRIMA_DATA_DIR", str(data))
    for name in ("PRIMA_DATABASE_URL", "PRIMA_FORCE_TTY", "NO_COLOR", "PRIMA_NO_PROMPT"):
        monkeypatch.delenv(name, raising=False)
    redact.forget_all()
    return data


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        return json.loads(self.stderr)["error"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool, value: str = "") -> None:
        super().__init__(value)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


class CLI:
    """Runs prima in-process through ``main()`` with an injected terminal."""

    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url

    def __call__(
        self, *args: str, input: str = "", tty: bool = False, no_color: bool = False
    ) -> Result:
        argv: list[str] = []
        if self.db_url:
            argv += ["--db", self.db_url]
        argv += list(args)
        out, err = _Stream(tty), _Stream(tty)
        terminal = Terminal(
            stdin=_Stream(tty, input),
            stdout=out,
            stderr=err,
            stdin_tty=tty,
            stdout_tty=tty,
            stderr_tty=tty,
            no_color=no_color,
        )
        code = main(argv, terminal)
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, **kw: Any) -> Result:
        result = self(*args, **kw)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}"
        return result


@pytest.fixture
def cli() -> CLI:
    """In-process CLI on the default SQLite store in the temporary data directory."""
    return CLI()


@pytest.fixture
def migrated(cli: CLI) -> CLI:
    cli.ok("db", "migrate")
    return cli


# --- the real executable --------------------------------------------------------------


def prima_executable() -> list[str]:
    exe = shutil.which("prima", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "prima_cli"]


def run_prima(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*prima_executable(), *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=timeout,
    )


# --- server databases --------------------------------------------------------------------


def _server_url(env: str, what: str) -> str:
    admin = os.environ.get(env)
    if not admin:
        if os.environ.get("PRIMA_REQUIRE_SERVICES"):
            pytest.fail(f"{env} is not set but PRIMA_REQUIRE_SERVICES is: {what} tests must run")
        pytest.skip(f"{env} is not set (URL of a {what} server)")
    return admin


@pytest.fixture
def postgres_admin_url() -> str:
    """The PostgreSQL server's own URL (for tools that make their own scratch database)."""
    return _server_url(POSTGRES_ENV, "PostgreSQL")


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    with fresh_database(postgres_admin_url) as url:
        yield url


@pytest.fixture
def mysql_url() -> Iterator[str]:
    with fresh_database(_server_url(MYSQL_ENV, "MariaDB/MySQL")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each supported dialect."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'any.db'}"
    return request.getfixturevalue(f"{request.param}_url")
