"""The platform contract: what every adapter declares, accepts, returns and raises.

Adapters subclass :class:`PlatformAdapter` (or, for an HTTP API,
:class:`~prima_cli.platforms.http_adapter.HttpPlatformAdapter`), declare ``name`` and
``config_fields`` and implement four async methods over a shared ``httpx.AsyncClient``. They
return the typed values below and raise the ``Platform*`` errors of :mod:`prima_cli.errors`.
Part of the public adapter SDK: import these names from :mod:`prima_cli.platforms`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from prima_cli.platforms import rate_limit
from prima_cli.platforms.messages import DEFAULT_NO_AVAILABILITY, rejection

if TYPE_CHECKING:  # keep httpx out of imports done for --help
    import httpx

    from prima_cli.errors import PlatformRejected


@dataclass(frozen=True)
class ConfigField:
    """One configuration key of an adapter's connection.

    ``choices``, when given, are the only values the key takes: anything else is refused
    when it is set, before it is stored (``pending=maybe`` would reach the platform).

    ``locates`` (SDK 1.1) marks a key that says where the connection's reservations are (a
    restaurant, an account, the API's server). prima reconciles, cancels and syncs a
    booking through the connection's current settings, so ``platforms edit`` refuses to
    change such a key while bookings made there are live, unless ``--force``: a reconcile
    looking in the wrong place finds nothing, and the booking would be placed twice."""

    name: str
    required: bool = False
    secret: bool = False
    default: str | None = None
    help: str = ""
    choices: tuple[str, ...] = ()
    locates: bool = False


#: accepted by every platform type besides its own fields: ``--set rate_limit=50/min``
RATE_LIMIT_FIELD = ConfigField(
    "rate_limit",
    help=f"this key's request budget, {rate_limit.GRAMMAR} (default: the platform's)",
)


class ReservationStatus(StrEnum):
    """Normalised reservation status; the platform's raw status is always kept beside it."""

    PENDING = "pending"  # waiting for the restaurant to accept (CM 1, Restoo REQUESTED)
    CONFIRMED = "confirmed"
    WAITLIST = "waitlist"
    SEATED = "seated"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    UNKNOWN = "unknown"  # a raw status we do not know; kept raw, never rejected


class CancelReason(StrEnum):
    """Cancel reasons (Restoo's literals; CoverManager takes none)."""

    OTHER = "OTHER"
    CHANGED_PLANS = "CHANGED_PLANS"
    BOOKED_ANOTHER_PLACE = "BOOKED_ANOTHER_PLACE"


@dataclass(frozen=True)
class Connection:
    """A venue's connection to one platform, as an adapter sees it.

    ``config`` holds every declared key with defaults applied and secrets resolved
    (``env:NAME`` replaced by the variable's value). Adapters must not log it.
    """

    platform_type: str
    config: Mapping[str, str]
    venue_slug: str
    timezone: str = "UTC"
    country: str | None = None
    connection_id: int | None = None


@dataclass(frozen=True)
class AuthCheck:
    """Credentials were accepted; ``detail`` says what was verified."""

    detail: str


class Slot(NamedTuple):
    """A bookable combination: local date and time at the venue, party size, discount.

    A named tuple rather than a dataclass: a week's calendar is thousands of them per
    connection, and sync builds them for every connection.
    """

    date: dt.date
    time: dt.time
    party_size: int
    discount: str | None = None


#: one day of a calendar: party size -> its bookable venue-local times, in order. Compact on
#: purpose: a week's calendar is thousands of combinations per connection in every sync.
DayAvailability = dict[int, list[dt.time]]


@dataclass(frozen=True)
class ReservationRequest:
    """What we ask a platform to book. Date and time are venue-local wall time."""

    reference: str  # our booking reference (CoverManager ``ref``, Restoo ``bookingExternalId``)
    date: dt.date
    time: dt.time
    party_size: int
    first_name: str
    last_name: str
    email: str
    phone_e164: str
    notes: str = ""
    force: bool = False


