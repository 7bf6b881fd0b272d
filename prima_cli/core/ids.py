"""Row ids given on the command line (``prima venues show 12``, ``platforms history 3``)."""

from __future__ import annotations

#: the largest id any backend's integer primary key can hold (a signed 64-bit BIGINT)
MAX_ID = 2**63 - 1


def as_id(ref: str) -> int | None:
    """The row id that ``ref`` spells, or None when it spells none.

    ASCII digits only: ``str.isdigit`` also accepts ``²`` and other digits that ``int``
    refuses. Beyond 64 bits no row can have that id, and the drivers refuse to bind it.
    """
    ref = ref.strip()
    if not (ref.isascii() and ref.isdigit()):
        return None
    value = int(ref)
    return value if value <= MAX_ID else None
