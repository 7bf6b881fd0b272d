"""Fixtures for driving the simulator with plain httpx over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.sandbox.sandbox_support import CM, Restoo, client


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as sandbox:
        yield sandbox


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with client() as http_client:
        yield http_client


@pytest.fixture
def cm(sb: Sandbox, http: httpx.Client) -> CM:
    return CM(sb, http)


@pytest.fixture
def restoo(sb: Sandbox, http: httpx.Client) -> Restoo:
    return Restoo(sb, http)
