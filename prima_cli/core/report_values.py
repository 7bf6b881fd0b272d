"""The values of `prima report`: what it was asked for and every figure it found.

One computation (``core/report.py``) fills one :class:`Report`; the terminal summary, the JSON
document and the HTML page are drawn from it alone. Everything here is an aggregate: a report
holds venue names and slugs, platform names, booking references (in the attention queue) and
counts, never a guest's name, e-mail or phone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from prima_cli.errors import InvalidInput

#: the longest period one report covers
MAX_DAYS = 366
#: days of the default period, ending today
DEFAULT_DAYS = 28
#: the coming days whose load is shown, from each venue's today
UPCOMING_DAYS = 7
#: attention-queue items listed (the count is always complete)
ATTENTION_LIMIT = 50
#: top errors listed
TOP_ERRORS = 10


def _date(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    from prima_cli.core.dates import within_calendar

    try:
        return within_calendar(dt.date.fromisoformat(text), text)
    except ValueError:
        raise InvalidInput(f"{flag} must be a date, YYYY-MM-DD (got {text!r})") from None


@dataclass(frozen=True)
class ReportFilters:
    """What a report covers: venue-local dates ``date_from`` to ``date_to`` (inclusive), the
    venues (ids or slugs) and platform types (empty: all)."""

    date_from: dt.date
    date_to: dt.date
    venues: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        date_from: str | None,
        date_to: str | None,
        venues: tuple[str, ...] = (),
        platforms: tuple[str, ...] = (),
        *,
        today: dt.date | None = None,
    ) -> ReportFilters:
        """Checked filters (exit 2 on a bad date or range); the default period is the
        ``DEFAULT_DAYS`` days ending today, or ending ``--to``, or starting ``--from``."""
        today = today or dt.datetime.now(dt.UTC).date()
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        span = dt.timedelta(days=DEFAULT_DAYS - 1)
        if start is None and end is None:
            start, end = today - span, today
        elif start is None:
            assert end is not None
            start = end - span
        elif end is None:
            end = start + span
        if end < start:
            raise InvalidInput(f"--to ({end}) is before --from ({start})")
        if (end - start).days + 1 > MAX_DAYS:
            raise InvalidInput(f"a report covers at most {MAX_DAYS} days; narrow --from/--to")
        clean = tuple(dict.fromkeys(p.strip() for p in platforms if p.strip()))
        return cls(start, end, tuple(dict.fromkeys(venues)), clean)

    @property
    def days(self) -> list[dt.date]:
        return [
            self.date_from + dt.timedelta(days=i)
            for i in range((self.date_to - self.date_from).days + 1)
        ]


@dataclass(frozen=True)
class Load:
    """Bookings and covers (the sum of their party sizes)."""

    bookings: int = 0
    covers: int = 0

    def __add__(self, other: Load) -> Load:
        return Load(self.bookings + other.bookings, self.covers + other.covers)


@dataclass(frozen=True)
class DayLoad:
    """One venue-local day's lunch and dinner."""

    date: dt.date
    lunch: Load
    dinner: Load

    @property
    def total(self) -> Load:
        return self.lunch + self.dinner


@dataclass(frozen=True)
class LoadSplit:
    """The load of one venue or platform: its days, and the sums of the period and of the
    coming days."""

    key: str  #: venue slug or platform type
    label: str  #: venue name or platform type
    days: list[DayLoad]
    lunch: Load
    dinner: Load
    upcoming: list[DayLoad]

    @property
    def total(self) -> Load:
        return self.lunch + self.dinner


@dataclass(frozen=True)
class Bookings:
    """Bookings that hold (or held) a table: confirmed, and no-shows."""

    days: list[DayLoad]
    lunch: Load
    dinner: Load
    #: each venue's coming days from its own today, added up by date
    upcoming: list[DayLoad]
    by_venue: list[LoadSplit]
    by_platform: list[LoadSplit]

    @property
    def total(self) -> Load:
        return self.lunch + self.dinner


