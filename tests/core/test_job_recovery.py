"""Stalled-job recovery and once-per-run results, on the engine's own tables (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from prima_cli.core.jobs import maintenance, names
from prima_cli.core.jobs.engine import build_app
from prima_cli.store.store import Store
from tests.conftest import CLI

pytestmark = pytest.mark.postgres


def test_a_stalled_job_with_a_queued_twin_is_failed_not_retried(postgres_url: str) -> None:
    """A job left "doing" by a dead worker while the next window queued its twin: the
    engine's own retry of it breaks the queueing lock's uniqueness; recovery marks it
    failed instead and leaves the twin to do the work (nothing queued twice)."""
    from procrastinate.exceptions import UniqueViolation

    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    store = Store(postgres_url)
    app = build_app(store)
    lock = names.sync_lock(7)

    async def scenario() -> tuple[int, list[str]]:
        async with app.open_async():
            manager = app.job_manager
            await app.configure_task(names.SYNC, **lock).defer_async(run_id=1, connection_id=7)
            dead = await manager.register_worker()
            stalled = await manager.fetch_job([names.SYNC_QUEUE], dead)
            assert stalled is not None
            await app.configure_task(names.SYNC, **lock).defer_async(run_id=2, connection_id=7)
            await manager.unregister_worker(dead)  # its heartbeat is gone: the job is stalled
            with pytest.raises(UniqueViolation):  # what the documented recovery runs into
                await manager.retry_job(stalled)
            recovered = await maintenance.recover_stalled(app, stalled_after=3)
            jobs = await manager.list_jobs_async(task=names.SYNC)
            return recovered, sorted(f"{j.task_kwargs['run_id']}:{j.status}" for j in jobs)

    try:
        recovered, jobs = asyncio.run(scenario())
    finally:
        store.dispose()
    assert recovered == 1
    assert jobs == ["1:failed", "2:todo"]
    (failed,) = cli.ok("worker", "jobs", "--status", "failed", "--json").json()
    refused = cli("worker", "retry", str(failed["id"]))
    assert refused.exit_code == 4 and "queued already" in refused.stderr


def test_a_job_run_twice_records_its_connection_once(postgres_url: str) -> None:
    """After a stall the engine may run a sync job again: its second write changes
    nothing, and the run ends once, with one result per connection."""
    from prima_cli.core.jobs import job_runs
    from prima_cli.core.sync_records import start_run
    from prima_cli.core.sync_values import ConnectionOutcome, SyncOptions

    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid")
    settings = ["--set", "restaurant_id=r", "--set", "api_key=literal:k",
                "--set", "base_url=http://127.0.0.1:9/api"]  # fmt: skip
    cli.ok("platforms", "add", "madrid", "covermanager", *settings, "--no-test")
    (connection,) = cli.ok("platforms", "list", "--json").json()
    store = Store(postgres_url)
    try:
        run_id = start_run(store, SyncOptions(), worker=True)
        job_runs.set_expected(store, run_id, 1)
        outcome = ConnectionOutcome(connection["id"], "madrid", "covermanager")
        assert job_runs.record_once(store, outcome, run_id) is True
        assert job_runs.recorded(store, run_id, connection["id"])
        assert job_runs.record_once(store, outcome, run_id) is False
        assert job_runs.close_if_complete(store, run_id) == "ok"
        assert job_runs.close_if_complete(store, run_id) is None  # ended once
    finally:
        store.dispose()
    run = cli.ok("platforms", "history", str(run_id), "--json").json()
    assert run["status"] == "ok" and len(run["results"]) == 1
