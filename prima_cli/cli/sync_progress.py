"""What `platforms sync` shows while and after it runs, besides its result: a progress bar
while a person watches a terminal, and the summary line that a quiet or unattended run still
prints (after one warning per connection that failed or left bookings to the operator)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prima_cli.cli.output import Output
    from prima_cli.core.sync_values import ConnectionOutcome, Progress, SyncReport


class SyncProgress:
    """The bar and the summary of one run; ``attended``: a person reads its table."""

    def __init__(self, out: Output, *, quiet: bool, json: bool) -> None:
        self.out = out
        terminal = out.terminal
        self.json = json
        self.attended = terminal.stdout_tty and not quiet
        self._bar = terminal.stderr_tty and not quiet and not json

    @contextmanager
    def bar(self) -> Iterator[Progress | None]:
        """The progress callback for the core: a Rich bar on stderr, or None (no one sees)."""
        if not self._bar:
            yield None
            return
        from rich.console import Console
        from rich.progress import Progress as Bar

        from prima_cli import call_status

        previous = call_status.listen(None)  # the bar says what runs; no line per slow call
        try:
            with Bar(console=Console(file=self.out.terminal.stderr), transient=True) as bar:
                task = bar.add_task("syncing", total=None)

                def update(done: int, total: int, outcome: ConnectionOutcome) -> None:
                    bar.update(task, completed=done, total=total)

                yield update
        finally:
            call_status.listen(previous)

    def summary(self, report: SyncReport) -> None:
        """The run's summary line on stderr (not with --json); unattended, the failures first
        (attended, the table shows them)."""
        if self.json:
            return
        if not self.attended:
            for o in report.outcomes:
                if o.error is not None:
                    self.out.warn(f"{o.venue_slug}/{o.platform_type}: {o.error.message}")
                manual = o.steps.reconcile.manual if o.steps.reconcile else 0
                if manual:
                    where = f"{o.venue_slug}/{o.platform_type}"
                    self.out.warn(f"{where}: {manual} booking(s) whose outcome on the platform "
                                  "is unknown need the operator")  # fmt: skip
        run = report.counts
        line = (f"sync run {report.run_id}: {report.status}; {run['ok']} ok, {run['failed']} "
                f"failed of {run['connections']} connection(s); {run['availability_days']} "
                f"availability day(s), {run['reconciled']} reconciled, {run['pushed']} pushed, "
                f"{run['statuses_changed']} status change(s)")  # fmt: skip
        if run["attention"]:
            line += (f"; {run['attention']} booking(s) need the operator "
                     "(see `prima bookings reconcile`)")  # fmt: skip
        self.out.summary(line)
