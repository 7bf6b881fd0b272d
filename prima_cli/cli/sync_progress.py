"""What `platforms sync` shows while and after it runs, besides its result: a progress bar
while a person watches a terminal, and the summary line that a quiet or unattended run still
prints (after one warning per connection that failed or left bookings to the operator); with
--quiet, only the problems."""

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
        self.quiet = quiet
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

    def summary(self, report: SyncReport, code: int) -> None:
        """What a run says on stderr besides its data (nothing with --json). Unattended, one
        line per problem (connection, what, the command to run), since the table is not there
        to show them. With --quiet, that is all: a healthy run (exit 0) prints nothing, so cron
        mails only when the operator has something to do."""
        from prima_cli.core.sync_problems import problems

        if self.json:
            return
        shown = [] if self.attended else problems(report)
        for problem in shown:
            if self.out.structured:  # the fields carry the connection and the hint
                self.out.warn(problem.message, fields={**problem.fields(), "event": "sync.problem",
                                                   "run_id": report.run_id})  # fmt: skip
            else:
                self.out.warn(problem.line())
        if self.quiet and (code == 0 or shown):
            return
        run = report.counts
        line = (f"sync run {report.run_id}: {report.status}; {run['ok']} ok, {run['failed']} "
                f"failed of {run['connections']} connection(s); {run['availability_days']} "
                f"availability day(s), {run['reconciled']} reconciled, {run['pushed']} pushed, "
                f"{run['statuses_changed']} status change(s)")  # fmt: skip
        if run["attention"]:
            line += (f"; {run['attention']} booking(s) need the operator "
                     "(see `prima bookings reconcile`)")  # fmt: skip
        self.out.summary(line, level=20 if code == 0 else 30,
                         fields={"run_id": report.run_id, "status": report.status})  # fmt: skip
