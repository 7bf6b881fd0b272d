"""Integration fixtures: the simulator on a free loopback port, and a migrated store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=7)) as sb:
        yield sb


#: the two venues most integration tests use: (name, slug, time zone, country)
VENUES = (("Madrid", "madrid", "Europe/Madrid", "ES"), ("Lisboa", "lisboa", "Europe/Lisbon", "PT"))


def add_venues(cli: CLI) -> CLI:
    for name, slug, zone, country in VENUES:
        cli.ok("venues", "add", name, "--slug", slug, "--timezone", zone, "--country", country)
    return cli


@pytest.fixture
def venues(migrated: CLI) -> CLI:
    return add_venues(migrated)


def cm_settings(
    sb: Sandbox, restaurant: str = "prima-sbx-madrid", key: str | None = None
) -> list[str]:
    creds = sb.credentials().covermanager
    return [
        "--set",
        f"restaurant_id={restaurant}",
        "--set",
        f"api_key=literal:{key or creds.api_key}",
        "--set",
        f"base_url={creds.base_url}",
    ]


def restoo_settings(
    sb: Sandbox, account: str = "prima-sbx-lisboa", key: str | None = None
) -> list[str]:
    creds = sb.credentials().restoo
    return [
        "--set",
        f"account={account}",
        "--set",
        f"api_key=literal:{key or creds.api_key}",
        "--set",
        f"base_url={creds.base_url}",
    ]


@pytest.fixture
def instant_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=2):
        yield


@pytest.fixture
def madrid(venues: CLI, sandbox: Sandbox) -> CLI:
    """madrid: CoverManager first, Restoo (Barcelona account, same zone) second."""
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    venues.ok(
        "platforms",
        "add",
        "madrid",
        "restoo",
        *restoo_settings(sandbox, account="prima-sbx-barcelona"),
    )
    return venues
