"""The status line of a slow platform call ("CoverManager, attempt 2 of 4 ...").

The HTTP layer wraps each attempt in :func:`watched`; when one takes longer than
``SLOW_AFTER`` seconds it tells the listener that the command line installed (a line on
stderr, on a terminal only), and tells it again (``None``) when the attempt ends. With no
listener (a pipe, cron, tests) nothing is wrapped at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

#: how long an attempt runs before the operator is told what prima is waiting for
SLOW_AFTER = 1.0

Listener = Callable[[str | None], None]
_listener: Listener | None = None


def listen(listener: Listener | None) -> Listener | None:
    """Install ``listener`` (``None``: none); returns the previous one."""
    global _listener
    previous, _listener = _listener, listener
    return previous


#: a wait that says more than "attempt N" is under way (the budget's): watched leaves it shown
_waiting = False


async def waiting(seconds: float, label: str) -> None:
    """Sleep ``seconds`` (a wait inside a call, before anything is sent), showing ``label``
    instead of the call's own line while it lasts."""
    global _waiting
    listener = _listener
    if listener is None:
        await asyncio.sleep(seconds)
        return
    _waiting = True
    listener(label)
    try:
        await asyncio.sleep(seconds)
    finally:
        _waiting = False
        listener(None)


def watched(call: Awaitable[T], label: str) -> Awaitable[T]:
    """``call``, to be awaited; past ``SLOW_AFTER`` seconds, ``label`` is shown until it
    ends. With no listener it is ``call`` itself: no task or coroutine is added around it."""
    listener = _listener
    if listener is None:
        return call
    return _shown(call, label, listener)


async def _shown(call: Awaitable[T], label: str, listener: Listener) -> T:
    task = asyncio.ensure_future(call)
    try:
        done, _pending = await asyncio.wait({task}, timeout=SLOW_AFTER)
        if task in done:
            return task.result()
        if not _waiting:
            listener(label)
        try:
            return await task
        finally:
            listener(None)
    except BaseException:
        task.cancel()
        raise
