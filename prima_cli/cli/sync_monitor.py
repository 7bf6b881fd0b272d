"""The monitoring around one `platforms sync` (metrics file, pings), also when the run ends
in an error: every way out of the run is reported with its exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from prima_cli.errors import ExitCode, PrimaError

if TYPE_CHECKING:
    from prima_cli.cli.application import Application


class SyncMonitor:
    def __init__(self, app: Application, metrics_file: str | None, ping_url: str | None):
        from prima_cli.core.monitoring import Monitoring

        self.app = app
        self.monitoring = Monitoring.prepare(metrics_file, ping_url, app.http_options())
        self.active = metrics_file is not None or ping_url is not None
        self._reported = False

    @contextmanager
    def around(self) -> Iterator[None]:
        """Ping the start; on an error, report its exit code (the error still propagates)."""
        if not self.active:
            yield
            return
        self._warn(self.monitoring.start())
        try:
            yield
        except PrimaError as err:
            self._end(int(err.exit_code), {"error": err.to_dict()})
            raise
        except KeyboardInterrupt:
            self._end(int(ExitCode.INTERRUPTED), {"error": {"type": "interrupted"}})
            raise
        except Exception as exc:
            self._end(int(ExitCode.INTERNAL), {"error": {"type": type(exc).__name__}})
            raise

    def ended(self, code: int, document: Any) -> None:
        """The run ended with ``code``; ``document`` is its JSON summary."""
        if self.active:
            self._end(code, document)

    def _end(self, code: int, document: Any) -> None:
        from prima_cli.cli.output import to_json

        if self._reported:
            return
        self._reported = True
        store = self._store()
        self._warn(self.monitoring.finish(store, code, to_json(document, pretty=False)))

    def _store(self) -> Any:
        try:
            return self.app.store(require_schema=False)
        except PrimaError:
            return None

    def _warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            self.app.output.warn(warning)
