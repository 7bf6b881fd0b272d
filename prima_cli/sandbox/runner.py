"""The :class:`Sandbox` object: start, stop and inspect one simulator."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

from prima_cli.sandbox import covermanager, restoo
from prima_cli.sandbox.app import RequestRecord, SandboxApp
from prima_cli.sandbox.config import SandboxConfig, Switches
from prima_cli.sandbox.faults import FaultRule
from prima_cli.sandbox.seed import COVERMANAGER, RESTOO, RIGHT_BOOK, RIGHT_CANCEL, build_seed
from prima_cli.sandbox.server import SandboxHTTPServer
from prima_cli.sandbox.state import SandboxState


@dataclass(frozen=True)
class CoverManagerRestaurant:
    slug: str
    name: str
    timezone: str
    country: str
    city: str
    can_book: bool  # False: the key may read but not create/cancel ("Action not permited")
    can_cancel: bool


@dataclass(frozen=True)
class CoverManagerCredentials:
    base_url: str
    api_key: str
    restaurants: tuple[CoverManagerRestaurant, ...]


@dataclass(frozen=True)
class RestooAccount:
    account: str
    name: str
    timezone: str
    country: str
    city: str
    booking_status: str  # CONFIRMED or REQUESTED for an accepted booking
    waitlist: bool  # a full slot gives PENDING_WAIT_LIST_BOOKING


@dataclass(frozen=True)
class RestooCredentials:
    base_url: str
    partner: str
    api_key: str
    accounts: tuple[RestooAccount, ...]


@dataclass(frozen=True)
class Credentials:
    """What an operator needs to connect venues to the sandbox."""

    covermanager: CoverManagerCredentials
    restoo: RestooCredentials

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Sandbox:
    """One simulator of CoverManager and Restoo on a local port.

    Use as a context manager (``with Sandbox() as sb:``), or call :meth:`start` and
    :meth:`stop`, or :meth:`serve_forever` in the foreground.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        """Seed the platforms and load ``config.state_path`` if it exists.

        Raises ValueError for a state file that is unreadable or from another seed.
        """
        self.config = config or SandboxConfig()
        self.seed = build_seed(
            self.config.seed,
            slot_capacity=self.config.slot_capacity,
            max_party=self.config.max_party,
        )
        self.state = SandboxState(
            self.seed,
            window_days=self.config.booking_window_days,
            clock=self.config.clock,
            path=self.config.state_path,
            id_salt=self.config.id_salt,
        )
        self._app = SandboxApp(self.config, self.state)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._app.stopping.clear()
        self._stopped.clear()
        self._server = SandboxHTTPServer((self.config.host, self.config.port), self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits up to one interval
            name=f"prima-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and release the port (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._app.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._stopped.set()

    def serve_forever(self) -> None:
        """Serve in the foreground until :meth:`stop` or Ctrl-C (then stops cleanly)."""
        self.start()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses and credentials -------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        # a wildcard bind is reachable on loopback; that is the address clients should use
        host = "127.0.0.1" if self.config.host in ("", "0.0.0.0") else self.config.host
        return f"http://{host}:{self.port}"

    @property
    def covermanager_base_url(self) -> str:
        return self.base_url + covermanager.PREFIX

    @property
    def restoo_base_url(self) -> str:
        return self.base_url + restoo.PREFIX

    def credentials(self) -> Credentials:
        """The seeded keys, restaurants and accounts (base URLs need a running sandbox)."""
        cm_base = self.covermanager_base_url if self.running else covermanager.PREFIX
        restoo_base = self.restoo_base_url if self.running else restoo.PREFIX
        return Credentials(
            covermanager=CoverManagerCredentials(
                base_url=cm_base,
                api_key=self.seed.cm_key,
                restaurants=tuple(
                    CoverManagerRestaurant(
                        v.slug,
                        v.name,
                        v.timezone,
                        v.country,
                        v.city,
                        can_book=RIGHT_BOOK in v.rights,
                        can_cancel=RIGHT_CANCEL in v.rights,
                    )
                    for v in self.seed.of(COVERMANAGER)
                ),
            ),
            restoo=RestooCredentials(
                base_url=restoo_base,
                partner=self.seed.restoo_partner,
                api_key=self.seed.restoo_key,
                accounts=tuple(
                    RestooAccount(
                        v.slug, v.name, v.timezone, v.country, v.city, v.booking_status, v.waitlist
                    )
                    for v in self.seed.of(RESTOO)
                ),
            ),
        )

    # --- knobs for tests ---------------------------------------------------------------

    @property
    def switches(self) -> Switches:
        return self._app.switches

    @switches.setter
    def switches(self, value: Switches) -> None:
        """Swap the switches at runtime (applies from the next request)."""
        self._app.switches = value

    def inject(self, rule: FaultRule | str) -> FaultRule:
        """Add a fault rule (a :class:`FaultRule` or a spec string); returns the rule."""
        return self._app.faults.add(rule)

    def clear_faults(self) -> None:
        self._app.faults.clear()

    @property
    def faults(self) -> list[FaultRule]:
        """The live fault rules (a rule with ``times`` leaves once used up)."""
        return self._app.faults.rules

    @property
    def requests_log(self) -> list[RequestRecord]:
        """Every request handled so far, oldest first (a copy)."""
        return self._app.log

    def clear_requests_log(self) -> None:
        self._app.clear_log()
