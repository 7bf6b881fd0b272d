"""The simulator as a background process: a run file says where it listens and with which
credentials, so that `prima sandbox env` and `prima sandbox stop` find it from any shell.

The run file (JSON: ``pid``, ``base_url`` and the credentials) is written once the server
listens and removed when it stops; one whose process is gone counts as no sandbox at all.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: how long a detached start or a stop may take before prima gives up on it
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Running:
    """A sandbox found through its run file."""

    pid: int
    document: dict[str, Any]  # base_url and the credentials, as `sandbox serve --json`

    @property
    def base_url(self) -> str:
        return str(self.document["base_url"])


def write(path: Path, document: dict[str, Any]) -> None:
    """Record the sandbox of this process (atomically: a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"pid": os.getpid(), **document}, handle)
    partial.replace(path)


def remove(path: Path) -> None:
    """Forget this process's sandbox (never another process's run file)."""
    found = read(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to signal
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a recycled pid is some other program: not our sandbox
        try:
            return b"sandbox" in cmdline.read_bytes()
        except OSError:
            return False
    return True


def read(path: Path) -> Running | None:
    """The sandbox recorded in ``path`` if its process still runs."""
    try:
        data = json.loads(path.read_text())
        pid = int(data.pop("pid"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Running(pid, data) if _alive(pid) else None


def detach(argv: Sequence[str], run_file: Path, log_file: Path) -> Running:
    """Start ``prima sandbox serve ARGV`` in its own session, its output in ``log_file``;
    return once it listens. Raises RuntimeError with the end of its log if it stops first."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    run_file.unlink(missing_ok=True)
    with open(log_file, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "prima_cli", "sandbox", "serve", *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the shell that started it leaves it running
            env={**os.environ, "PRIMA_FORCE_TTY": "0"},
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = read(run_file)
        if found is not None and found.pid == child.pid:
            return found
        if child.poll() is not None:
            break
        time.sleep(0.05)
    if child.poll() is None:
        child.terminate()
    tail = log_file.read_text(errors="replace").strip().splitlines()[-3:]
    raise RuntimeError("; ".join(tail) or "the sandbox did not start")


def stop(found: Running) -> bool:
    """Ask the sandbox to stop (SIGTERM) and wait for it; False if it is still running."""
    try:
        os.kill(found.pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(found.pid):
            return True
        time.sleep(0.05)
    return False


def _first(items: list[dict[str, Any]], usable: Any) -> dict[str, Any]:
    return next((item for item in items if usable(item)), items[0])


def environment(found: Running) -> dict[str, str]:
    """Variables for a shell: each platform's base URL, key and a venue that books."""
    cm, restoo = found.document["covermanager"], found.document["restoo"]
    restaurant = _first(cm["restaurants"], lambda r: r["can_book"])
    account = _first(
        restoo["accounts"], lambda a: a["booking_status"] == "CONFIRMED" and not a["waitlist"]
    )
    return {
        "CM_URL": cm["base_url"],
        "CM_KEY": cm["api_key"],
        "CM_RESTAURANT": restaurant["slug"],
        "RESTOO_URL": restoo["base_url"],
        "RESTOO_KEY": restoo["api_key"],
        "RESTOO_ACCOUNT": account["account"],
        "RESTOO_PARTNER": restoo["partner"],
    }


#: the `--set` values of each platform, in terms of the variables above
SETTINGS = {
    "covermanager": (
        "--set base_url=$CM_URL --set restaurant_id=$CM_RESTAURANT --set api_key=env:CM_KEY"
    ),
    "restoo": (
        "--set base_url=$RESTOO_URL --set account=$RESTOO_ACCOUNT "
        "--set partner_id=$RESTOO_PARTNER --set api_key=env:RESTOO_KEY"
    ),
}


def shell_lines(found: Running, shell: str = "sh") -> Iterator[str]:
    """``export`` lines (``set -gx`` for fish) and, as comments, each platform's settings."""
    for name, value in environment(found).items():
        quoted = shlex.quote(value)
        yield f"set -gx {name} {quoted}" if shell == "fish" else f"export {name}={quoted}"
    for platform, settings in SETTINGS.items():
        yield f"# prima platforms add VENUE {platform} {settings}"
