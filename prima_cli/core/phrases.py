"""Lists of names in a sentence, as messages and warnings say them."""

from __future__ import annotations

from collections.abc import Sequence


def named(names: Sequence[str], most: int = 5) -> str:
    """``names`` in a sentence: the first ``most`` of them, then how many more."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
