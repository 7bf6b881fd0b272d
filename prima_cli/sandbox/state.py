"""The simulator's platform-side state: reservations on both platforms, behind one lock.

Tests use it to look at what a platform holds and to act "on the platform side" (a guest
cancelling, a no-show, the restaurant confirming a request). With a state path every
change is written to a JSON file atomically (temporary file, then rename).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import string
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prima_cli.sandbox import availability
from prima_cli.sandbox.seed import COVERMANAGER, RESTOO, SeedData, Venue

# CoverManager status codes (strings, as the platform sends them; research 1.5.3).
CM_PENDING = "1"
CM_CONFIRMED = "3"
CM_SEATED = "5"
CM_GUEST_CANCELLED = "-2"
CM_NO_SHOW = "-3"
CM_CANCELLED = "-5"  # cancelled through the API (reserv/cancel_client)
# Restoo statuses (CONFIRMED/REQUESTED/PENDING_WAIT_LIST_BOOKING seen in its widget;
# CANCELLED and NO_SHOW are our guesses).
RESTOO_CONFIRMED = "CONFIRMED"
RESTOO_REQUESTED = "REQUESTED"
RESTOO_WAITLIST = "PENDING_WAIT_LIST_BOOKING"
RESTOO_CANCELLED = "CANCELLED"
RESTOO_NO_SHOW = "NO_SHOW"
_RESTOO_INACTIVE = frozenset({RESTOO_WAITLIST, RESTOO_CANCELLED, RESTOO_NO_SHOW})

STATE_FORMAT = "prima-sandbox-state"
STATE_VERSION = 1


class Unavailable(Exception):
    """The slot cannot take this party."""


@dataclass
class Reservation:
    """A reservation as the platform stores it (status is the platform's raw value)."""

    id: str  # CoverManager id_reserv, or Restoo uuid
    platform: str
    venue: str  # restaurant slug or Restoo account
    date: str  # venue-local YYYY-MM-DD
    time: str  # venue-local HH:MM
    party_size: int
    status: str
    first_name: str
    last_name: str = ""
    email: str = ""
    phone: str = ""  # CoverManager: national digits; Restoo: E.164
    int_call_code: str = ""
    notes: str = ""
    reference: str = ""  # CoverManager ref / Restoo bookingExternalId
    source: str = ""
    language: str = ""
    tables: str = ""
    id_client: str = ""
    forced: bool = False
    cancel_reason: str | None = None
    created_at: str = ""  # UTC ISO 8601
    updated_at: str = ""  # UTC ISO 8601, last status change

    @property
    def active(self) -> bool:
        """Whether it holds covers (live bookings do; cancelled, no-show, waitlist don't)."""
        if self.platform == COVERMANAGER:
            return int(self.status) > 0
        return self.status not in _RESTOO_INACTIVE

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SandboxState:
    """Reservations and slot-capacity overrides, thread-safe, optionally persisted."""

    def __init__(
        self,
        seed: SeedData,
        *,
        window_days: int = 180,
        clock: Callable[[], dt.datetime] | None = None,
        path: str | Path | None = None,
        id_salt: str = "",
    ) -> None:
        self.seed = seed
        self._id_salt = f"{id_salt}:" if id_salt else ""
        self.window_days = window_days
        self._clock = clock
        self._path = Path(path) if path is not None else None
        self._lock = threading.RLock()
        self._reservations: dict[str, Reservation] = {}
        self._overrides: dict[tuple[str, str, str, str], int] = {}
        self._counters = {COVERMANAGER: 0, RESTOO: 0, "client": 0}
        self._clients: dict[str, str] = {}
        #: free covers per (platform, venue, day, minute), emptied by every change: a sync
        #: asks for the same venue-days thousands of times while nothing changes
        self._free: dict[tuple[str, str, dt.date, dt.datetime], dict[str, int]] = {}
        if self._path is not None:
            self._open(self._path)

    # --- reading ------------------------------------------------------------------

    def now(self) -> dt.datetime:
        now = self._clock() if self._clock else dt.datetime.now(dt.UTC)
        return now if now.tzinfo else now.replace(tzinfo=dt.UTC)

    def venue(self, platform: str, slug: str) -> Venue | None:
        return self.seed.venue(platform, slug)

    def reservations(
        self, platform: str | None = None, venue: str | None = None
    ) -> list[Reservation]:
        """Copies of the stored reservations, oldest first, optionally filtered."""
        with self._lock:
            return [
                dataclasses.replace(r)
                for r in self._reservations.values()
                if (platform is None or r.platform == platform)
                and (venue is None or r.venue == venue)
            ]

    def get(self, reservation_id: str) -> Reservation | None:
        with self._lock:
            found = self._reservations.get(reservation_id)
            return dataclasses.replace(found) if found else None

    def free_covers(self, venue: Venue, day: dt.date) -> dict[str, int]:
        """Covers left per bookable time of ``day`` ("HH:MM" -> covers > 0)."""
        now = self.now()
        minute = now.replace(second=0, microsecond=0)  # grid times are whole minutes
        with self._lock:
            key = (venue.platform, venue.slug, day, minute)
            free = self._free.get(key)
            if free is None:
                if len(self._free) >= 4096:
                    self._free.clear()
                free = availability.remaining_covers(
                    venue,
                    day,
                    now,
                    self.window_days,
                    self._booked(venue, day),
                    self._overrides_for(venue, day),
                )
                self._free[key] = free
            return dict(free)

    def is_open(self, venue: Venue, day: dt.date, hhmm: str) -> bool:
        """A future service time within the booking window (whatever its capacity)."""
        return availability.is_open(venue, day, hhmm, self.now(), self.window_days)

    # --- platform operations --------------------------------------------------------

    def book(
        self,
        venue: Venue,
        day: dt.date,
        hhmm: str,
        party_size: int,
        *,
        status: str,
        force: bool = False,
        **fields: Any,
    ) -> Reservation:
        """Store a reservation; unless ``force``, raise Unavailable when it does not fit."""
        with self._lock:
            if not force:
                left = self.free_covers(venue, day).get(hhmm, 0)
                if party_size not in availability.party_sizes(venue, left):
                    raise Unavailable(f"{hhmm} on {day} cannot take {party_size}")
            now = _iso(self.now())
            res = Reservation(
                id=self._new_id(venue.platform),
                platform=venue.platform,
                venue=venue.slug,
                date=day.isoformat(),
                time=hhmm,
                party_size=party_size,
                status=status,
                forced=force,
                created_at=now,
                updated_at=now,
                **fields,
            )
            res.id_client = self._client_id(res)
            self._reservations[res.id] = res
            self._save()
            return dataclasses.replace(res)

    def set_status(
        self, reservation_id: str, status: str, *, cancel_reason: str | None = None
    ) -> Reservation:
        """Change a reservation's raw status (KeyError when unknown)."""
        with self._lock:
            res = self._reservations[reservation_id]
            res.status = status
            if cancel_reason is not None:
                res.cancel_reason = cancel_reason
            res.updated_at = _iso(self.now())
            self._save()
            return dataclasses.replace(res)

    # --- test helpers: things that happen on the platform side ----------------------

    def cancel_by_guest(self, reservation_id: str) -> Reservation:
        """The guest cancels on the platform (CoverManager -2, Restoo CANCELLED)."""
        return self._set_for_platform(reservation_id, CM_GUEST_CANCELLED, RESTOO_CANCELLED)

    def mark_no_show(self, reservation_id: str) -> Reservation:
        """The restaurant marks a no-show (CoverManager -3, Restoo NO_SHOW)."""
        return self._set_for_platform(reservation_id, CM_NO_SHOW, RESTOO_NO_SHOW)

    def confirm(self, reservation_id: str) -> Reservation:
        """The restaurant accepts a pending request (CoverManager 3, Restoo CONFIRMED)."""
        return self._set_for_platform(reservation_id, CM_CONFIRMED, RESTOO_CONFIRMED)

    def set_slot_capacity(
        self, platform: str, slug: str, day: dt.date, hhmm: str, covers: int
    ) -> None:
        """Override one slot's capacity (0 closes it)."""
        with self._lock:
            self._overrides[(platform, slug, day.isoformat(), hhmm)] = covers
            self._save()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state lock across several calls (check-then-act in a route)."""
        with self._lock:
            yield

    # --- internals ------------------------------------------------------------------

    def _set_for_platform(self, reservation_id: str, cm: str, restoo: str) -> Reservation:
        with self._lock:
            res = self._reservations[reservation_id]
            return self.set_status(reservation_id, cm if res.platform == COVERMANAGER else restoo)

    def _booked(self, venue: Venue, day: dt.date) -> dict[str, int]:
        booked: dict[str, int] = {}
        iso = day.isoformat()
        for r in self._reservations.values():
            mine = r.platform == venue.platform and r.venue == venue.slug and r.date == iso
            if mine and r.active:
                booked[r.time] = booked.get(r.time, 0) + r.party_size
        return booked

    def _overrides_for(self, venue: Venue, day: dt.date) -> dict[str, int]:
        key = (venue.platform, venue.slug, day.isoformat())
        return {k[3]: v for k, v in self._overrides.items() if k[:3] == key}

    def _new_id(self, platform: str) -> str:
        while True:
            self._counters[platform] += 1
            rng = random.Random(
                f"{self.seed.seed}:{self._id_salt}{platform}:{self._counters[platform]}"
            )
            if platform == COVERMANAGER:
                new = "".join(rng.choices(string.ascii_letters + string.digits, k=6))
            else:
                new = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if new not in self._reservations:
                return new

    def _client_id(self, res: Reservation) -> str:
        who = (res.email or res.phone or res.full_name).strip().lower()
        key = f"{res.platform}:{res.venue}:{who}"
        if key not in self._clients:
            self._counters["client"] += 1
            self._clients[key] = str(700000 + self._counters["client"])
        return self._clients[key]

    def _save(self) -> None:
        self._free.clear()  # every change goes through here; cached answers predate it
        if self._path is None:
            return
        data = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "seed": self.seed.seed,
            "counters": self._counters,
            "clients": self._clients,
            "capacity_overrides": [[*k, v] for k, v in self._overrides.items()],
            "reservations": [dataclasses.asdict(r) for r in self._reservations.values()],
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self._path.name + ".", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _open(self, path: Path) -> None:
        """Load the state file if there is one, and make sure it can be written: a file
        that cannot be saved must stop the start, not the first booking."""
        try:
            exists = path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=path.name[:64] + ".", dir=path.parent)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ValueError(f"cannot write the sandbox state file {path}: {reason}") from None
        os.close(fd)
        os.unlink(probe)
        if exists:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read sandbox state file {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is not a prima sandbox state file")
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"{path}: unsupported state version {data.get('version')!r}")
        if data.get("seed") != self.seed.seed:
            raise ValueError(
                f"{path} was written with seed {data.get('seed')}, not {self.seed.seed}; "
                "use the same seed or another state file"
            )
        self._counters.update(data["counters"])
        self._clients.update(data["clients"])
        for platform, slug, day, hhmm, covers in data["capacity_overrides"]:
            self._overrides[(platform, slug, day, hhmm)] = covers
        for raw in data["reservations"]:
            res = Reservation(**raw)
            self._reservations[res.id] = res


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()
