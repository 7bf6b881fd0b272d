"""Reliability fixtures: instant HTTP retries, the simulator, a migrated store with the
venue `madrid`. Helpers live in tests/reliability/support.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI
from tests.integration.conftest import cm_settings


@pytest.fixture(autouse=True)
def instant_retries() -> Iterator[None]:
    """HTTP retries without waiting (2 attempts), as the integration tests do."""
    with stamina.set_testing(True, attempts=2):
        yield


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=7)) as sb:
        yield sb


@pytest.fixture
def madrid(migrated: CLI) -> CLI:
    """A migrated store with the venue `madrid` (Europe/Madrid, ES) and no connection."""
    migrated.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
                "--country", "ES")  # fmt: skip
    return migrated


@pytest.fixture
def cm(madrid: CLI, sandbox: Sandbox) -> CLI:
    """``madrid`` connected to the simulator's CoverManager."""
    madrid.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    return madrid
