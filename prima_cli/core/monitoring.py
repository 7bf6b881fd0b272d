"""What an unattended sync leaves for monitoring, around the run itself: the Prometheus
textfile (``--metrics-file``) and healthchecks.io-style pings (``--ping-url``: ``/start``
when it begins; the URL itself on success, ``/<exit code>`` on failure, with the run's JSON
summary as the body).

Monitoring never changes how the run ends: a ping or a metrics file that cannot be written
is a warning (cron still mails it), never the run's exit code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from prima_cli.core.http_options import HttpOptions
from prima_cli.errors import InvalidInput, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.core.health import SyncFacts
    from prima_cli.store.store import Store

#: a ping never holds a job for long: one attempt with these timeouts (seconds)
PING_TIMEOUTS = (5.0, 10.0)


@dataclass
class Monitoring:
    metrics_path: Path | None = None
    ping_url: str | None = None
    http: HttpOptions = field(default_factory=HttpOptions)
    started_at: dt.datetime = field(default_factory=utcnow)

    @classmethod
    def prepare(cls, metrics_file: str | None, ping_url: str | None,
                http: HttpOptions) -> Monitoring:  # fmt: skip
        """Check the options before anything runs (bad input is exit 2 or 78 at once)."""
        from prima_cli.core import metrics

        path = metrics.check_path(metrics_file) if metrics_file else None
        if ping_url is not None:
            parts = urlsplit(ping_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or not _port_ok(parts):
                raise InvalidInput(
                    f"--ping-url must be an http(s) URL, not {_shown(ping_url)!r}",
                    hint="e.g. --ping-url https://hc-ping.com/<your check's uuid>",
                )
        return cls(path, ping_url.rstrip("/") if ping_url else None, http)

    def start(self) -> list[str]:
        """Say that the run began (``/start``); warnings."""
        return self._ping("/start", b"")

    def finish(self, store: Store | None, exit_code: int, body: str) -> list[str]:
        """Write the metrics and ping how the run ended; warnings."""
        warnings: list[str] = []
        if self.metrics_path is not None:
            from prima_cli.core import metrics

            run = metrics.RunMetrics(self.started_at, utcnow(), exit_code)
            try:
                metrics.write(self.metrics_path, run, _facts(store))
            except PrimaError as err:
                warnings.append(err.message)
        suffix = "" if exit_code == 0 else f"/{exit_code}"
        warnings += self._ping(suffix, body.encode())
        return warnings

    def _ping(self, suffix: str, body: bytes) -> list[str]:
        if self.ping_url is None:
            return []
        from prima_cli.core.platform_calls import run

        url = self.ping_url + suffix
        try:
            status = run(_post(url, body, self.http))
        except Exception as exc:  # any failure to ping is only a warning
            return [f"could not ping {_shown(url)}: {type(exc).__name__}: {exc}"]
        if not 200 <= status < 300:
            return [f"could not ping {_shown(url)}: HTTP {status}"]
        return []


async def _post(url: str, body: bytes, http: HttpOptions) -> int:
    from dataclasses import replace

    from prima_cli.core.platform_calls import open_client

    connect, read = PING_TIMEOUTS
    options = replace(http, connect_timeout=min(http.connect_timeout, connect),
                      read_timeout=min(http.read_timeout, read), max_connections=1)  # fmt: skip
    async with open_client(options) as client:
        response = await client.post(url, content=body)
        return response.status_code


def _shown(url: str) -> str:
    """A ping URL as shown: scheme, host and port only (its path is the check's secret)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if _port_ok(parts) and parts.port else ""
    return f"{parts.scheme}://{host}{port}/..."


def _port_ok(parts: SplitResult) -> bool:
    """Whether the URL's port, if it has one, is a number from 0 to 65535 (``.port`` raises
    ValueError otherwise)."""
    try:
        parts.port  # noqa: B018 - read for its check
    except ValueError:
        return False
    return True


def _facts(store: Store | None) -> SyncFacts | None:
    """The store's account of the sync, or None when it cannot be read now."""
    if store is None:
        return None
    from prima_cli.core.health import read_facts

    try:
        return read_facts(store)
    except Exception:  # the database is down or broken: the metrics carry the old values
        return None
