"""Writing a platform's answer onto a booking, after the call.

The answer is the platform's, whatever else happened meanwhile: if another process wrote the
booking since it was read, the answer is written on the version that process left; a busy
database is asked again. A database that fails is never "nothing was saved" nor "fix the
configuration" here, since the platform was called: the caller says what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from prima_cli.core import booking_records as rec
from prima_cli.core.booking_state import Lost, Step, changed, transition
from prima_cli.errors import ConfigError, DatabaseBusy, DatabaseUnavailable, PrimaError

if TYPE_CHECKING:
    from prima_cli.store.store import Store

R = TypeVar("R")

#: transactions tried before giving up on a booking other processes keep writing
ATTEMPTS = 5


def record_answer(store: Store, booking_id: int, seen: int, action: str,
                  write: Callable[[Step], R], *, reference: str, doing: str,
                  unrecorded: Callable[[PrimaError], PrimaError]) -> R:  # fmt: skip
    """Run ``write`` in a transition of the booking (read at version ``seen``) and return
    what it returns.

    A lost compare-and-set is tried again on the version now stored, a busy database on the
    same. A database that fails (or cannot be used) raises ``unrecorded(error)``, as does one
    still busy after :data:`ATTEMPTS` transactions; a booking still changing under it then is
    :func:`~prima_cli.core.booking_state.changed` (``doing`` says what this command was
    doing)."""
    busy: DatabaseBusy | None = None
    for _ in range(ATTEMPTS):
        try:
            with transition(store, booking_id, seen, action) as step:
                written = write(step)
            return written
        except Lost:
            seen = rec.version_of(store, booking_id)
        except DatabaseBusy as err:  # rolled back, nothing written: try the same again
            busy = err
        except (DatabaseUnavailable, ConfigError) as err:
            raise unrecorded(err) from err
    if busy is not None:
        raise unrecorded(busy) from busy
    raise changed(reference, doing)
