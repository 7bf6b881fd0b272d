"""Writing a run's connection outcomes off the event loop.

A batch of outcomes is one transaction of thousands of snapshot rows; committed on the
event loop, it would hold every other connection's response waiting until it is done. The
:class:`OutcomeWriter` commits the batches one after another in a single thread of its own,
in the order they were handed over, while the loop keeps serving the requests.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from prima_cli.core.db_retry import when_free
from prima_cli.core.sync_records import record_outcomes

if TYPE_CHECKING:
    from prima_cli.core.sync_values import ConnectionOutcome
    from prima_cli.store.store import Store


class OutcomeWriter:
    """Writes batches of a run's outcomes (``record_outcomes``) in one background thread."""

    def __init__(self, store: Store, run_id: int | None) -> None:
        self.store, self.run_id = store, run_id
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prima-sync-writer")
        self._writes: list[tuple[Future[None], list[ConnectionOutcome]]] = []

    def submit(self, outcomes: list[ConnectionOutcome]) -> None:
        """Write ``outcomes`` after the batches before them; raises the error of an earlier
        batch that could not be written, as a write made here would."""
        for write, _batch in self._writes:
            if write.done() and write.exception() is not None:
                raise write.exception()  # type: ignore[misc]
        self._writes = [(w, b) for w, b in self._writes if not w.done()]
        batch = list(outcomes)
        write = self._thread.submit(when_free, record_outcomes, self.store, batch, self.run_id)
        self._writes.append((write, batch))

    def close(self, rest: list[ConnectionOutcome]) -> None:
        """Wait for the batches under way, then write ``rest`` and any batch that failed
        (here, in the caller's thread); raises the first failure once all is written."""
        failed: list[ConnectionOutcome] = []
        error: BaseException | None = None
        try:
            for write, batch in self._writes:
                exc = write.exception()  # waits for it
                if exc is not None:
                    failed += batch
                    error = error or exc
        finally:
            self._thread.shutdown(wait=True)
            self._writes.clear()
        when_free(record_outcomes, self.store, failed + rest, self.run_id)
        if error is not None:
            raise error
