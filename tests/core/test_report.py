"""The report's figures against a store with known answers (tests/core/report_store.py), on
SQLite and PostgreSQL: loads per service and day, the status mix with "not reported"
no-shows, placement, sync health, the attention queue, and the filters."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prima_cli.cli.output import to_json
from prima_cli.cli.views.report import document
from prima_cli.core import report
from prima_cli.core.booking_facts import HELD, AttemptFact, Service, facts, service_of
from prima_cli.core.booking_state import AttemptState
from prima_cli.core.report_sql import of_counts
from prima_cli.core.report_values import Load, Percentiles, Report, ReportFilters
from prima_cli.errors import InvalidInput, NotFound
from prima_cli.store.store import Store
from tests.core.report_store import FROM, NOW, SENTINELS, TO, seed


@pytest.fixture(params=["sqlite", "postgres"])
def known(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The known store, on each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'report.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    store = seed(url)
    yield store
    store.dispose()


def build(store: Store, venues: tuple[str, ...] = (), platforms: tuple[str, ...] = ()) -> Report:
    return report.build(store, ReportFilters(FROM, TO, venues, platforms), now=NOW).value


def test_known_store(known: Store) -> None:
    r = build(known)
    b = r.bookings
    # booked = confirmed (the requested one included) and no-shows, inside the period
    assert (b.lunch, b.dinner) == (Load(2, 7), Load(2, 10))
    days = {d.date.isoformat(): (d.lunch, d.dinner) for d in b.days}
    assert days["2026-06-10"] == (Load(1, 2), Load(2, 10))
    assert days["2026-06-11"] == (Load(1, 5), Load(0, 0))
    assert len(b.days) == 14 and b.days[0].date == FROM
    by_venue = {s.key: (s.lunch, s.dinner) for s in b.by_venue}
    assert by_venue == {"madrid": (Load(2, 7), Load(1, 4)), "lisboa": (Load(0, 0), Load(1, 6))}
    assert {s.key: s.label for s in b.by_venue}["madrid"] == "Madrid <Centro> & Co"
    by_platform = {s.key: (s.lunch, s.dinner) for s in b.by_platform}
    assert by_platform == {"covermanager": (Load(2, 7), Load(0, 0)),
                           "restoo": (Load(0, 0), Load(2, 10))}  # fmt: skip
    # the coming week from each venue's today (15 June): only Lisboa's 20 June dinner
    ahead = [(d.date.isoformat(), d.dinner) for d in b.upcoming if d.total.bookings]
    assert ahead == [("2026-06-20", Load(1, 4))]

    s = r.status
    assert (s.total, s.confirmed, s.requested, s.rejected, s.failed, s.unknown) == (
        9,
        2,
        1,
        1,
        1,
        1,
    )
    assert (s.cancelled, s.cancelled_by) == (2, {"guest": 1, "platform": 1})
    assert (s.no_shows, s.no_shows_from) == (1, ["covermanager"])
    mixes = {m.key: m for m in r.status_by_platform}
    assert mixes["restoo"].no_shows is None  # it cannot report them: never 0
    assert mixes["covermanager"].no_shows == 1
    assert {m.key: m.total for m in r.status_by_venue} == {"lisboa": 4, "madrid": 5}

    p = r.placement
    placement = {x.key: (x.attempts, x.confirmed, x.success_rate, x.errors) for x in p.by_platform}
    assert placement == {
        "covermanager": (5, 3, 0.75, {"platform_unavailable": 1}),
        "restoo": (5, 3, 0.6, {"platform_unavailable": 1, "platform_rejected": 1}),
    }
    assert p.attempts_per_booking == {"1": 8, "2": 1}
    assert (p.placed, p.by_failover) == (6, 1)
    assert p.time_to_confirm == Percentiles(3, 2000, 3000)
    assert p.time_to_confirm_by_platform == {"covermanager": Percentiles(1, 1000, 1000),
                                             "restoo": Percentiles(2, 2000, 3000)}  # fmt: skip

    y = r.sync
    assert [(d.date.isoformat(), d.outcomes) for d in y.runs] == [
        ("2026-06-12", {"ok": 1}), ("2026-06-13", {"partial": 1})]  # fmt: skip
    assert y.outcomes == {"covermanager": {"failed": 1, "ok": 1}, "restoo": {"failed": 1, "ok": 3}}
    assert y.rate_limited == {"covermanager": 1, "restoo": 0}
    assert y.skipped == {"covermanager": 0, "restoo": 0}
    assert [(f.platform_type, f.date.day, f.results, f.failed) for f in y.failure_days] == [
        ("covermanager", 12, 1, 0), ("covermanager", 13, 1, 1),
        ("restoo", 12, 2, 0), ("restoo", 13, 2, 1)]  # fmt: skip
    assert y.duration == {"covermanager": Percentiles(2, 50, 100),
                          "restoo": Percentiles(4, 300, 500)}  # fmt: skip
    assert y.step_latency["auth"]["restoo"] == Percentiles(4, 30, 50)
    assert y.step_latency["statuses"] == {}
    errors = {(e.platform_type, e.error_type): (e.count, e.first_seen, e.last_seen)
              for e in y.top_errors}  # fmt: skip
    assert errors == {
        ("covermanager", "platform_rate_limited"): (1, RUNS_AT[1], RUNS_AT[1]),
        ("restoo", "platform_unavailable"): (1, RUNS_AT[1], RUNS_AT[1]),
    }
    grid = {(c.venue, c.platform_type): c.age_seconds for c in y.grid}
    two, three = 2 * 86400 + 7200, 3 * 86400 + 7200
    assert grid == {("madrid", "covermanager"): three, ("madrid", "restoo"): two,
                    ("lisboa", "restoo"): three}  # fmt: skip

    a = r.attention
    assert a.count == 1
    (item,) = a.items
    assert (item.venue, item.platform_type, item.reason, item.status) == (
        "madrid", "covermanager", "unknown", "unknown")  # fmt: skip
    assert item.age_seconds == int(
        (NOW - dt.datetime(2026, 6, 11, 9, tzinfo=dt.UTC)).total_seconds()
    )


RUNS_AT = [dt.datetime(2026, 6, 12, 10, tzinfo=dt.UTC), dt.datetime(2026, 6, 13, 10, tzinfo=dt.UTC)]


def test_filters_by_venue_and_platform(known: Store) -> None:
    r = build(known, venues=("lisboa",))
    assert r.status.total == 4 and [v.slug for v in r.venues] == ["lisboa"]
    assert {x.key for x in r.placement.by_platform} == {"restoo"}
    assert {c.venue for c in r.sync.grid} == {"lisboa"}
    assert r.sync.outcomes == {"restoo": {"failed": 1, "ok": 1}}
    r = build(known, platforms=("covermanager",))
    assert (r.status.total, r.status.no_shows) == (4, 1)
    assert r.bookings.total == Load(2, 7)
    assert list(r.sync.outcomes) == ["covermanager"]


def test_unknown_venue_is_not_found(tmp_path: Path) -> None:
    store = seed(f"sqlite:///{tmp_path / 'r.db'}")
    with pytest.raises(NotFound):
        report.build(store, ReportFilters(FROM, TO, ("nowhere",)))


def test_no_guest_data_in_the_document(known: Store) -> None:
    text = to_json(document(build(known)))
    for sentinel in SENTINELS:
        assert sentinel.lower() not in text.lower()
    assert json.loads(text)["schema"] == "prima.report/1"


def test_filters_parse() -> None:
    today = dt.date(2026, 6, 15)
    default = ReportFilters.parse(None, None, today=today)
    assert (default.date_from, default.date_to) == (dt.date(2026, 5, 19), today)
    assert ReportFilters.parse("2026-06-01", None, today=today).date_to == dt.date(2026, 6, 28)
    with pytest.raises(InvalidInput, match="--from"):
        ReportFilters.parse("1 June", None, today=today)
    with pytest.raises(InvalidInput, match="before"):
        ReportFilters.parse("2026-06-10", "2026-06-01", today=today)
    with pytest.raises(InvalidInput, match="at most"):
        ReportFilters.parse("2025-01-01", "2026-06-01", today=today)


def test_booking_facts() -> None:
    assert {s.value for s in AttemptState} >= HELD
    assert [service_of(dt.time(h)) for h in (5, 6, 16, 17, 23)] == [
        Service.DINNER, Service.LUNCH, Service.LUNCH, Service.DINNER, Service.DINNER]  # fmt: skip
    moved = facts(dt.time(21), [AttemptFact(2, "restoo", "confirmed", "confirmed"),
                                AttemptFact(1, "covermanager", "failed", None)])  # fmt: skip
    assert moved == {"service": "dinner", "platform_type": "restoo", "attempt_state": "confirmed",
                     "platform_status": "confirmed", "attempts": 2, "failover": True}  # fmt: skip
    refused = facts(dt.time(13), [AttemptFact(1, "cm", "failed", None),
                                  AttemptFact(2, "restoo", "rejected", None)])  # fmt: skip
    assert refused["failover"] is False and refused["attempts"] == 2
    assert facts(dt.time(13), [])["platform_type"] is None


def test_percentiles_are_nearest_rank() -> None:
    assert of_counts({}) == Percentiles()
    assert of_counts({7: 1}) == Percentiles(1, 7, 7)
    values = dict.fromkeys(range(1, 101), 1)
    assert of_counts(values) == Percentiles(100, 50, 95)
    assert of_counts({1: 19, 1000: 1}) == Percentiles(20, 1, 1)
    assert of_counts({1: 18, 1000: 2}) == Percentiles(20, 1, 1000)


def test_report_values_are_plain_data() -> None:
    assert dataclasses.is_dataclass(Report)
    fields: dict[str, Any] = {f.name: f for f in dataclasses.fields(Report)}
    assert "guest" not in " ".join(fields)
