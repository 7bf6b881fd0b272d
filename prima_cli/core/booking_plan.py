"""The plan of a booking: a create's input validated and the platforms it may be placed on.

Everything here is read and checked before anything is written: a create refused for its
input writes nothing, so the corrected command can reuse its --reference.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_rules as rules
from prima_cli.core import targets as targets_core
from prima_cli.core import venues as venues_core
from prima_cli.core.booking_rules import BookingInput
from prima_cli.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import ReservationRequest
    from prima_cli.store.booking_tables import Booking


def new_reference() -> str:
    """A new booking reference: the prefix and ten unambiguous characters."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return rules.REFERENCE_PREFIX + "".join(secrets.choice(alphabet) for _ in range(10))


@dataclass
class Plan:
    """Everything validated for placing a booking, before anything is written."""

    date: dt.date
    time: dt.time
    party_size: int
    force: bool
    platform: str | None  # only this platform (no failover)
    targets: list[targets_core.Target]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Intent:
    """A new create's validated input: the plan and the booking row it will write."""

    plan: Plan
    venue_id: int
    timezone: str
    starts_at: dt.datetime
    guest: rules.Guest
    notes: str
    key: str | None
    fingerprint: str


def enabled_targets(session: Session, venue: Any, platform: str | None) -> list[Any]:
    """The venue's enabled connections (only ``platform``'s, if given) as targets, in
    priority order; none is its own error (disabled, or never connected)."""
    from sqlmodel import col, select

    from prima_cli.store.models import VenuePlatform

    query = select(VenuePlatform).where(VenuePlatform.venue_id == venue.id)
    if platform:
        query = query.where(VenuePlatform.platform_type == platform)
    rows = session.exec(query.order_by(col(VenuePlatform.priority))).all()
    enabled = [r for r in rows if r.is_enabled]
    if not enabled:
        if platform and rows:
            raise Conflict(
                f"the {platform} connection of {venue.slug} is disabled",
                hint=f"enable it: `prima platforms enable {venue.slug} {platform}`",
            )
        which = f"{platform} connection" if platform else "platform configured"
        raise NotFound(
            f"venue {venue.slug} has no enabled {which}",
            hint=f"connect one with `prima platforms add {venue.slug} TYPE ...`",
        )
    return targets_core.resolve((r, venue) for r in enabled)


def usable(targets: list[targets_core.Target], request: ReservationRequest
            ) -> tuple[list[targets_core.Target], list[str]]:  # fmt: skip
    """The targets whose platform can take ``request``, and a warning per one that cannot.

    When none can, the first platform's refusal is raised: a create refused for its input
    writes nothing, so the corrected command can reuse its --reference.
    """
    kept: list[targets_core.Target] = []
    warnings: list[str] = []
    first: InvalidInput | None = None
    for target in targets:
        if target.adapter is None or target.connection is None:
            kept.append(target)  # fails as an attempt, with the reason it cannot be used
            continue
        try:
            target.adapter(None).validate_request(target.connection, request)  # type: ignore[arg-type]
        except InvalidInput as err:
            first = first or err
            warnings.append(f"{target.platform_type} not tried: {err.message}")
            continue
        kept.append(target)
    if not any(t.adapter is not None for t in kept) and first is not None:
        raise first
    return kept, warnings


def read_intent(session: Session, data: BookingInput, now: dt.datetime) -> Intent:
    """Validate a create's input against its venue; the intent it will write."""
    venue = venues_core.find(session, data.venue)
    date = rules.parse_date(data.date, timezone=venue.timezone)
    time = rules.parse_time(data.time)
    rules.require_party(data.party_size)
    notes = rules.check_notes(data.notes)
    key = rules.check_key(data.reference)
    guest = rules.guest(data, venue.country)
    warnings: list[str] = []
    if data.snap_to_quarter and time.minute % 15:
        snapped = rules.snap_to_quarter(time)
        warnings.append(f"--time {time:%H:%M} snapped to {snapped:%H:%M} as asked")
        time = snapped
    start = rules.local_start(date, time, venue.timezone)
    rules.require_future(start, now, venue.timezone)
    targets = enabled_targets(session, venue, data.platform)
    assert venue.id is not None
    details = {
        "venue": venue.id,
        "date": date,
        "time": time,
        "party": data.party_size,
        "guest": [guest.first_name, guest.last_name, guest.email, guest.phone_e164],
        "notes": notes,
        "platform": data.platform,
        "force": data.force,
    }
    plan = Plan(date, time, data.party_size, data.force, data.platform, targets, warnings)
    return Intent(plan, venue.id, venue.timezone, start.astimezone(dt.UTC), guest, notes, key,
                   rules.fingerprint(**details))  # fmt: skip


def request_for(intent: Intent, reference: str) -> ReservationRequest:
    """What a platform is asked to create for ``intent`` under ``reference``."""
    from prima_cli.platforms.contract import ReservationRequest

    p, g = intent.plan, intent.guest
    return ReservationRequest(
        reference=reference, date=p.date, time=p.time, party_size=p.party_size,
        first_name=g.first_name, last_name=g.last_name, email=g.email, phone_e164=g.phone_e164,
        notes=intent.notes, force=p.force,
    )  # fmt: skip


def plan_of(session: Session, booking: Booking, target: targets_core.Target | None = None
            ) -> Plan:  # fmt: skip
    """The plan of an existing booking: on ``target`` only, or on its venue's enabled
    platforms in priority order (its requested platform, if it named one)."""
    from prima_cli.store.models import Venue

    if target is not None:
        targets = [target]
        platform: str | None = target.platform_type
    else:
        venue = session.get(Venue, booking.venue_id)
        platform = booking.requested_platform
        targets = enabled_targets(session, venue, platform)
    targets, warnings = usable(targets, att.request_of(booking))
    return Plan(booking.local_date, booking.local_time, booking.party_size, booking.force,
                platform, targets, warnings)  # fmt: skip
