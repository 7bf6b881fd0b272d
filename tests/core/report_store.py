"""A small store with known answers for the report's tests: two venues, both platforms, every
status, a failover, two sync runs; every guest carries the sentinel name, e-mail and phone
that no output of the report may contain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from prima_cli.core import demo_history
from prima_cli.core.booking_facts import AttemptFact, facts
from prima_cli.store import migrate
from prima_cli.store.models import Venue, VenuePlatform
from prima_cli.store.store import Store

SENTINEL_NAME = "Zebulonquix"
SENTINEL_LAST = "Sentinelworth"
SENTINEL_EMAIL = "zebulonquix.sentinel@example.org"
SENTINEL_PHONE = "+34699887766"
SENTINELS = (SENTINEL_NAME, SENTINEL_LAST, SENTINEL_EMAIL, SENTINEL_PHONE, "699887766")

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
FROM, TO = dt.date(2026, 6, 1), dt.date(2026, 6, 14)
UTC = dt.UTC


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, 0, tzinfo=UTC)


#: (venue, date, time, party, status, cancel reason, confirm ms,
#:  attempts as (platform, state, platform status, error type))
BOOKINGS: list[tuple[Any, ...]] = [
    ("madrid", "2026-06-10", "13:30", 2, "confirmed", None, 1000,
     [("covermanager", "confirmed", "confirmed", None)]),
    ("madrid", "2026-06-10", "21:00", 4, "confirmed", None, 3000,
     [("covermanager", "failed", None, "platform_unavailable"),
      ("restoo", "confirmed", "confirmed", None)]),
    ("madrid", "2026-06-11", "21:00", 3, "cancelled", "ON_PLATFORM", None,
     [("covermanager", "cancelled", "cancelled", None)]),
    ("madrid", "2026-06-11", "14:00", 5, "no_show", None, None,
     [("covermanager", "confirmed", "no_show", None)]),
    ("madrid", "2026-06-12", "22:00", 2, "unknown", None, None,
     [("covermanager", "unknown", None, None)]),
    ("lisboa", "2026-06-10", "20:00", 6, "confirmed", None, 2000,
     [("restoo", "confirmed", "pending", None)]),
    ("lisboa", "2026-06-12", "13:00", 2, "rejected", None, None,
     [("restoo", "failed", None, "platform_unavailable")]),
    ("lisboa", "2026-06-12", "13:15", 2, "rejected", None, None,
     [("restoo", "rejected", None, "platform_rejected")]),
    ("lisboa", "2026-06-13", "20:00", 2, "cancelled", "CHANGED_PLANS", None,
     [("restoo", "cancelled", "cancelled", None)]),
    ("lisboa", "2026-06-20", "20:00", 4, "confirmed", None, 500,
     [("restoo", "confirmed", "confirmed", None)]),
    ("lisboa", "2026-05-01", "20:00", 8, "confirmed", None, 500,
     [("restoo", "confirmed", "confirmed", None)]),
]  # fmt: skip

#: (run started, [(venue, platform, status, error type, duration, auth ms, statuses step)])
RUNS: list[tuple[dt.datetime, list[tuple[Any, ...]]]] = [
    (_at(12, 10), [("madrid", "covermanager", "ok", None, 100, 10, "ok"),
                   ("madrid", "restoo", "ok", None, 200, 20, "unsupported"),
                   ("lisboa", "restoo", "ok", None, 300, 30, "unsupported")]),
    (_at(13, 10), [("madrid", "covermanager", "failed", "platform_rate_limited", 50, 5, None),
                   ("madrid", "restoo", "ok", None, 400, 40, "unsupported"),
                   ("lisboa", "restoo", "failed", "platform_unavailable", 500, 50, None)]),
]  # fmt: skip
#: when each connection last synced successfully
LAST_SUCCESS = {("madrid", "covermanager"): _at(12, 10), ("madrid", "restoo"): _at(13, 10),
                ("lisboa", "restoo"): _at(12, 10)}  # fmt: skip


def seed(url: str) -> Store:
    """Migrate ``url`` and write the known store; the store."""
    store = Store(url, create=True)
    migrate.upgrade(store)
    v, c = Venue.__table__, VenuePlatform.__table__  # type: ignore[attr-defined]
    ids: dict[Any, int] = {}
    with store.engine.begin() as conn:
        for slug, name, zone in (("madrid", "Madrid <Centro> & Co", "Europe/Madrid"),
                                 ("lisboa", "Lisboa", "Europe/Lisbon")):  # fmt: skip
            ids[slug] = conn.execute(
                sa.insert(v).returning(v.c.id),
                {"name": name, "slug": slug, "timezone": zone, "created_at": NOW,
                 "updated_at": NOW, "uses_covermanager": False,
                 "covermanager_sync_enabled": False},
            ).scalar_one()  # fmt: skip
        for priority, (slug, platform) in enumerate(LAST_SUCCESS, start=1):
            ids[(slug, platform)] = conn.execute(
                sa.insert(c).returning(c.c.id),
                {"venue_id": ids[slug], "platform_type": platform, "is_enabled": True,
                 "priority": priority, "configuration": {}, "created_at": NOW,
                 "updated_at": NOW, "last_synced_at": LAST_SUCCESS[(slug, platform)]},
            ).scalar_one()  # fmt: skip
        history = demo_history.History()
        for n, (slug, date, time, party, status, reason, confirm, tries) in enumerate(BOOKINGS):
            day, at = dt.date.fromisoformat(date), dt.time.fromisoformat(time)
            created = dt.datetime.combine(day, dt.time(9), UTC) - dt.timedelta(days=1)
            attempts = [AttemptFact(i, p, s, st) for i, (p, s, st, _e) in enumerate(tries, 1)]
            history.bookings.append(
                {"reference": f"PRM-T{n:04d}", "fingerprint": f"{n:064d}",
                 "venue_id": ids[slug], "local_date": day, "local_time": at,
                 "timezone": "Europe/Madrid", "starts_at": dt.datetime.combine(day, at, UTC),
                 "party_size": party, "first_name": SENTINEL_NAME, "last_name": SENTINEL_LAST,
                 "email": SENTINEL_EMAIL, "phone_e164": SENTINEL_PHONE,
                 "notes": f"{SENTINEL_NAME} likes the window", "force": False,
                 "status": status, "cancel_reason": reason, "created_at": created,
                 "updated_at": created, **facts(at, attempts), "confirm_ms": confirm}
            )  # fmt: skip
            history.attempts.append(
                [{"venue_platform_id": ids[(slug, p)], "platform_type": p, "attempt": i,
                  "idempotency_key": f"PRM-T{n:04d}-{i}", "state": s, "status": st,
                  "error_type": e, "error_message": e and f"{SENTINEL_NAME}: refused",
                  "external_id": f"x{n}-{i}", "created_at": created, "updated_at": created,
                  "attention": f"check {SENTINEL_NAME}" if s == "unknown" else None,
                  "venue_id": ids[slug], "local_date": day}
                 for i, (p, s, st, e) in enumerate(tries, 1)]
            )  # fmt: skip
        for started, results in RUNS:
            failed = sum(r[2] == "failed" for r in results)
            history.runs.append({"trigger": "cron", "worker": "t", "options": {}, "counts": {},
                                 "status": "partial" if failed else "ok",
                                 "started_at": started, "finished_at": started})  # fmt: skip
            history.results.append(
                [{"venue_platform_id": ids[(slug, p)], "venue_slug": slug, "platform_type": p,
                  "status": st, "error_type": e,
                  "error_message": e and f"{SENTINEL_EMAIL} said no",
                  "steps": {"auth": "ok", **({"statuses": {"status": steps}} if steps else {})},
                  "duration_ms": d, "auth_ms": auth, "finished_at": started}
                 for slug, p, st, e, d, auth, steps in results]
            )  # fmt: skip
        demo_history.insert(conn, history)
    return store
