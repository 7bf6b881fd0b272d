"""The request budget of each credential, spent by every request at the transport.

:class:`PacedTransport` wraps the network transport of every client ``build_client`` makes:
each request (retries included) of a task that runs with a credential bound
(:mod:`prima_cli.platforms.credential`) first waits for a slot of that credential's budget.

* in a process, all tasks share one :class:`aiolimiter.AsyncLimiter` per credential (a
  maintained leaky bucket: ``burst`` requests of capacity, refilled at the budget's pace);
* between processes, slots are reserved from the installed :class:`~.ledger.Ledger` a few at
  a time, at most a burst (a budget row per credential on the store), so two processes on
  one key together stay within its budget;
* a 429 pauses every task of the credential until its ``Retry-After`` has passed, and other
  processes through the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from aiolimiter import AsyncLimiter

from prima_cli.call_status import SLOW_AFTER, waiting
from prima_cli.errors import PlatformRateLimited
from prima_cli.platforms.credential import current
from prima_cli.platforms.http.ledger import Ledger, current_ledger, unshared_reason
from prima_cli.platforms.http.responses import retry_after_seconds

if TYPE_CHECKING:
    from prima_cli.platforms.credential import Credential
    from prima_cli.platforms.rate_limit import RateLimit

log = logging.getLogger("prima.http")

#: a 429 without Retry-After pauses the credential this long
DEFAULT_PAUSE = 1.0
#: a Retry-After longer than this pauses only this long (a later request asks again)
MAX_PAUSE = 900.0
#: a write's slot further away than this is not waited for (as a Retry-After would not be:
#: ``retry.RetryPolicy.max_retry_after``)
WRITE_MAX_WAIT = 30.0
#: the request extension that marks a write (``retry.send`` sets it on non-idempotent
#: requests); other requests wait for their slot however far it is
WRITE_EXTENSION = "prima.write"
#: slots reserved from the ledger at a time cover this many seconds of the budget
RESERVE_SECONDS = 0.25
MAX_RESERVED = 50


class _Budget:
    """One credential's budget in this process (one event loop)."""

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        self.limiter = AsyncLimiter(rate.burst, rate.burst * rate.interval)
        self.paused_until = 0.0  # time.monotonic()
        self.slots: deque[float] = deque()  # monotonic times of slots the ledger granted
        self.reserving = asyncio.Lock()

    async def slot(self, ledger: Ledger, credential: Credential) -> float:
        """The monotonic time of this process's next slot of the shared budget."""
        if not self.slots:
            async with self.reserving:
                if not self.slots:
                    self.slots.extend(self._reserve(ledger, credential))
        return self.slots.popleft()

    def _reserve(self, ledger: Ledger, credential: Credential) -> list[float]:
        # never more than a burst ahead: slots a quiet spell left in the past may then all go
        # at once without exceeding the budget's burst
        count = max(1, min(self.rate.burst, MAX_RESERVED,
                           int(RESERVE_SECONDS * self.rate.per_second)))  # fmt: skip
        try:
            wait = min(ledger.reserve(credential, count), MAX_PAUSE)
        except Exception as exc:  # the budget must never fail a request: pace in process
            # info, not a warning: a store that fails here fails the command too, whose own
            # error says so (and a --json error stays the one line on stderr)
            log.info("request budget of %s not shared: %s", credential.key, unshared_reason(exc))
            return [time.monotonic()]
        start = time.monotonic() + wait
        return [start + i * self.rate.interval for i in range(count)]


_budgets: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Budget]] = (
    weakref.WeakKeyDictionary()
)


def budget_of(credential: Credential) -> _Budget:
    """This loop's budget of ``credential``; the strictest rate asked for by its connections."""
    loop = asyncio.get_running_loop()
    budgets = _budgets.get(loop)
    if budgets is None:
        budgets = _budgets[loop] = {}
    budget = budgets.get(credential.digest)
    if budget is None or _stricter(credential.rate, budget.rate):
        budget = budgets[credential.digest] = _Budget(credential.rate)
    return budget


def _stricter(new: RateLimit, old: RateLimit) -> bool:
    return (new.per_second, new.burst) < (old.per_second, old.burst)


@dataclass(frozen=True)
class _Limit:
    """How long a write waits for its slot in all: a deadline on the monotonic clock."""

    max_wait: float
    deadline: float

    def refuse(self, credential: Credential, wait: float) -> BudgetWaitTooLong:
        return BudgetWaitTooLong(credential, wait, self.max_wait)


