"""The sync's Prometheus textfile-collector file (``platforms sync --metrics-file PATH``),
written with ``prometheus_client``, atomically (a temporary file in the same directory,
renamed over the old one), so node_exporter never reads half a file.

Names follow Prometheus conventions: the ``prima_`` prefix, base units (seconds), points in
time as ``_timestamp_seconds``. The last success comes from the run records
(:mod:`prima_cli.core.health`): a failed run updates the last run's time, duration and exit
code but never the last success. When the store cannot be read (the database is down),
the families only the store can tell are carried over from the previous file, so an alert on
the last success keeps its value instead of seeing it vanish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prima_cli.errors import ConfigError

if TYPE_CHECKING:
    from prima_cli.core.health import SyncFacts

#: families written from the run itself; every other family comes from the store
RUN_FAMILIES = (
    "prima_sync_last_run_timestamp_seconds",
    "prima_sync_last_run_duration_seconds",
    "prima_sync_last_run_exit_code",
)


@dataclass(frozen=True)
class RunMetrics:
    """How this invocation of sync went."""

    started_at: dt.datetime
    finished_at: dt.datetime
    exit_code: int


def check_path(path: str) -> Path:
    """The metrics file's path, refused (exit 78) before the run when its directory does not
    exist, so a typo is found at once rather than after a sync."""
    target = Path(path)
    if not target.parent.is_dir():
        raise ConfigError(
            f"--metrics-file: the directory {str(target.parent)!r} does not exist",
            hint="point it at the node_exporter textfile directory "
            "(--collector.textfile.directory)",
        )
    return target


def write(path: Path, run: RunMetrics, facts: SyncFacts | None) -> None:
    """Write the file; ``facts`` None when the store could not be read."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: Iterable[str] = ()) -> Gauge:
        return Gauge(name, doc, list(labels), registry=registry)

    gauge(RUN_FAMILIES[0], "When the last sync run ended (whatever its outcome).").set(
        run.finished_at.timestamp()
    )
    gauge(RUN_FAMILIES[1], "How long the last sync run took.").set(
        max(0.0, (run.finished_at - run.started_at).total_seconds())
    )
    gauge(RUN_FAMILIES[2], "The last sync run's exit code (0 ok, 7 partial, ...).").set(
        run.exit_code
    )
    if facts is None:
        registry.register(_Previous(path))
    else:
        _store_families(gauge, facts)
    try:
        write_to_textfile(str(path), registry)
    except OSError as exc:
        raise ConfigError(
            f"--metrics-file: cannot write {str(path)!r}: {exc.strerror or exc}",
            hint="check that the directory is writable by the user the job runs as",
        ) from None


def _store_families(gauge: Any, facts: SyncFacts) -> None:
    success = gauge("prima_sync_last_success_timestamp_seconds",
                    "When the last successful sync run ended (from the run records).")  # fmt: skip
    if facts.last_success is not None:
        success.set(facts.last_success.timestamp())
    attention = gauge(
        "prima_bookings_needing_attention",
        "Bookings with an attempt flagged for the operator or still unknown.",
    )
    attention.set(facts.attention)
    by_status = gauge("prima_connections", "Connections by last sync status and platform.",
                      ("status", "platform"))  # fmt: skip
    counts: dict[tuple[str, str], int] = {}
    for c in facts.connections:
        key = (c.status, c.platform_type)
        counts[key] = counts.get(key, 0) + 1
    for (status, platform), count in sorted(counts.items()):
        by_status.labels(status=status, platform=platform).set(count)
    per = gauge("prima_connection_last_success_timestamp_seconds",
                "When each connection's last successful sync ended (absent: never).",
                ("venue", "platform", "connection_id"))  # fmt: skip
    for c in facts.connections:
        if c.last_synced_at is not None:
            labels = per.labels(venue=c.venue, platform=c.platform_type,
                                connection_id=str(c.connection_id))  # fmt: skip
            labels.set(c.last_synced_at.timestamp())


class _Previous:
    """The previous file's families that only the store can tell (carried over)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> list[Any]:
        return []  # not checked for duplicates at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.parser import text_string_to_metric_families

        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return
        try:
            for family in text_string_to_metric_families(text):
                if family.name not in RUN_FAMILIES:
                    yield family
        except ValueError:  # a file someone else wrote: start afresh
            return
