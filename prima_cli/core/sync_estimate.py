"""How long a sync takes under the budgets of its credentials (``sync --dry-run``).

Requests per connection are counted from what its adapter does: the credentials check once
per credential when the adapter shares it (else once per connection), one calendar request
when the adapter has a calendar endpoint (else one availability request per day and party
size), one listing when it can list reservations. Credentials are paced in parallel, so the
run takes at least as long as its busiest credential's requests at its budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.platforms.contract import PlatformAdapter
from prima_cli.platforms.credential import credential_of

if TYPE_CHECKING:
    from prima_cli.core.targets import Target


@dataclass(frozen=True)
class CredentialEstimate:
    credential: str  # platform type and hash prefix, never the key
    connections: int
    requests: int
    rate_limit: str
    seconds: float


def requests_of(adapter: type[PlatformAdapter], days: int) -> int:
    """Requests a sync of ``days`` days makes for one connection (its own check included
    unless it is shared, which :func:`estimate` counts once per credential)."""
    calendar = adapter.availability_calendar is not PlatformAdapter.availability_calendar
    listing = adapter.list_reservations is not PlatformAdapter.list_reservations
    check = 0 if adapter.shares_credential_check else 1
    return check + (1 if calendar else days * len(adapter.calendar_party_sizes)) + int(listing)


def estimate(targets: Iterable[Target], days: int) -> list[CredentialEstimate]:
    """Per credential: its connections, requests and the seconds its budget needs for them."""
    found: dict[str, list] = {}  # type: ignore[type-arg]
    for target in targets:
        if target.adapter is None or target.connection is None:
            continue
        credential = credential_of(target.adapter, target.connection)
        entry = found.setdefault(
            credential.key, [credential, 0, 1 if target.adapter.shares_credential_check else 0]
        )
        entry[1] += 1
        entry[2] += requests_of(target.adapter, days)
        if credential.rate < entry[0].rate:
            entry[0] = credential
    result = []
    for key, (credential, connections, requests) in sorted(found.items()):
        rate = credential.rate
        seconds = max(0, requests - rate.burst) * rate.interval
        result.append(CredentialEstimate(key, connections, requests, str(rate), round(seconds, 1)))
    return result
