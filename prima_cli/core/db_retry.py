"""The retry policy for transactions the database gave up on because of other writers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from prima_cli.errors import DatabaseBusy

T = TypeVar("T")


def when_free(write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a transaction again when the database gave up on it because of other writers
    (workers on one MariaDB or PostgreSQL store can deadlock on claims and batch writes).
    Each of these transactions is all-or-nothing, so running it again is safe."""
    import stamina

    for attempt in stamina.retry_context(on=DatabaseBusy, attempts=6, wait_initial=0.05,
                                         wait_max=1.0, wait_jitter=0.2):  # fmt: skip
        with attempt:
            return write(*args, **kwargs)
    raise AssertionError("unreachable: stamina either returns or raises")