@dataclass(frozen=True)
class ReservationResult:
    """A platform reservation: its id, raw and normalised status, and raw response."""

    external_id: str
    raw_status: str | None
    status: ReservationStatus
    raw_response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReservationRecord:
    """A reservation as a platform lists it (sync and reconcile read these).

    Optional fields are ``None`` when the platform's record does not carry them.
    """

    external_id: str
    raw_status: str | None
    status: ReservationStatus
    date: dt.date
    time: dt.time | None
    party_size: int | None
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone_e164: str | None = None
    reference: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CancelResult:
    """A cancelled reservation: its id, raw and normalised status, and raw response."""

    external_id: str
    raw_status: str | None
    status: ReservationStatus
    raw_response: Mapping[str, Any] = field(default_factory=dict)


class PlatformAdapter(ABC):
    """Base class of every platform adapter.

    Register a subclass under the ``prima.platforms.v1`` entry point group (the major
    version of the SDK it is written against); its entry point name must equal ``name``.
    Subclasses implement the four abstract methods; the others have working defaults.
    """

    #: the platform type: the entry point name and ``platform_type`` of connections
    name: ClassVar[str]
    #: how messages name the platform ("CoverManager")
    display_name: ClassVar[str]
    #: the adapter's own version, shown by ``prima platforms types``
    version: ClassVar[str] = "1"
    #: the SDK version whose features the adapter uses ("1.0"); prima refuses to load an
    #: adapter that needs a later minor version or another major version than it has
    sdk_version: ClassVar[str] = "1.0"
    config_fields: ClassVar[tuple[ConfigField, ...]] = ()
    #: whether configuration keys outside ``config_fields`` are accepted
    allow_extra_config: ClassVar[bool] = False
    #: the platform's wordings of "no room at that time": a refusal whose message matches is
    #: ``PlatformNoAvailability`` (the booking fails over), any other ``PlatformRejected``
    no_availability_messages: ClassVar[re.Pattern[str]] = DEFAULT_NO_AVAILABILITY
    #: the grid, in minutes, that booking times must sit on (Restoo: 15); 1 is any minute
    time_grid_minutes: ClassVar[int] = 1
    #: the request budget of one credential unless its connections set ``rate_limit``
    #: (grammar in :mod:`prima_cli.platforms.rate_limit`)
    default_rate_limit: ClassVar[str] = "600/min,burst=10"
    #: whether the credentials check has a part shared by every connection of a credential:
    #: then :meth:`check_credential` is asked once per credential per run and
    #: :meth:`auth_from` checks each connection against its answer
    shares_credential_check: ClassVar[bool] = False

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every contract call runs with its connection's credential bound, so the HTTP layer
        # paces and guards its requests without the adapter passing anything along
        super().__init_subclass__(**kwargs)
        from prima_cli.platforms.credential import BOUND_METHODS, on_connection

        for name in BOUND_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and inspect.iscoroutinefunction(method):
                setattr(cls, name, on_connection(method))

    async def check_credential(self, connection: Connection) -> Any:
        """The credential's part of the credentials check (``shares_credential_check``).

        Its answer is shared by every connection of the credential in a run and handed to
        :meth:`auth_from`; errors are shared too (a refused key fails them all).
        """
        raise NotImplementedError(f"{self.name} does not share its credentials check")

    def auth_from(self, connection: Connection, shared: Any) -> AuthCheck:
        """This connection's own check, from :meth:`check_credential`'s answer (no request)."""
        raise NotImplementedError(f"{self.name} does not share its credentials check")

    @classmethod
    def field(cls, name: str) -> ConfigField | None:
        """The declared configuration field ``name``, or ``None``."""
        return next((f for f in cls.config_fields if f.name == name), None)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of the configuration fields that are secret (masked, scrubbed)."""
        return frozenset(f.name for f in cls.config_fields if f.secret)

    @classmethod
    def classify_rejection(
        cls, message: str, platform_message: str | None, *, http_status: int | None = None
    ) -> PlatformRejected:
        """The typed error of a refusal that carries the platform's own words.

        ``PlatformNoAvailability`` when ``platform_message`` matches
        :attr:`no_availability_messages`, else ``PlatformRejected``. Override it for a
        platform whose refusals carry a machine-readable code instead of words.
        """
        return rejection(
            cls.name,
            message,
            platform_message,
            no_availability=cls.no_availability_messages,
            http_status=http_status,
        )

    def validate_request(self, connection: Connection, request: ReservationRequest) -> None:
        """Refuse, before anything is written or sent, what this platform can never take.

        Raises :class:`~prima_cli.errors.InvalidInput` (e.g. Restoo: a time off the
        quarter-hour grid). The default accepts everything.
        """
        return None

    #: party sizes cached by the default availability_calendar (one call per size and day)
    calendar_party_sizes: ClassVar[tuple[int, ...]] = (2, 4, 6)
    #: whether ``availability_calendar`` lists every bookable party size of a date, so that a
    #: size it leaves out has no availability then (rather than was not asked for)
    calendar_lists_every_size: ClassVar[bool] = False

    async def availability_calendar(
        self,
        connection: Connection,
        date_start: dt.date,
        date_end: dt.date,
        party_size: int | None = None,
    ) -> dict[dt.date, DayAvailability]:
        """Bookable times per venue-local date from ``date_start`` to ``date_end`` (for sync).

        The default asks :meth:`check_availability` for each day and each of
        ``calendar_party_sizes``; platforms with a calendar endpoint override it. A date
        missing from the result is unknown, not "no availability".
        """
        sizes = (party_size,) if party_size else self.calendar_party_sizes
        result: dict[dt.date, DayAvailability] = {}
        day = date_start
        while day <= date_end:
            times: DayAvailability = {}
            for size in sizes:
                for slot in await self.check_availability(connection, day, None, size):
                    times.setdefault(slot.party_size, []).append(slot.time)
            result[day] = {size: sorted(set(t)) for size, t in sorted(times.items())}
            day += dt.timedelta(days=1)
        return result

    async def list_reservations(
        self, connection: Connection, date_start: dt.date, date_end: dt.date
    ) -> list[ReservationRecord]:
        """Reservations on the platform between two venue-local dates (status refresh).

        Platforms that cannot list raise PlatformUnsupported (the default).
        """
        from prima_cli.errors import PlatformUnsupported

        raise PlatformUnsupported(
            f"{self.display_name} offers no way to list reservations", platform=self.name
        )

    async def find_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationRecord | None:
        """Look up what a create with ``request`` left on the platform (reconciliation).

        By our reference first, else by guest and time; ``None`` when the platform holds
        no such reservation. Platforms without a look-up raise PlatformUnsupported.
        """
        from prima_cli.errors import PlatformUnsupported

        raise PlatformUnsupported(
            f"{self.display_name} offers no way to look a reservation up",
            platform=self.name,
        )

    @abstractmethod
    async def check_auth(self, connection: Connection) -> AuthCheck:
        """Verify the credentials (a cheap read-only call)."""

    @abstractmethod
    async def check_availability(
        self,
        connection: Connection,
        date: dt.date,
        time: dt.time | None,
        party_size: int,
    ) -> list[Slot]:
        """Bookable slots for ``party_size`` on ``date``.

        ``time`` is a hint for platforms whose query needs one; adapters may return
        every slot of the date for ``party_size``, so callers filter by time (and pick
        alternatives) themselves. An empty list means "no availability"; failures
        raise. A platform without an availability endpoint raises
        :class:`~prima_cli.errors.PlatformUnsupported`.
        """

    @abstractmethod
    async def create_reservation(
        self, connection: Connection, request: ReservationRequest
    ) -> ReservationResult:
        """Create the reservation; may raise PlatformAmbiguousOutcome (never retried)."""

    @abstractmethod
    async def cancel_reservation(
        self, connection: Connection, external_id: str, reason: CancelReason
    ) -> CancelResult:
        """Cancel a reservation by the platform's id."""
