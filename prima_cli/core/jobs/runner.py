"""`prima worker run`: one worker process taking jobs until stopped (SIGTERM or SIGINT: it
stops taking jobs, lets the running ones end, leaves the engine's worker table and exits 0;
a second signal aborts the running ones) or, ``one_shot``, until no job is ready."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from prima_cli.core.booking_state import owner
from prima_cli.core.jobs import maintenance, tasks
from prima_cli.core.jobs.names import QUEUES, Runtime
from prima_cli.core.result import OperationResult
from prima_cli.errors import InvalidInput

if TYPE_CHECKING:
    from prima_cli.core.http_options import HttpOptions
    from prima_cli.store.store import Store

#: seconds a stopping worker lets its running jobs end before it aborts them
GRACEFUL_STOP = 60.0


@dataclass(frozen=True)
class WorkerOptions:
    queues: tuple[str, ...] = ()  # empty: every queue
    concurrency: int = 10  # jobs at once in this process
    one_shot: bool = False
    schedule: str | None = "*/5 * * * *"  # the sync window; None: this worker opens none
    days: int = 7
    stalled_after: float = 30.0  # seconds without a heartbeat before a worker counts as dead

    def check(self) -> None:
        unknown = [q for q in self.queues if q not in QUEUES]
        if unknown:
            raise InvalidInput(f"unknown queue {unknown[0]!r}; the queues are {', '.join(QUEUES)}")
        if not 1 <= self.concurrency <= 200:
            raise InvalidInput("--concurrency must be between 1 and 200")
        if not 1 <= self.days <= 60:
            raise InvalidInput("--days must be between 1 and 60")
        if not 3 <= self.stalled_after <= 3600:
            raise InvalidInput("--stalled-after must be between 3 and 3600 seconds")
        if self.schedule is not None:
            from croniter import croniter

            if not croniter.is_valid(self.schedule):
                raise InvalidInput(
                    f"--schedule {self.schedule!r} is not a cron expression",
                    hint='five fields, e.g. "*/5 * * * *" (a sixth for seconds)',
                )


@dataclass(frozen=True)
class WorkerReport:
    """What one worker process did before it stopped."""

    name: str
    queues: list[str]
    one_shot: bool
    recovered: int  # stalled jobs of dead workers it queued again at start
    jobs: dict[str, int]  # jobs run, by task


def run_worker(
    store: Store, http: HttpOptions, options: WorkerOptions
) -> OperationResult[WorkerReport]:
    """Run jobs until stopped; what this process did."""
    from prima_cli.core.jobs.engine import build_app
    from prima_cli.core.platform_calls import open_client, run

    app = build_app(store)  # first: on a store that cannot run workers, say that (exit 78)
    options.check()
    tasks.register(app, None if options.one_shot else options.schedule)
    runtime = Runtime(store, http, options.days, options.stalled_after)
    name = owner()

    async def main() -> int:
        pool = replace(http, max_connections=options.concurrency)
        # with the store: its jobs spend their credentials' budgets and honour their breakers
        # as every other process on the store does (the job tasks inherit this context)
        async with open_client(pool, store) as runtime.client, app.open_async():
            done = await maintenance.maintain(app, store, options.stalled_after)
            await app.run_worker_async(
                queues=list(options.queues or QUEUES),
                concurrency=options.concurrency,
                wait=not options.one_shot,
                name=name,
                additional_context={"runtime": runtime},
                update_heartbeat_interval=max(1.0, options.stalled_after / 3),
                stalled_worker_timeout=options.stalled_after,
                shutdown_graceful_timeout=GRACEFUL_STOP,
            )
            return done.recovered

    recovered = run(main())
    return OperationResult.ok(
        WorkerReport(
            name,
            list(options.queues or QUEUES),
            options.one_shot,
            recovered,
            dict(sorted(runtime.done.items())),
        )
    )
