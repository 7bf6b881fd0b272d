"""Sandbox configuration: the knobs (:class:`SandboxConfig`) and one named switch for every
platform behaviour that public material does not confirm (:class:`Switches`).

The research note (``shared/research/platform-apis.md``) tags such behaviour [INF] or
[MOCK]; when real traffic proves a guess wrong, flip its switch in a test instead of
rewriting the simulator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prima_cli.sandbox.faults import FaultRule

_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})


def _switch(default: bool, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Switches:
    """Guessed behaviours, each on or off. Defaults are the sandbox's best reading."""

    # --- CoverManager ---------------------------------------------------------------
    cm_duplicate_same_id: bool = _switch(
        True,
        "A byte-identical reserv/reserv repeat within cm_duplicate_window_s returns the "
        "existing id_reserv instead of booking twice (quirk seen by the reference app).",
    )
    cm_force_alias: bool = _switch(
        False,
        "Also serve /reserv/force as an alias of reserv/reserv_force (the reference app "
        "claims it works; the documented name is reserv_force).",
    )
    cm_rate_limit: bool = _switch(
        False,
        "Enforce cm_rate_limit_per_minute requests per key: HTTP 429 with Retry-After "
        "(no limit is published; clients assume 50/min).",
    )
    cm_auth_http_errors: bool = _switch(
        True,
        "A missing key gives HTTP 401 and an unknown key HTTP 403; off: HTTP 200 with "
        "resp 0 like every other logical error.",
    )
    cm_strict_phone: bool = _switch(
        True,
        "reserv/reserv refuses (resp 0) an int_call_code that is not all digits (e.g. "
        "'+34') and a phone with non-digits; stricter than CoverManager may be.",
    )
    cm_availability_resp: bool = _switch(
        True,
        "reserv/availability includes resp: 1 (some real answers omit it).",
    )
    cm_availability_filter_people: bool = _switch(
        False,
        "When number_people is sent, availability lists only that party size; off: every "
        "bookable size is listed and number_people is ignored.",
    )
    cm_empty_maps_as_lists: bool = _switch(
        False,
        "Empty people/hours maps are encoded as [] (PHP json_encode of an empty array) "
        "instead of {}.",
    )
    # --- Restoo ---------------------------------------------------------------------
    restoo_availability: bool = _switch(
        True,
        "Serve GET /partners/{partner}/v3/availability (shape is our guess); off: 404, as "
        "if the platform did not offer it.",
    )
    restoo_reject_fake_customers: bool = _switch(
        True,
        "Refuse obviously fake customer data (names like 'test', example.com e-mails, "
        "phones like +34111111111) with 422, as Restoo is reported to do.",
    )
    restoo_require_local_offset: bool = _switch(
        True,
        "bookingAt's UTC offset must equal the account's offset at that instant (422 "
        "otherwise); off: any offset is accepted and converted to the account's time.",
    )
    restoo_external_id_idempotent: bool = _switch(
        False,
        "A repeated bookingExternalId on the same account returns the existing booking "
        "(HTTP 200) instead of creating another one.",
    )
    restoo_cancel_reason_required: bool = _switch(
        True,
        "Cancelling without a cancelReason gives 422 (the reference app's notes call it "
        "both optional and required); an invalid value is always refused.",
    )
    restoo_waitlist_when_full: bool = _switch(
        True,
        "Accounts with a waiting list answer a full slot with 201 and status "
        "PENDING_WAIT_LIST_BOOKING instead of 422.",
    )

    @classmethod
    def describe(cls) -> list[tuple[str, bool, str]]:
        """(name, default, description) of every switch, in declaration order."""
        return [(f.name, bool(f.default), f.metadata["doc"]) for f in dataclasses.fields(cls)]

    def with_specs(self, specs: Iterable[str]) -> Switches:
        """A copy with ``name=on|off`` (also true/false, yes/no, 1/0) specs applied.

        Raises ValueError naming the offending spec.
        """
        names = {f.name for f in dataclasses.fields(self)}
        changes: dict[str, bool] = {}
        for spec in specs:
            name, sep, raw = spec.partition("=")
            name, raw = name.strip(), raw.strip().lower()
            if name not in names:
                raise ValueError(
                    f"unknown switch {name!r} in {spec!r}; known: {', '.join(sorted(names))}"
                )
            if not sep or raw not in _TRUE | _FALSE:
                raise ValueError(f"switch spec {spec!r} must look like {name}=on or {name}=off")
            changes[name] = raw in _TRUE
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class SandboxConfig:
    """How to run the simulator. Every field has a test-friendly default."""

    seed: int = 0
    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    latency_ms: int = 0  # slept before every request is handled
    faults: Sequence[FaultRule | str] = ()
    state_path: str | Path | None = None  # JSON file: loaded at start, saved on change
    switches: Switches = field(default_factory=Switches)
    slot_capacity: int = 12  # covers that can start in one quarter hour, per venue
    max_party: int = 8  # the largest party size a venue accepts online
    booking_window_days: int = 180  # how far ahead availability is offered
    cm_page_size: int = 1000  # get_reservs page size
    cm_rate_limit_per_minute: int = 50  # used when switches.cm_rate_limit is on
    cm_duplicate_window_s: float = 60.0  # used when switches.cm_duplicate_same_id is on
    default_hang_seconds: float = 30.0  # a ``hang`` fault without seconds=
    clock: Callable[[], datetime] | None = None  # returns an aware "now"; default: real time
    log_requests: bool = False  # print one line per request to stderr (foreground use)
    #: mixed into reservation ids: `prima sandbox serve` without --state draws one per start,
    #: so a restarted simulator never hands out the ids a store already holds; empty (tests),
    #: the same seed gives the same ids
    id_salt: str = ""
