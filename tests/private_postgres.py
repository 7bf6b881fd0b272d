"""A PostgreSQL server of a test's own (its data directory, a free port on 127.0.0.1, trust
authentication), which the test may stop, kill and start again. The shared server of
``PRIMA_TEST_POSTGRES_URL`` is never touched.

Plain Python (no pytest) so that fixtures and scripts alike can use it::

    with PrivatePostgres() as pg:
        pg.url          # postgresql://postgres@127.0.0.1:PORT/postgres
        pg.stop()       # a fast shutdown: clients get "terminating connection due to
                        # administrator command"
        pg.kill()       # SIGKILL of the server and its backends: connections just drop
        pg.start()

Every state change waits for its condition (``pg_isready``, the process exiting, the port
closing), never for a fixed time. The server is this process's own child (not daemonised by
``pg_ctl``), so that a killed server is reaped at once and its pid file is stale for the next
start. Under root, it runs as the ``postgres`` user (PostgreSQL refuses to run as root),
through ``setpriv``, which executes it in place, so that signals reach the server itself.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

#: how long a start or a stop may take before the helper gives up (a loaded CI machine)
TIMEOUT_SECONDS = 60.0
_POLL_SECONDS = 0.05


class PostgresUnavailable(RuntimeError):
    """This machine cannot run a private PostgreSQL (no binaries, no unprivileged user)."""


def find_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` with ``initdb``, else ``initdb`` on PATH."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bin_dir in candidates:
        if (bin_dir / "initdb").is_file():
            return bin_dir
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT_SECONDS) -> None:
    """Poll ``condition`` until it holds; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(_POLL_SECONDS)


class PrivatePostgres:
    """One throwaway PostgreSQL cluster; ``start()`` on first use (or ``with``)."""

    def __init__(self, *, port: int | None = None) -> None:
        self.bin_dir = find_bin_dir()
        self._as_user: list[str] = []
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses root
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no `postgres` user"
                ) from None
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise PostgresUnavailable("running as root and there is no `setpriv`")
            self._as_user = [setpriv, "--reuid=postgres", "--regid=postgres", "--init-groups",
                             "--"]  # fmt: skip
        self.root = Path(tempfile.mkdtemp(prefix="prima-pg-"))
        if owner is not None:
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port = port or free_port()
        self._initialised = False
        self._server: subprocess.Popen[bytes] | None = None

    # --- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's URL (database ``postgres``, user ``postgres``, no password)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    # --- lifecycle ------------------------------------------------------------------------

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self._as_user, str(self.bin_dir / tool), *args]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                              cwd=self.root, env={**os.environ, "LC_ALL": "C"})  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}\n"
                f"server log:\n{self.log_tail()}"
            )
        return proc

    def _initdb(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        self._initialised = True

    def start(self) -> None:
        """Start the server (initialising it the first time); returns once it accepts
        connections. Idempotent."""
        if not self._initialised:
            self._initdb()
        if self._server is not None and self._server.poll() is None:
            return
        command = [*self._as_user, str(self.bin_dir / "postgres"), "-D", str(self.data_dir),
                   "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                   "-c", "unix_socket_directories=", "-c", "fsync=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=50"]  # fmt: skip
        with self.log_file.open("ab") as log:
            self._server = subprocess.Popen(command, stdout=log, stderr=log, cwd=self.root,
                                            stdin=subprocess.DEVNULL)  # fmt: skip
        server = self._server

        def up() -> bool:
            if server.poll() is not None:
                raise RuntimeError(f"the private PostgreSQL exited {server.returncode} on "
                                   f"start:\n{self.log_tail()}")  # fmt: skip
            return self.ready()

        wait_until(up, f"the private PostgreSQL on port {self.port} to accept connections")

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down and return once it has exited and the port is free.

        ``fast``: sessions end as on an administrator's shutdown (clients get SQLSTATE
        57P01); ``immediate``: as on a crash; ``smart``: once every client has left.
        """
        signals = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}
        self._end(signals[mode], [])

    def kill(self) -> None:
        """SIGKILL the server and every backend (connections drop without a word), and
        return once none of them is alive and the port is free."""
        server = self._server
        if server is None or server.poll() is not None:
            return
        backends = _children(server.pid)
        for backend in backends:
            with contextlib.suppress(ProcessLookupError):
                os.kill(backend, signal.SIGKILL)
        self._end(signal.SIGKILL, backends)

    def _end(self, signum: int, backends: Sequence[int]) -> None:
        server, self._server = self._server, None
        if server is None or server.poll() is not None:
            return
        server.send_signal(signum)
        server.wait(timeout=TIMEOUT_SECONDS)
        wait_until(lambda: not any(_alive(b) for b in backends), "the killed backends to exit")
        wait_until(lambda: not _port_open(self.port), f"port {self.port} to close")

    def close(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- state ----------------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether the server accepts connections (``pg_isready``)."""
        proc = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-t", "2"],
            capture_output=True, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
        return proc.returncode == 0

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs, else None."""
        server = self._server
        return server.pid if server is not None and server.poll() is None else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def create_database(self, name: str) -> str:
        """Create database ``name``; its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, closing its sessions (the server must be running)."""
        self._run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "--force", "--if-exists", name)  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _children(pid: int) -> Sequence[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found
