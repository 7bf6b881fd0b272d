"""A page of a listing: its rows, and where it sits in everything the selection holds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """Rows ``offset`` to ``offset + limit`` of the ``total`` a listing selects (the rows may
    be a stream, read as they are shown)."""

    items: Iterable[T]
    total: int
    offset: int
    limit: int

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)
