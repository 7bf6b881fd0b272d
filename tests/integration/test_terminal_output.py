"""Terminal output through the real executable on a real pseudo-terminal (60 and 80 columns):
identifiers whole, control characters from data escaped, zones labelled, a closed pipe quiet."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings

HOSTILE = "Red\x1b[41mZone\x9b2J\x07"


def on_pty(args: list[str], columns: int, env: dict[str, str]) -> tuple[int, str]:
    """Run prima with stdin, stdout and stderr on a pseudo-terminal ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    full_env.update(env, TERM="xterm-256color")
    proc = subprocess.Popen([*prima_executable(), *args], stdin=slave, stdout=slave,
                            stderr=slave, env=full_env, close_fds=True)  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def booked(migrated: CLI, sandbox: Sandbox, isolated_env: Path) -> list[str]:
    """Two venues in different zones, one named with terminal escapes, and a booking each."""
    migrated.ok("venues", "add", HOSTILE, "--slug", "red-zone", "--timezone", "Europe/Madrid",
                "--country", "ES")  # fmt: skip
    migrated.ok("venues", "add", "Roma Norte", "--slug", "roma-norte-cdmx",
                "--timezone", "America/Mexico_City", "--country", "MX")  # fmt: skip
    refs = []
    for slug, restaurant in (
        ("red-zone", "prima-sbx-madrid"),
        ("roma-norte-cdmx", "prima-sbx-cdmx"),
    ):
        migrated.ok("platforms", "add", slug, "covermanager", *cm_settings(sandbox, restaurant))
        made = migrated.ok("bookings", "create", slug, "--date", "+3d", "--time", "20:00",
                           "--party", "2", "--name", "Lucía Fernández\x1b]0;pwned\x07",
                           "--email", "lucia@example.org", "--phone", "+34612483907",
                           "--notes", "window \x1b[2J seat", "--json")  # fmt: skip
        refs.append(made.json()["reference"])
    return refs


@pytest.mark.parametrize("columns", [60, 80])
def test_lists_on_a_pty_keep_identifiers_whole_and_escape_controls(
    booked: list[str], isolated_env: Path, columns: int
) -> None:
    env = {"PRIMA_DATA_DIR": str(isolated_env)}
    code, screen = on_pty(["bookings", "list"], columns, env)
    assert code == 0, screen
    for ref in booked:
        assert ref in screen  # never "PRM-U23P..." or folded over two lines
    assert "roma-norte-cdmx" in screen and "red-zone" in screen
    assert "CET" in screen and "CST" in screen  # local times say whose zone they are in
    width = max(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in screen.splitlines())
    assert width <= columns
    code, screen = on_pty(["venues", "list"], columns, env)
    assert code == 0
    assert "\x1b[41m" not in screen and "\x9b" not in screen and "\x07" not in screen
    assert "Red" in screen  # shown, its controls escaped (and folded at this width)
    code, screen = on_pty(["bookings", "show", booked[0]], columns, env)
    assert code == 0
    assert "\x1b]0;" not in screen and "\x1b[2J" not in screen
    assert "\\x1b]0;pwned\\x07" in screen.replace("\r\n", "")
    code, screen = on_pty(["platforms", "list"], columns, env)
    assert code == 0 and "covermanager" in screen
    assert "api_key" not in screen  # configuration belongs in `platforms show`


def test_no_color_pty_output_has_no_escape_at_all(booked: list[str], isolated_env: Path) -> None:
    code, screen = on_pty(["venues", "list"], 80,
                          {"PRIMA_DATA_DIR": str(isolated_env), "NO_COLOR": "1"})  # fmt: skip
    assert code == 0
    assert "\x1b" not in screen and "\x9b" not in screen


def test_piped_and_json_output_carry_no_raw_controls(booked: list[str], cli: CLI) -> None:
    piped = cli.ok("venues", "list")
    assert "\x1b" not in piped.stdout and "\x9b" not in piped.stdout
    assert "Red\\x1b[41mZone\\x9b2J\\x07" in piped.stdout
    as_json = cli.ok("venues", "list", "--json")
    assert "\x9b" not in as_json.stdout and "\x1b" not in as_json.stdout
    assert any(v["name"] == HOSTILE for v in as_json.json())  # the data itself is kept
    failed = cli("venues", "show", "no\x1b[2Jsuch")
    assert failed.exit_code == 3 and "\x1b" not in failed.stderr


def test_a_closed_pipe_ends_quietly_with_the_shells_status(
    booked: list[str], isolated_env: Path
) -> None:
    for n in range(200):
        CLI()("venues", "add", f"Venue {n}")
    done = subprocess.run(
        ["bash", "-c", f"{' '.join(prima_executable())} venues list | head -1; "
         "echo ${PIPESTATUS[0]} >&2"],
        capture_output=True, text=True, env={**os.environ, "PRIMA_DATA_DIR": str(isolated_env)},
    )  # fmt: skip
    assert done.stdout.count("\n") == 1
    assert done.stderr.strip() == "141"  # no "internal error", no traceback


def _slow_venue(cli: CLI, latency_ms: int) -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=7, latency_ms=latency_ms)) as slow:
        cli.ok("db", "migrate")
        cli.ok("venues", "add", "Casa Pepe", "--timezone", "Europe/Madrid", "--country", "ES")
        cli.ok("platforms", "add", "casa-pepe", "covermanager", *cm_settings(slow), "--no-test")
        yield slow


@pytest.fixture
def slow_platform(cli: CLI) -> Iterator[Sandbox]:
    yield from _slow_venue(cli, 1600)


AVAILABILITY = ["bookings", "availability", "casa-pepe", "--date", "tomorrow", "--party", "2"]


def test_a_slow_call_shows_a_status_line_on_a_terminal_only(
    slow_platform: Sandbox, isolated_env: Path
) -> None:
    env = {"PRIMA_DATA_DIR": str(isolated_env)}
    code, screen = on_pty(AVAILABILITY, 80, env)
    assert code == 0, screen
    assert "CoverManager, attempt 1 of 4 ..." in screen
    assert "\r\x1b[2K" in screen  # erased once the answer came
    piped = subprocess.run([*prima_executable(), *AVAILABILITY], capture_output=True, text=True,
                           env={**os.environ, **env}, timeout=60)  # fmt: skip
    assert piped.returncode == 0
    assert "attempt" not in piped.stderr and "\x1b" not in piped.stderr


@pytest.fixture
def hanging_platform(cli: CLI) -> Iterator[Sandbox]:
    yield from _slow_venue(cli, 20_000)


def test_ctrl_c_during_a_slow_call_says_interrupted_and_exits_130(
    hanging_platform: Sandbox, isolated_env: Path
) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    env = {**os.environ, "PRIMA_DATA_DIR": str(isolated_env), "TERM": "xterm"}
    proc = subprocess.Popen([*prima_executable(), *AVAILABILITY], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True)  # fmt: skip
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 30
    while b"attempt 1 of 4" not in screen and time.monotonic() < deadline:
        screen += os.read(master, 4096)
    assert b"attempt 1 of 4" in screen
    proc.send_signal(signal.SIGINT)  # what ^C sends to the foreground process
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        screen += data
    os.close(master)
    assert proc.wait(timeout=30) == 130
    text = screen.decode()
    assert text.rstrip().endswith("interrupted")
    assert "Traceback" not in text
