"""Running prima as cron does: the real executable with an emptied environment (as
``env -i``: only PATH and the PRIMA_* and key variables given), no terminal, stdin from
/dev/null; and a loopback HTTP server that records pings."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import prima_executable


def cron_env(**extra: str) -> dict[str, str]:
    """What cron gives a job: PATH, plus the job's own variables."""
    exe = Path(prima_executable()[0])
    env = {"PATH": f"{exe.parent}:/usr/bin:/bin", "PRIMA_DATA_DIR": os.environ["PRIMA_DATA_DIR"]}
    env.update(extra)
    return env


def cron_run(*args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prima_executable(), *args],
        env=cron_env(**extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Pings:
    """The requests a ping server received, in order: (method, path, body)."""

    url: str
    received: list[tuple[str, str, bytes]] = field(default_factory=list)
    status: int = 200

    def paths(self) -> list[str]:
        return [path for _method, path, _body in self.received]


@contextmanager
def ping_server() -> Iterator[Pings]:
    pings = Pings("")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            pings.received.append((self.command, self.path, self.rfile.read(length)))
            self.send_response(pings.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        do_GET = do_POST = _record

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pings.url = f"http://127.0.0.1:{server.server_address[1]}/ping/3f1c9a7e-check"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pings
    finally:
        server.shutdown()
        server.server_close()
