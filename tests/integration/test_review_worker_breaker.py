"""A worker's requests share their credential's circuit breaker with every other process on
the store, as `prima bookings create` and `prima platforms sync` do: a push job whose key's
breaker is open in the store sends nothing and backs off."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from prima_cli.sandbox import Sandbox
from prima_cli.store.url import normalise
from tests.conftest import CLI, run_prima
from tests.integration.conftest import add_venues, cm_settings
from tests.integration.test_bookings import GUEST, day
from tests.integration.workers_support import jobs_in

PUSH = "prima.push_booking"


@pytest.mark.slow
@pytest.mark.postgres
def test_a_push_job_honours_the_breaker_the_store_holds_open(
    postgres_url: str, sandbox: Sandbox
) -> None:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    sandbox.inject("503:covermanager:reserv/reserv:POST")
    made = cli("bookings", "create", "madrid", "--date", day(), "--time", "20:00",
               "--party", "2", *GUEST, "--json")  # fmt: skip
    assert made.exit_code == 8, made.stderr  # queued for the workers: never create it again
    assert jobs_in(postgres_url, PUSH, "todo") == 1
    # another process's failures opened the key's breaker for an hour (the store's clock)
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:
        opened = conn.execute(sa.text(
            "UPDATE platform_credentials SET breaker_state = 'open', failures = 5, opens = 1, "
            "open_until = EXTRACT(EPOCH FROM clock_timestamp()) + 3600")).rowcount  # fmt: skip
    engine.dispose()
    assert opened == 1
    sandbox.clear_faults()
    sandbox.clear_requests_log()

    ran = run_prima(["--db", postgres_url, "worker", "run", "--one-shot", "--json",
                     "--queue", "outbox"])  # fmt: skip
    assert ran.returncode == 0, ran.stderr

    # nothing was sent while the breaker is open: the push backs off for a later try
    sent = [r for r in sandbox.requests_log if r.platform == "covermanager"]
    assert sent == [], sent
    assert len(sandbox.state.reservations("covermanager")) == 0
    assert jobs_in(postgres_url, PUSH, "todo") == 1
    listed = cli.ok("bookings", "list", "--json").json()
    assert [b["status"] for b in listed] == ["rejected"]
