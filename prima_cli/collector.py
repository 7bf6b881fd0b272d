"""The garbage collector's settings of a prima process.

A command's start-up (SQLAlchemy, pydantic, the table classes, the command's modules) leaves
about a hundred thousand long-lived objects. Under the default thresholds the collector
scans them again and again; under prima's own (:data:`THRESHOLDS`) it still scans them once
when its young generation first fills, midway through the imports, which is wasted work:
they live as long as the process. So the console script starts with :data:`START_UP`
(:func:`start_up`), and once a command has loaded what it needs (its first store session,
its first platform calls) :func:`settle` moves everything alive into the generation the
collector never scans and returns to :data:`THRESHOLDS`.

A process that never settles keeps collecting, only less often. Outside the console script
(tests call ``main`` in one long process) nothing is frozen.
"""

from __future__ import annotations

import gc

#: the collector's thresholds of a prima process: it is short-lived, and its syncs and long
#: lists allocate millions of objects that the default (700, 10, 10) would rescan
THRESHOLDS = (100_000, 50, 100)
#: while a command starts: its imports never fill the young generation
START_UP = (1_000_000, 50, 100)


def start_up() -> None:
    """The console script's first step: collect rarely until :func:`settle`."""
    gc.set_threshold(*START_UP)


def starting() -> bool:
    """Whether the process is still in its start-up (see :func:`start_up`)."""
    return gc.get_threshold() == START_UP


def settle() -> None:
    """The command has loaded what it needs: freeze what is alive and collect as usual.
    Cheap and idempotent; nothing at all outside a start-up."""
    if starting():
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)


def use_thresholds() -> None:
    """:data:`THRESHOLDS`, unless the process is in its start-up (which :func:`settle` ends)."""
    if not starting():
        gc.set_threshold(*THRESHOLDS)
