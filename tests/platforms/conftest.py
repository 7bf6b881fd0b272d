"""Fixtures for the adapter tests: fast retries, clean secrets, a respx router."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx
import stamina

from prima_cli import redact
from prima_cli.platforms import http


@pytest.fixture(autouse=True)
def _fast_and_clean() -> Iterator[None]:
    # three attempts, no waiting (stamina's test mode also zeroes Retry-After waits)
    with stamina.set_testing(True, attempts=3):
        yield
    redact.forget_all()
    http.disable_verbose_logging()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router
