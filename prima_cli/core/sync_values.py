"""The values of a sync: its options, each connection's steps and outcome, and the report.

A step is a typed value; what a run stores (and ``--json`` prints) is each step as a mapping of
its set fields, in declaration order, so a field left unset stays out of the record.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from prima_cli.errors import InvalidInput, PrimaError

if TYPE_CHECKING:
    from prima_cli.core.sync_estimate import CredentialEstimate

OK, FAILED = "ok", "failed"


@dataclass(frozen=True)
class SyncOptions:
    venues: tuple[str, ...] = ()  # ids or slugs; empty: every venue
    platform_type: str | None = None
    days: int = 7
    concurrency: int = 10
    wait: float = 0.0
    trigger: str = "manual"

    def check(self) -> None:
        """Refuse options out of range (exit 2) before anything is read or written."""
        if not 1 <= self.days <= 60:
            raise InvalidInput("--days must be between 1 and 60")
        if not 1 <= self.concurrency <= 200:
            raise InvalidInput("--concurrency must be between 1 and 200")
        if not 0 <= self.wait < math.inf:  # NaN: False
            raise InvalidInput("--wait must be a finite number of seconds >= 0")


def _record(step: Any) -> dict[str, Any]:
    return {
        f.name: getattr(step, f.name) for f in fields(step) if getattr(step, f.name) is not None
    }


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class AvailabilityStep:
    """The availability refresh: ok (``days`` cached, ``slots`` in them), unsupported by the
    platform (``detail`` says why), failed, or refused (an incomplete calendar, ``days`` 0)."""

    status: str
    detail: str | None = None
    days: int | None = None
    slots: int | None = None

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> AvailabilityStep:
        detail = data.get("detail")
        return cls(str(data.get("status", "")), str(detail) if detail is not None else None,
                   _int(data.get("days")), _int(data.get("slots")))  # fmt: skip


@dataclass(frozen=True)
class AuthStep:
    """The credential check: ok (with what the platform verified) or failed."""

    status: str
    detail: str | None = None

    @classmethod
    def from_record(cls, data: Mapping[str, Any] | str) -> AuthStep:
        if isinstance(data, str):  # runs recorded before steps were typed: the detail alone
            return cls("failed") if data == "failed" else cls("ok", data)
        detail = data.get("detail")
        return cls(str(data.get("status", "")), str(detail) if detail is not None else None)


@dataclass(frozen=True)
class ReconcileStep:
    """Reconciliation and the outbox: attempts settled, left to the operator (``manual``),
    still in flight or failed, and bookings pushed to the platform, or (a worker's sync)
    ``queued`` as push jobs."""

    settled: int = 0
    manual: int = 0
    in_flight: int = 0
    errors: int = 0
    pushed: int = 0
    queued: int | None = None

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> ReconcileStep:
        def count(name: str) -> int:
            return _int(data.get(name)) or 0

        return cls(count("settled"), count("manual"), count("in_flight"), count("errors"),
                   count("pushed"), _int(data.get("queued")))  # fmt: skip


@dataclass(frozen=True)
class StatusesStep:
    """The status refresh: ok (``listed`` by the platform, ``changed`` here), unsupported or
    failed."""

    status: str
    listed: int | None = None
    changed: int | None = None

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> StatusesStep:
        return cls(str(data.get("status", "")), _int(data.get("listed")),
                   _int(data.get("changed")))  # fmt: skip


@dataclass
class SyncSteps:
    """What each step of one connection's sync did; a step that did not run stays None."""

    auth: AuthStep | None = None
    availability: AvailabilityStep | None = None
    reconcile: ReconcileStep | None = None
    statuses: StatusesStep | None = None

    def to_record(self) -> dict[str, Any]:
        """The stored form: the steps that ran, each as the mapping of its set fields."""
        data: dict[str, Any] = {}
        for name, step in (("auth", self.auth), ("availability", self.availability),
                           ("reconcile", self.reconcile), ("statuses", self.statuses)):  # fmt: skip
            if step is not None:
                data[name] = _record(step)
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> SyncSteps:
        """Read a stored record back (a step it does not hold stays None)."""

        def part(name: str) -> Mapping[str, Any] | None:
            value = data.get(name)
            return value if isinstance(value, Mapping) else None

        auth = data.get("auth")
        availability, reconcile, statuses = (
            part("availability"),
            part("reconcile"),
            part("statuses"),
        )
        return cls(
            auth=AuthStep.from_record(auth) if isinstance(auth, str | Mapping) else None,
            availability=AvailabilityStep.from_record(availability) if availability else None,
            reconcile=ReconcileStep.from_record(reconcile) if reconcile else None,
            statuses=StatusesStep.from_record(statuses) if statuses else None,
        )


@dataclass
class ConnectionOutcome:
    connection_id: int
    venue_slug: str
    platform_type: str
    status: str = OK
    steps: SyncSteps = field(default_factory=SyncSteps)
    error: PrimaError | None = None
    duration_ms: int = 0
    #: each step's own time in milliseconds, by step name (``auth``, ``availability``,
    #: ``reconcile``, ``statuses``); a step that did not run is absent
    step_ms: dict[str, int] = field(default_factory=dict)
    #: the new availability snapshot, written with the outcome in one transaction
    snapshot: dict[dt.date, Any] | None = None


#: told of each connection's outcome as it ends: (done, total so far, outcome)
Progress = Callable[[int, int, ConnectionOutcome], None]


def summarise(outcomes: list[ConnectionOutcome]) -> dict[str, int]:
    """A run's counts (stored with the run and printed in its summary line)."""
    counts = {"connections": len(outcomes), "ok": 0, "failed": 0, "availability_days": 0,
              "reconciled": 0, "pushed": 0, "statuses_changed": 0, "attention": 0}  # fmt: skip
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1  # "skipped" only where a job skips
        steps = o.steps
        if steps.availability is not None:
            counts["availability_days"] += steps.availability.days or 0
        if steps.reconcile is not None:
            counts["reconciled"] += steps.reconcile.settled
            counts["pushed"] += steps.reconcile.pushed
            counts["attention"] += steps.reconcile.manual
        if steps.statuses is not None:
            counts["statuses_changed"] += steps.statuses.changed or 0
    return counts


@dataclass(frozen=True)
class Planned:
    """What a run would do for one connection (--dry-run)."""

    venue_slug: str
    platform_type: str
    steps: list[str]
    problem: str | None


@dataclass(frozen=True)
class SyncPlan:
    """A dry run: the connections a run would sync, and its credentials' budgets."""

    planned: list[Planned]
    credentials: list[CredentialEstimate]

    @property
    def estimated_seconds(self) -> float:
        """At least this long: the busiest credential's requests at its budget."""
        return max((c.seconds for c in self.credentials), default=0.0)


@dataclass(frozen=True)
class ResultInfo:
    """One connection's outcome as a run stored it."""

    venue_slug: str
    platform_type: str
    status: str
    steps: SyncSteps
    error_type: str | None
    error_message: str | None
    duration_ms: int
    finished_at: dt.datetime


@dataclass(frozen=True)
class RunInfo:
    """A stored run; ``results`` is empty where runs are listed."""

    id: int
    trigger: str
    worker: str
    status: str
    options: dict[str, Any]
    counts: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    results: list[ResultInfo]


@dataclass(frozen=True)
class SyncReport:
    run_id: int
    status: str  # ok | partial | failed | empty | interrupted
    started_at: dt.datetime
    finished_at: dt.datetime
    #: each connection's outcome, in the order they ended
    outcomes: list[ConnectionOutcome]
    #: the run as stored (what `platforms history RUN` shows)
    record: RunInfo

    @property
    def counts(self) -> dict[str, int]:
        return summarise(self.outcomes)