async def _until(moment: float, credential: Credential, limit: _Limit | None) -> None:
    wait = moment - time.monotonic()
    if wait <= 0:
        return
    if limit is not None and moment > limit.deadline:
        raise limit.refuse(credential, wait)
    if wait <= SLOW_AFTER:
        await asyncio.sleep(wait)
        return
    # a long wait is never silent: the operator's terminal (and -v) say what prima waits for
    what = f"{credential.key}: waiting {wait:.0f} s for the key's request budget"
    log.info("%s (paced, or paused by the platform's Retry-After)", what)
    await waiting(wait, what + " ...")


async def _queue(limiter: AsyncLimiter, credential: Credential, limit: _Limit | None) -> None:
    """This process's turn in the key's queue. A write gives up its place at its deadline:
    the tasks ahead of it (a sync's reads on a key paced to 50 a minute, say) may take longer
    than a write waits, and the queue does not say how long before it is joined."""
    if limit is None:
        await limiter.acquire()
        return
    try:
        async with asyncio.timeout_at(_loop_time(limit.deadline)):
            await limiter.acquire()
    except TimeoutError:
        raise limit.refuse(credential, limit.max_wait) from None


def _loop_time(moment: float) -> float:
    """``moment`` (``time.monotonic()``) on the running loop's clock."""
    return asyncio.get_running_loop().time() + (moment - time.monotonic())


async def acquire(credential: Credential, *, max_wait: float | None = None) -> None:
    """Wait for a slot of ``credential``'s budget (and the end of any pause); with
    ``max_wait``, raise :class:`BudgetWaitTooLong` instead of waiting longer than that in
    all (for the pause, this process's turn and the slot shared with other processes)."""
    budget = budget_of(credential)
    limit = None if max_wait is None else _Limit(max_wait, time.monotonic() + max_wait)
    while True:
        # each wait is awaited only when there is one: this runs before every request
        if budget.paused_until > time.monotonic():
            await _until(budget.paused_until, credential, limit)
        if limit is None:
            await budget.limiter.acquire()
        else:
            await _queue(budget.limiter, credential, limit)
        ledger = current_ledger()
        if ledger is not None:
            moment = await budget.slot(ledger, credential)
            if moment > time.monotonic():
                await _until(moment, credential, limit)
        if budget.paused_until <= time.monotonic():
            return


class BudgetWaitTooLong(PlatformRateLimited):
    """A write whose slot of the key's budget is further away than a write waits: nothing
    was sent. A rate limit (exit 75, the booking fails over) that the circuit breaker does
    not count: the platform was not asked."""

    def __init__(self, credential: Credential, wait: float, max_wait: float) -> None:
        super().__init__(
            f"the request budget of {credential.key} has no slot for {wait:.0f} s (the "
            f"platform asked for a pause, or the key's budget is spent), longer than a write "
            f"waits ({max_wait:.0f} s): nothing was sent",
            retry_after=wait,
            platform=credential.platform_type,
            hint=f"try again in {wait:.0f} s",
        )


def pause(credential: Credential, seconds: float) -> None:
    """No request of ``credential`` for ``seconds``, in this process and (ledger) others."""
    seconds = min(max(seconds, 0.0), MAX_PAUSE)
    budget = budget_of(credential)
    budget.paused_until = max(budget.paused_until, time.monotonic() + seconds)
    budget.slots.clear()
    ledger = current_ledger()
    if ledger is not None:
        try:
            ledger.pause(credential, seconds)
        except Exception as exc:  # as in _reserve: the pause still holds in this process
            log.info("pause of %s not shared: %s", credential.key, unshared_reason(exc))


class PacedTransport(httpx.AsyncBaseTransport):
    """A transport that spends the bound credential's budget on every request it sends."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        credential = current.get()
        if credential is None:
            return await self.inner.handle_async_request(request)
        # a write (a create, a cancel) does not sit in a long queue: it would stay "in flight"
        # for other hosts' reconciles meanwhile; a read waits its turn
        limit = WRITE_MAX_WAIT if request.extensions.get(WRITE_EXTENSION) else None
        await acquire(credential, max_wait=limit)
        response = await self.inner.handle_async_request(request)
        if response.status_code == 429:
            wait = retry_after_seconds(response)
            pause(credential, DEFAULT_PAUSE if wait is None else wait)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
