"""`prima worker retry ID` and `prima worker cancel ID`: the operator's hand on one job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from prima_cli.core.result import OperationResult
from prima_cli.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.store.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class JobChange:
    id: int
    task: str
    before: str  # the job's state before
    after: str  # "todo" (retried), "cancelled", or "abort requested" for a running job


def _job_id(ref: str) -> int:
    if not (ref.isascii() and ref.strip().isdigit()):
        raise InvalidInput(
            f"ID must be a job id (a number), not {ref!r}", hint="see `prima worker jobs`"
        )
    return int(ref)


def _with_app(store: Store, work: Callable[[App], Awaitable[T]]) -> T:
    from prima_cli.core.jobs.engine import build_app
    from prima_cli.core.platform_calls import run

    app = build_app(store)

    async def go() -> T:
        async with app.open_async():
            return await work(app)

    return run(go())


def _state(job: Any) -> str:
    """The job's state as a word (the engine lists it as a string or as its enum)."""
    return str(getattr(job.status, "value", job.status))


async def _find(app: App, job_id: int) -> Any:
    found = list(await app.job_manager.list_jobs_async(id=job_id))
    if not found:
        raise NotFound(f"no job {job_id}", hint="see `prima worker jobs`")
    return found[0]


def retry(store: Store, ref: str) -> OperationResult[JobChange]:
    """Queue a failed job again, now."""
    job_id = _job_id(ref)

    async def work(app: App) -> JobChange:
        from procrastinate.exceptions import UniqueViolation

        from prima_cli.store.types import utcnow

        job = await _find(app, job_id)
        status = _state(job)
        if status != "failed":
            raise Conflict(f"job {job_id} is {status}: only a failed job can be retried")
        try:
            await app.job_manager.retry_job_by_id_async(job_id, retry_at=utcnow())
        except UniqueViolation as err:
            raise Conflict(
                f"job {job_id} was not queued again: the same work is queued "
                f"already ({job.queueing_lock})"
            ) from err
        return JobChange(job_id, job.task_name, status, "todo")

    return OperationResult.ok(_with_app(store, work))


def cancel(store: Store, ref: str) -> OperationResult[JobChange]:
    """Cancel a queued job, or ask a running one to stop."""
    job_id = _job_id(ref)

    async def work(app: App) -> JobChange:
        job = await _find(app, job_id)
        status = _state(job)
        if status not in ("todo", "doing"):
            raise Conflict(
                f"job {job_id} is {status}: only a queued or running job can be cancelled"
            )
        if not await app.job_manager.cancel_job_by_id_async(job_id, abort=True):
            raise Conflict(f"job {job_id} ended meanwhile; nothing was cancelled")
        after = "cancelled" if status == "todo" else "abort requested"
        return JobChange(job_id, job.task_name, status, after)

    return OperationResult.ok(_with_app(store, work))
