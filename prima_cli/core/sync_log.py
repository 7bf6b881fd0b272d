"""The sync's log events (logger ``prima.sync``), with the fields a log shipper indexes:
``run_id``, ``connection_id``, ``venue``, ``platform``, ``status``, ``error_type`` and
``duration_ms``. Informational: shown with ``-v`` or in a structured ``--log-format``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prima_cli.core.sync_values import ConnectionOutcome, SyncOptions

log = logging.getLogger("prima.sync")


def run_started(run_id: int, options: SyncOptions) -> None:
    log.info("sync run %s started (%s)", run_id, options.trigger,
             extra={"event": "sync.run.started", "run_id": run_id})  # fmt: skip


def connection_done(run_id: int, outcome: ConnectionOutcome) -> None:
    err = outcome.error
    where = f"{outcome.venue_slug}/{outcome.platform_type}"
    log.info(
        f"{where}: {outcome.status}" + (f": {err.message}" if err else ""),
        extra={"event": "sync.connection", "run_id": run_id,
               "connection_id": outcome.connection_id, "venue": outcome.venue_slug,
               "platform": outcome.platform_type, "status": outcome.status,
               "error_type": err.type if err else None, "duration_ms": outcome.duration_ms},
    )  # fmt: skip


def run_finished(run_id: int, status: str, duration_ms: int, exit_code: int) -> None:
    log.info("sync run %s ended %s", run_id, status,
             extra={"event": "sync.run.finished", "run_id": run_id, "status": status,
                    "duration_ms": duration_ms, "exit_code": exit_code})  # fmt: skip
