"""Keeping the engine's tables healthy: stalled jobs recovered, finished jobs pruned, runs
whose jobs are all gone closed.

A worker killed mid-job (SIGKILL, a lost machine) leaves its job "doing" and holding its
lock; the engine sees it stalled once the worker's heartbeat is old. Its documented
recovery, retrying the job, fails on the queueing lock when the next window has queued the
same connection meanwhile; so a stalled job is marked failed and queued again (a queued
twin stands for it). A sync job run again records nothing twice (``job_runs``).
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core.db_retry import when_free
from prima_cli.core.jobs import job_runs
from prima_cli.core.jobs import names as tasks
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.store.store import Store

#: succeeded jobs are kept this long (`prima worker jobs` shows recent work), failed and
#: cancelled ones a week (the operator retries or reads them)
KEEP_SUCCEEDED_HOURS, KEEP_FAILED_HOURS = 1, 24 * 7
#: a job run left open this long with none of its sync jobs waiting or running is closed
ABANDONED_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Maintained:
    recovered: int
    closed_runs: int

    def __str__(self) -> str:
        return f"{self.recovered} stalled job(s) queued again, {self.closed_runs} run(s) closed"


async def recover_stalled(app: App, stalled_after: float) -> int:
    """Mark the jobs of dead workers failed and queue each again; how many."""
    from procrastinate.exceptions import AlreadyEnqueued
    from procrastinate.jobs import Status

    recovered = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        try:
            await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
        except Exception:  # another worker recovered it first (it is no longer "doing")
            continue
        # AlreadyEnqueued: the next window queued it already, and that job does the work
        with suppress(AlreadyEnqueued):
            await app.configure_task(
                job.task_name,
                queue=job.queue,
                lock=job.lock,
                queueing_lock=job.queueing_lock,
                priority=job.priority,
            ).defer_async(**job.task_kwargs)
        recovered += 1
    return recovered


def _live_runs(store: Store) -> set[int]:
    """Runs that still have a sync job waiting or running."""
    import sqlalchemy as sa

    query = sa.text(
        "SELECT DISTINCT (args->>'run_id')::bigint FROM procrastinate_jobs "
        "WHERE task_name = :task AND status IN ('todo', 'doing')"
    )
    with store.engine.connect() as conn:
        return {int(r) for r in conn.execute(query, {"task": tasks.SYNC}).scalars() if r}


def close_abandoned(store: Store) -> int:
    """Close job runs older than ``ABANDONED_AFTER`` with no sync job left (a job that
    failed for good never records its result); how many."""
    from prima_cli.store.sync_tables import SyncRun

    live = _live_runs(store)
    closed = 0
    for run_id in job_runs.open_runs(store):
        if run_id in live:
            continue
        with store.session() as session:
            run = session.get(SyncRun, run_id)
            old = run is not None and run.started_at < utcnow() - ABANDONED_AFTER
        if old and job_runs.close_if_complete(store, run_id, abandoned=True):
            closed += 1
    return closed


async def prune(app: App) -> None:
    await app.job_manager.delete_old_jobs(nb_hours=KEEP_SUCCEEDED_HOURS)
    await app.job_manager.delete_old_jobs(
        nb_hours=KEEP_FAILED_HOURS,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )


async def maintain(app: App, store: Store, stalled_after: float) -> Maintained:
    """One pass of everything above (the periodic maintenance task, and each worker's start)."""
    recovered = await recover_stalled(app, stalled_after)
    await prune(app)
    return Maintained(recovered, when_free(close_abandoned, store))
