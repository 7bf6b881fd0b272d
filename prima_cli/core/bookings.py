"""The bookings use cases, as the command line calls them: one import for each job's module.

The create is :mod:`prima_cli.core.create` (its plan :mod:`prima_cli.core.booking_plan`, the
placing loop and the outbox :mod:`prima_cli.core.placement`); cancel is
:mod:`prima_cli.core.cancel`; hand resolution :mod:`prima_cli.core.resolve`; the lists and
look-ups :mod:`prima_cli.core.booking_queries`; the states and their transitions
:mod:`prima_cli.core.booking_state`.
"""

from __future__ import annotations

from prima_cli.core.booking_queries import (
    BookingFilter,
    iter_bookings,
    list_all,
    list_bookings,
    show,
)
from prima_cli.core.booking_rules import BookingInput
from prima_cli.core.cancel import cancel
from prima_cli.core.create import CreateResult, create
from prima_cli.core.resolve import ResolveResult, resolve

__all__ = [
    "BookingFilter",
    "BookingInput",
    "CreateResult",
    "ResolveResult",
    "cancel",
    "create",
    "iter_bookings",
    "list_all",
    "list_bookings",
    "resolve",
    "show",
]
