"""Shared by the budget and circuit-breaker tests: connections of many venues on one key,
and what the simulator saw of them."""

from __future__ import annotations

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.conftest import cm_settings


def connect_many(cli: CLI, sb: Sandbox, count: int, rate: str) -> list[str]:
    """``count`` venues, each with a CoverManager connection on the simulator's one key
    (``rate_limit=rate``); their slugs."""
    restaurants = [r.slug for r in sb.credentials().covermanager.restaurants]
    slugs = [f"venue-{n:02d}" for n in range(count)]
    for n, slug in enumerate(slugs):
        cli.ok("venues", "add", f"Venue {n}", "--slug", slug, "--timezone", "Europe/Madrid")
        cli.ok("platforms", "add", slug, "covermanager", "--no-test",
               *cm_settings(sb, restaurant=restaurants[n % len(restaurants)]),
               "--set", f"rate_limit={rate}")  # fmt: skip
    return slugs


def cm_times(sb: Sandbox) -> list[float]:
    """When the simulator answered each CoverManager request, oldest first."""
    return sorted(r.at for r in sb.requests_log if r.platform == "covermanager")


def busiest_window(times: list[float], window: float) -> int:
    """The most requests answered within any ``window`` seconds."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most
