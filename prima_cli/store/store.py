"""``Store``: one database (URL, engine, sessions) as the use cases see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from prima_cli import collector
from prima_cli.store import engine as engine_mod
from prima_cli.store import schema
from prima_cli.store.url import mask_password

if TYPE_CHECKING:  # sessions (and the ORM) are imported by the commands that open them
    from sqlmodel import Session


class Store:
    def __init__(self, url: str, *, create: bool = False) -> None:
        self.url = url
        self.create = create  # may a missing SQLite file be created (db migrate, demo)?

    @property
    def display_url(self) -> str:
        return mask_password(self.url)

    @cached_property
    def engine(self) -> Engine:
        return engine_mod.create_engine(self.url, create=self.create)

    def require_schema(self) -> None:
        """Fail with exit 78 and a `prima db migrate` hint unless at the shipped head."""
        schema.require_head(self.engine, self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with engine_mod.session_scope(self.engine, self.url) as session:
            collector.settle()  # the store and the ORM are loaded by now
            yield session

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
