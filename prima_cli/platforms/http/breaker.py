"""A circuit breaker per credential around each logical request.

Timeouts, unreachable hosts, 5xx and 429s that outlast the retries count as failures of the
credential, whichever of its connections saw them; ``THRESHOLD`` in a row open its breaker
for ``PAUSES[0]`` seconds, doubled at each reopening up to ``PAUSES[1]``. While open, a
request is refused before it is sent (:class:`~prima_cli.errors.PlatformCircuitOpen`: nothing
was sent, so a create may fail over). Once the pause is over one request goes through as the
probe (half-open): an answer closes the breaker, a failure reopens it for longer. Any answer
counts as a success: a 401/403 is the connection's credentials problem, not the platform's.

The state lives in the installed :class:`~.ledger.Ledger` (the store: each cron run is a new
process), read again after ``REFRESH`` seconds; without one, in this process's memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, replace

from prima_cli.errors import (
    PlatformAmbiguousOutcome,
    PlatformCircuitOpen,
    PlatformRateLimited,
    PlatformUnavailable,
)
from prima_cli.platforms.credential import Credential, current
from prima_cli.platforms.http.budget import BudgetWaitTooLong
from prima_cli.platforms.http.ledger import (
    BreakerState,
    BreakerView,
    Ledger,
    current_ledger,
    unshared_reason,
)
from prima_cli.platforms.http.memory_ledger import MemoryLedger

log = logging.getLogger("prima.http")

#: failures in a row, across the credential's connections, that open its breaker
THRESHOLD = 5
#: the first pause and the longest, in seconds
PAUSES = (30.0, 900.0)
#: seconds a read of the shared state is reused before it is read again
REFRESH = 1.0
#: a probe that has not reported after this many seconds (its process died) is taken over
PROBE_STALE = 120.0
#: the errors of a platform in trouble (they may be a timeout, 5xx or exhausted 429s)
COUNTED = (PlatformUnavailable, PlatformRateLimited, PlatformAmbiguousOutcome)


@dataclass
class _Seen:
    view: BreakerView
    read_at: float  # time.monotonic()


class _Loop:
    """What one event loop knows of breakers: without a ledger, a breaker lives as long as
    the loop that runs a command's requests."""

    def __init__(self) -> None:
        self.memory = MemoryLedger()
        self.seen: dict[str, _Seen] = {}
        #: probes under way in this loop, set when their outcome is known
        self.probes: dict[str, asyncio.Event] = {}


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = weakref.WeakKeyDictionary()


def _here() -> _Loop:
    loop = asyncio.get_running_loop()
    here = _loops.get(loop)
    if here is None:
        here = _loops[loop] = _Loop()
    return here


def _call(name: str, credential: Credential, *args: object, **kw: object) -> object:
    """``name`` on the shared ledger; on this process's memory when it cannot be reached."""
    ledger: Ledger | None = current_ledger()
    if ledger is not None:
        try:
            return getattr(ledger, name)(credential, *args, **kw)
        except Exception as exc:  # the breaker must never fail a request itself
            why = unshared_reason(exc)
            log.info("circuit breaker of %s not shared: %s", credential.key, why)
    return getattr(_here().memory, name)(credential, *args, **kw)


def _remember(credential: Credential, view: BreakerView) -> BreakerView:
    _here().seen[credential.digest] = _Seen(view, time.monotonic())
    return view


def view_of(credential: Credential) -> BreakerView:
    """The breaker of ``credential`` as last read (read again when older than REFRESH)."""
    seen = _here().seen.get(credential.digest)
    now = time.monotonic()
    if seen is None or now - seen.read_at > REFRESH:
        view = _call("breaker", credential)
        assert isinstance(view, BreakerView)
        return _remember(credential, view)
    return replace(seen.view, open_for=max(0.0, seen.view.open_for - (now - seen.read_at)))


async def before(credential: Credential) -> bool:
    """Let a request through (True when it is the probe) or raise PlatformCircuitOpen.

    While this process's own probe is under way, its other requests of the credential wait
    for the probe's outcome instead of being refused."""
    here = _here()
    seen = here.seen.get(credential.digest)
    if (
        seen is not None
        and seen.view.state is BreakerState.CLOSED
        and time.monotonic() - seen.read_at <= REFRESH
    ):
        return False  # the usual case, without a fresh view
    while True:
        view = view_of(credential)
        if view.state is BreakerState.CLOSED:
            return False
        ours = here.probes.get(credential.digest)
        if ours is None:
            break
        await ours.wait()
    probing = view.state is BreakerState.HALF_OPEN
    if (not probing and view.open_for <= 0) or (probing and (view.probe_age or 0) > PROBE_STALE):
        if _call("claim_probe", credential, PROBE_STALE):
            here.probes[credential.digest] = asyncio.Event()
            _remember(credential, replace(view, state=BreakerState.HALF_OPEN, probe_age=0.0))
            return True
        view = _remember(credential, _call("breaker", credential))  # type: ignore[arg-type]
    raise open_error(credential, view)


def open_error(credential: Credential, view: BreakerView) -> PlatformCircuitOpen:
    why = f" (last: {view.last_failure})" if view.last_failure else ""
    if view.state is BreakerState.HALF_OPEN:
        when = "until a probe request succeeds"
    else:
        when = f"for {view.open_for:.0f} s more"
    return PlatformCircuitOpen(
        f"calls to {credential.platform_type} with credential {credential.key} are paused "
        f"{when}: its circuit breaker opened after {view.failures or THRESHOLD} failures "
        f"in a row{why}",
        platform=credential.platform_type,
        retry_after=view.open_for or None,
        hint="nothing was sent; prima tries again once the pause is over "
        "(`prima platforms test` shows each credential's state)",
    )


def guard() -> _Guard:
    """Around one logical request of the bound credential (``async with``): refuse while
    open, count the outcome. Without a bound credential, nothing is guarded."""
    return _Guard(current.get())


class _Guard:
    """:func:`guard`'s context: a plain class, as it runs around every request (a generator
    based one costs a generator and its frames more)."""

    __slots__ = ("credential", "probe")

    def __init__(self, credential: Credential | None) -> None:
        self.credential = credential
        self.probe = False

    async def __aenter__(self) -> None:
        if self.credential is not None:
            self.probe = await before(self.credential)

    async def __aexit__(self, kind: object, err: BaseException | None, tb: object) -> None:
        credential = self.credential
        if credential is None:
            return
        probe = self.probe
        try:
            if err is None:
                seen = _here().seen.get(credential.digest)
                if (
                    probe
                    or seen is None
                    or seen.view.state is not BreakerState.CLOSED
                    or seen.view.failures
                ):
                    _remember(credential, _call("succeeded", credential))  # type: ignore[arg-type]
            elif isinstance(err, COUNTED) and not isinstance(err, BudgetWaitTooLong):
                view = _call("failed", credential, probe=probe, threshold=THRESHOLD,
                             pauses=PAUSES, error=err.message[:200])  # fmt: skip
                _remember(credential, view)  # type: ignore[arg-type]
            elif probe:
                # no outcome to count: the budget refused it (the platform was not asked), its
                # answer could not be read, its URL cannot be requested, or it was cancelled.
                # The next request is the probe, not one in PROBE_STALE (120 s)
                _call("release_probe", credential)
                _here().seen.pop(credential.digest, None)  # read the ledger again
        finally:
            if probe:  # the requests waiting for this probe read its outcome
                here = _here()
                event = here.probes.pop(credential.digest, None)
                if event is not None:
                    event.set()