@dataclass(frozen=True)
class StatusMix:
    """How the bookings of the period stand. ``no_shows`` is None when no platform involved
    reports no-shows ("not reported", never 0)."""

    key: str
    label: str
    total: int = 0
    confirmed: int = 0
    #: confirmed locally, waiting for the restaurant to accept on the platform
    requested: int = 0
    pending: int = 0  #: being placed
    waitlisted: int = 0
    #: no platform holds it yet: the next sync (or the workers) places it again
    queued: int = 0
    rejected: int = 0  #: a platform refused it
    failed: int = 0  #: no platform could be reached or had room
    unknown: int = 0  #: outcome unknown: reconcile
    cancelled: int = 0
    #: who cancelled: ``platform`` (on the platform, by guest or venue), ``guest`` (through
    #: prima with a guest's reason), ``operator`` (through prima, other reason), ``unknown``
    cancelled_by: dict[str, int] = field(default_factory=dict)
    no_shows: int | None = None
    #: the platforms whose no-shows are counted (those that report reservation statuses)
    no_shows_from: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Percentiles:
    """p50 and p95 (nearest rank) of ``count`` values; None without values."""

    count: int = 0
    p50: int | None = None
    p95: int | None = None


@dataclass(frozen=True)
class PlatformPlacement:
    """Attempts to place bookings on one platform (or at one venue), and how they ended."""

    key: str
    label: str
    attempts: int
    confirmed: int
    #: confirmed attempts out of those with an answer (skipped and unknown left out)
    success_rate: float | None
    states: dict[str, int]
    errors: dict[str, int]


@dataclass(frozen=True)
class Placement:
    by_platform: list[PlatformPlacement]
    by_venue: list[PlatformPlacement]
    #: bookings by how many attempts they took ("1", "2", "3+")
    attempts_per_booking: dict[str, int]
    placed: int  #: bookings some platform holds or held
    by_failover: int  #: of those, held by a platform other than the first one tried
    #: time from the intent to the confirmation, overall and by platform (ms)
    time_to_confirm: Percentiles
    time_to_confirm_by_platform: dict[str, Percentiles]

    @property
    def failover_share(self) -> float | None:
        return self.by_failover / self.placed if self.placed else None


@dataclass(frozen=True)
class RunDay:
    """Sync runs that started on one (UTC) day, by how they ended."""

    date: dt.date
    outcomes: dict[str, int]


@dataclass(frozen=True)
class ConnectionAge:
    """One cell of the venue x platform grid: when its last sync succeeded."""

    venue: str
    platform_type: str
    enabled: bool
    last_success: dt.datetime | None
    #: seconds since ``last_success`` at the time of the report
    age_seconds: int | None
    last_status: str | None


@dataclass(frozen=True)
class FailureDay:
    """One platform's sync results on one (UTC) day."""

    platform_type: str
    date: dt.date
    results: int
    failed: int

    @property
    def rate(self) -> float:
        return self.failed / self.results if self.results else 0.0


@dataclass(frozen=True)
class ErrorSeen:
    platform_type: str
    error_type: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True)
class SyncHealth:
    runs: list[RunDay]
    grid: list[ConnectionAge]
    failure_days: list[FailureDay]
    top_errors: list[ErrorSeen]
    #: results by outcome per platform (``ok``, ``failed``, and any outcome a newer prima
    #: records, e.g. skipped by an open circuit)
    outcomes: dict[str, dict[str, int]]
    rate_limited: dict[str, int]
    skipped: dict[str, int]
    #: one connection's whole sync, per platform (ms)
    duration: dict[str, Percentiles]
    #: each step's time per platform: step -> platform -> percentiles (ms)
    step_latency: dict[str, dict[str, Percentiles]]


@dataclass(frozen=True)
class AttentionItem:
    """A booking that needs the operator: its outcome is unknown, or an attempt is flagged."""

    reference: str
    venue: str
    platform_type: str
    reason: str  #: ``unknown`` or ``flagged``
    status: str
    since: dt.datetime
    age_seconds: int


@dataclass(frozen=True)
class Attention:
    count: int
    items: list[AttentionItem]


@dataclass(frozen=True)
class VenueInfo:
    slug: str
    name: str
    timezone: str


@dataclass(frozen=True)
class Report:
    """Everything `prima report` shows, for one set of filters."""

    filters: ReportFilters
    generated_at: dt.datetime
    venues: list[VenueInfo]
    platforms: list[str]
    bookings: Bookings
    status: StatusMix
    status_by_venue: list[StatusMix]
    status_by_platform: list[StatusMix]
    placement: Placement
    sync: SyncHealth
    attention: Attention
