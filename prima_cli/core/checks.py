"""Credential tests of platform connections (`prima platforms test` and `platforms add`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prima_cli.core import venues as venues_core
from prima_cli.core.credentials import CredentialChecks, CredentialState, states
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.result import OperationResult
from prima_cli.core.targets import Target, resolve
from prima_cli.errors import InvalidInput, NotFound, PrimaError, batch_exit_code

if TYPE_CHECKING:
    from prima_cli.platforms.contract import Connection, PlatformAdapter
    from prima_cli.store.store import Store

CONCURRENCY = 16


@dataclass(frozen=True)
class TestResult:
    venue_slug: str
    platform_type: str
    ok: bool
    latency_ms: int | None
    message: str
    error: PrimaError | None = None


@dataclass(frozen=True)
class TestReport:
    results: list[TestResult]
    #: the credentials the tested connections use: budget and circuit breaker of each
    credentials: list[CredentialState] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.results:
            return "empty"
        passed = sum(r.ok for r in self.results)
        if passed == len(self.results):
            return "ok"
        return "failed" if passed == 0 else "partial"


def credential_tester(
    http: HttpOptions, store: Store
) -> Callable[[type[PlatformAdapter], Connection], str]:
    """A check for `platforms add`: returns what was verified, or raises the typed error.
    Its request draws from the credential's budget on ``store`` like every other (the key
    may already serve other venues' syncs), and an open breaker refuses it."""

    def test(adapter: type[PlatformAdapter], connection: Connection) -> str:
        async def go() -> str:
            async with open_client(http, store) as client:
                return (await adapter(client).check_auth(connection)).detail

        return run(go())

    return test


def _targets(
    store: Store, venue_ref: str | None, platform_type: str | None, all_enabled: bool
) -> list[Target]:
    from prima_cli.core.targets import connections_query

    if all_enabled and (venue_ref or platform_type):
        raise InvalidInput("--all tests every enabled connection; do not name a venue with it")
    if not all_enabled and venue_ref is None:
        raise InvalidInput("name a VENUE (and optionally a TYPE), or pass --all")
    with store.session() as session:
        if all_enabled:
            query = connections_query()
        else:  # a named venue's connections, disabled ones too
            assert venue_ref is not None
            venue = venues_core.find(session, venue_ref)
            query = connections_query(
                venue_ids=[venue.id], platform_type=platform_type, enabled_only=False
            )
        rows = session.exec(query).all()
        if not rows and not all_enabled:  # a named connection that does not exist
            raise NotFound("no matching connections to test", hint="see `prima platforms list`")
        return resolve(rows)  # --all with nothing enabled: an empty batch, as for sync


async def _test_all(targets: Sequence[Target], http: HttpOptions, store: Store) -> list[TestResult]:
    semaphore = asyncio.Semaphore(CONCURRENCY)
    checks = CredentialChecks()
    async with open_client(http, store) as client:

        async def one(target: Target) -> TestResult:
            if target.error is not None or target.adapter is None or target.connection is None:
                err = target.error or PrimaError("cannot test this connection")
                return TestResult(
                    target.venue_slug, target.platform_type, False, None, err.message, err
                )
            async with semaphore:
                started = time.perf_counter()
                try:
                    check = await checks.check(target.adapter(client), target.connection)
                except PrimaError as err:
                    latency = round((time.perf_counter() - started) * 1000)
                    return TestResult(
                        target.venue_slug, target.platform_type, False, latency, err.message, err
                    )
                latency = round((time.perf_counter() - started) * 1000)
                return TestResult(
                    target.venue_slug, target.platform_type, True, latency, check.detail
                )

        return list(await asyncio.gather(*(one(t) for t in targets)))


def test_connections(
    store: Store,
    *,
    venue_ref: str | None,
    platform_type: str | None,
    all_enabled: bool,
    http: HttpOptions,
) -> OperationResult[TestReport]:
    """Test the chosen connections concurrently; failures are results, not exceptions, and the
    outcome is the batch's: 0 when all pass, the shared error's code when all fail alike, else
    7 (partial)."""
    targets = _targets(store, venue_ref, platform_type, all_enabled)
    report = TestReport(run(_test_all(targets, http, store)), states(store, targets))
    failed = [r.error for r in report.results if not r.ok]
    return OperationResult(report, outcome=batch_exit_code(failed, len(report.results)))
