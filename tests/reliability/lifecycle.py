"""Shared by the lifecycle suite (test_lifecycle_machine.py, test_kill_loops.py,
test_booking_races.py): the real `prima` executable on one store against one simulator,
SIGKILL on a condition, waits with deadlines, and the invariants that compare what the
platforms hold with what prima's store says.

Everything that changes a booking runs as a subprocess of the installed entry point (so a
SIGKILL is a real one); reads of the store go through the in-process CLI (`--json`), which
is fast and sees exactly what an operator's script would see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prima_cli.sandbox import FaultRule, Reservation, Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings, restoo_settings
from tests.reliability.support import DOCUMENTED_EXIT_CODES, GUEST, day

#: statuses of a booking that holds (or may hold) a table now; a `queued` one holds none
#: yet (the outbox places it again): a platform holding it would be placed twice
LIVE = frozenset({"pending", "confirmed", "waitlisted", "unknown"})
#: statuses after which nothing is open
SETTLED = frozenset({"confirmed", "cancelled", "rejected", "waitlisted", "no_show"})
#: attempt states in which nothing of the attempt reached a platform (``never_applied``)
NEVER_APPLIED = frozenset({"failed", "skipped", "not_landed"})
#: the read timeout the subprocesses use; a `hang` longer than it is a timeout
READ_TIMEOUT_S = 2.0
TIMEOUT_HANG_S = 3.5
#: how long any one prima command may take, even on a loaded machine
COMMAND_DEADLINE_S = 120.0


# --- waiting ---------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], bool], *, seconds: float = 60.0, what: str = "", every: float = 0.01
) -> None:
    """Poll `predicate` every `every` s until it holds; fail after `seconds` (a deadline, not
    a sleep)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s: {what or predicate}")
        time.sleep(every)


def consumed(sb: Sandbox, rule: FaultRule) -> Callable[[], bool]:
    """True once the simulator has received the request a one-shot `rule` was armed for
    (a rule with `times=1` retires when a request takes it, before it is answered)."""
    return lambda: rule not in sb.faults


def handled_since(sb: Sandbox, base: int, n: int) -> Callable[[], bool]:
    """True once the simulator has handled `n` more requests than `base`."""
    return lambda: len(sb.requests_log) >= base + n


# --- the real executable -----------------------------------------------------------------


@dataclass
class Done:
    """How one prima process ended (`killed`: by our SIGKILL)."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    killed: bool = False

    def json(self) -> Any:
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        return dict(json.loads(self.stderr)["error"])

    def __str__(self) -> str:
        verb = "killed" if self.killed else f"exit {self.code}"
        return f"prima {' '.join(self.args)} -> {verb}\n  stdout: {self.stdout[-600:]!r}\n" + (
            f"  stderr: {self.stderr[-600:]!r}"
        )


class Prima:
    """`prima --db URL ...` as subprocesses, against the sandbox `sb`."""

    def __init__(self, db_url: str, sb: Sandbox, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.sb = sb
        self.env = {**os.environ, "PRIMA_READ_TIMEOUT": str(READ_TIMEOUT_S), **(env or {})}
        self.cli = CLI(db_url)  # in-process, for reads
        self.log: list[str] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*prima_executable(), "--db", self.db_url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )

    def finish(
        self, proc: subprocess.Popen[str], args: Sequence[str], killed: bool = False
    ) -> Done:
        try:
            out, err = proc.communicate(timeout=COMMAND_DEADLINE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(
                f"prima {' '.join(args)} hung: {out[-500:]} {err[-500:]}"
            ) from None
        done = Done(list(args), proc.returncode, out, err, killed and proc.returncode == -9)
        self.log.append(str(done).splitlines()[0])
        print(f"  {self.log[-1][:150]}")  # progress, shown with -s
        check_clean(done)
        return done

    def run(self, *args: str) -> Done:
        return self.finish(self.start(*args), args)

    def run_killed(self, args: Sequence[str], when: Callable[[], bool], delay: float = 0.0) -> Done:
        """Start prima with `args`; SIGKILL it `delay` seconds after `when()` holds. A
        process that ends first is simply waited for (`killed` is then False)."""
        proc = self.start(*args)
        try:
            wait_until(lambda: proc.poll() is not None or when(), seconds=COMMAND_DEADLINE_S,
                       what=f"kill point of prima {' '.join(args)}")  # fmt: skip
            if delay > 0 and proc.poll() is None:
                time.sleep(delay)  # the random point inside the window, not a wait for state
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        return self.finish(proc, args, killed=True)

    # --- reads ------------------------------------------------------------------------

    def bookings(self) -> list[dict[str, Any]]:
        """Every booking with its attempts (`bookings list`, then `bookings show` each)."""
        listed = self.cli("bookings", "list", "--limit", "10000", "--json")
        assert listed.exit_code == 0, listed.stderr
        shown = []
        for b in listed.json():
            one = self.cli("bookings", "show", b["reference"], "--json")
            assert one.exit_code == 0, one.stderr
            shown.append(one.json())
        return shown

    def booking(self, ref: str) -> dict[str, Any]:
        one = self.cli("bookings", "show", ref, "--json")
        assert one.exit_code == 0, one.stderr
        return dict(one.json())


def check_clean(done: Done) -> None:
    """Whatever a command does, it ends with a documented exit code (never 1, "a bug") and
    without a traceback or SQL in its output."""
    if done.killed:
        return
    assert done.code in DOCUMENTED_EXIT_CODES and done.code != 1, str(done)
    for text in (done.stdout, done.stderr):
        assert "Traceback" not in text, str(done)
        assert "[SQL:" not in text and "[parameters:" not in text, str(done)


# --- the world the tests share -------------------------------------------------------------

#: guests, with realistic data (Restoo refuses obviously fake customers)
GUESTS: tuple[tuple[str, str, str, str], ...] = (
    ("Lucía", "Fernández Ruiz", "lucia.fernandez@gmail.com", "612 48 39 07"),
    ("Jordi", "Puig Soler", "jordi.puig@outlook.es", "633 21 87 45"),
    ("Ana", "Martín Gil", "ana.martin.gil@yahoo.es", "699 12 45 78"),
    ("Beatriz", "Ortega Luna", "bea.ortega.luna@gmail.com", "655 32 19 84"),
)
TIMES = ("20:00", "20:30", "21:00", "21:30")


@dataclass(frozen=True)
class VenueSetup:
    """One venue and its connections, in priority order."""

    slug: str
    timezone: str
    platforms: tuple[tuple[str, str], ...]  # (platform type, CM restaurant / Restoo account)


#: CoverManager only; Restoo only; CoverManager first with failover to Restoo (London and
#: Lisbon share their UTC offsets, which Restoo checks)
VENUES = (
    VenueSetup("madrid", "Europe/Madrid", (("covermanager", "prima-sbx-madrid"),)),
    VenueSetup("barcelona", "Europe/Madrid", (("restoo", "prima-sbx-barcelona"),)),
    VenueSetup("duo", "Europe/London",
               (("covermanager", "prima-sbx-london"), ("restoo", "prima-sbx-lisboa"))),
)  # fmt: skip


def set_up_store(cli: CLI, sb: Sandbox, venues: Iterable[VenueSetup] = VENUES) -> None:
    cli.ok("db", "migrate")
    for venue in venues:
        cli.ok("venues", "add", venue.slug.title(), "--slug", venue.slug, "--timezone",
               venue.timezone, "--country", "ES")  # fmt: skip
        for priority, (ptype, where) in enumerate(venue.platforms, start=1):
            settings = cm_settings(sb, where) if ptype == "covermanager" else (
                restoo_settings(sb, where))  # fmt: skip
            cli.ok("platforms", "add", venue.slug, ptype, *settings, "--priority", str(priority),
                   "--no-test")  # fmt: skip


def booking_args(venue: str, when: str, *, ahead: int = 3, guest: int = 0,
                 key: str | None = None, tz: str = "Europe/Madrid") -> list[str]:  # fmt: skip
    first, last, email, phone = GUESTS[guest]
    args = ["bookings", "create", venue, "--date", day(ahead, tz), "--time", when,
            "--party", "2", "--first-name", first, "--last-name", last, "--email", email,
            "--phone", phone]  # fmt: skip
    if key is not None:
        args += ["--reference", key]
    return [*args, "--json"]


def madrid_args(when: str = "20:00", *extra: str) -> list[str]:
    return ["bookings", "create", "madrid", "--date", day(), "--time", when, "--party", "2",
            *GUEST, *extra]  # fmt: skip


# --- invariants --------------------------------------------------------------------------


@dataclass
class Facts:
    """The platforms' reservations next to prima's bookings, indexed."""

    held: list[Reservation]
    bookings: list[dict[str, Any]]
    by_ref: dict[str, dict[str, Any]] = field(init=False)
    platform_by_ref: dict[str, list[Reservation]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_ref = {b["reference"]: b for b in self.bookings}
        self.platform_by_ref = defaultdict(list)
        for r in self.held:
            self.platform_by_ref[r.reference].append(r)

    def active(self, ref: str) -> list[Reservation]:
        return [r for r in self.platform_by_ref.get(ref, []) if r.active]


def facts(prima: Prima) -> Facts:
    return Facts(prima.sb.state.reservations(), prima.bookings())


def confirmed_attempts(booking: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in booking["attempts"] if a["state"] == "confirmed"]


def violations(
    f: Facts, *, in_doubt: Iterable[str] = (), cancelled_ok: Iterable[str] = ()
) -> list[str]:
    """What is wrong between the platforms and the store, at any moment (even right after a
    SIGKILL): a list of sentences, empty when all holds.

    1. every platform reservation belongs to a local booking (the intent is written first);
    2. a reservation the platform holds (active) belongs to exactly one live booking, and no
       booking has two active reservations (nothing doubled);
    3. no attempt of another booking claims that reservation;
    4. a confirmed booking (other than those `in_doubt`, touched by a killed or failed
       cancel or cancelled by the guest on the platform) has exactly one confirmed attempt,
       and the platform holds that reservation, active, under the booking's own reference;
    5. a cancel that exited 0 (`cancelled_ok`) left nothing active under that reference;
    6. a `queued` booking is one the outbox places again: nothing of it reached a platform
       and an attempt was proved never to have landed (and 2: no platform holds it).
    """
    doubt, ok_cancelled = set(in_doubt), set(cancelled_ok)
    problems: list[str] = []
    claims: dict[tuple[str, str], list[str]] = defaultdict(list)
    for b in f.bookings:
        for a in confirmed_attempts(b):
            claims[(a["platform_type"], a["external_id"])].append(b["reference"])
    for ref, rows in f.platform_by_ref.items():
        booking = f.by_ref.get(ref)
        if booking is None:
            problems.append(f"platform reservation(s) {[r.id for r in rows]} carry reference "
                            f"{ref!r}, which no local booking has (lost intent)")  # fmt: skip
            continue
        live = [r for r in rows if r.active]
        if len(live) > 1:
            problems.append(f"{ref}: {len(live)} active reservations on the platform "
                            f"{[(r.platform, r.id) for r in live]} (doubled)")  # fmt: skip
        if live and booking["status"] not in LIVE:
            problems.append(f"{ref}: the platform holds {live[0].platform} {live[0].id} "
                            f"active but the booking is {booking['status']} "
                            f"({booking['status_detail']})"
                            + (": the outbox would place it again (doubled)"
                               if booking["status"] == "queued" else ""))  # fmt: skip
        for r in live:
            others = [o for o in claims.get((r.platform, r.id), []) if o != ref]
            if others:
                problems.append(f"{r.platform} reservation {r.id} carries {ref} but booking(s) "
                                f"{others} record it as theirs")  # fmt: skip
        if ref in ok_cancelled and live:
            problems.append(f"{ref}: a cancel exited 0 but {live[0].platform} still holds "
                            f"{live[0].id} active")  # fmt: skip
    for (ptype, ext), refs in claims.items():
        if len(refs) > 1:
            problems.append(f"{ptype} reservation {ext} is recorded as confirmed by "
                            f"{len(refs)} attempts: {refs}")  # fmt: skip
    for b in f.bookings:
        ref = b["reference"]
        if ref in ok_cancelled and b["status"] != "cancelled":
            problems.append(f"{ref}: a cancel exited 0 but the booking is {b['status']}")
        if b["status"] == "queued" and not queueable(b):
            states = [a["state"] for a in b["attempts"]]
            problems.append(f"{ref}: queued, but its attempts {states} are not all never "
                            "applied with one not_landed: no outbox places it")  # fmt: skip
        if b["status"] == "cancelled" and f.active(ref):
            continue  # reported above
        if b["status"] != "confirmed" or ref in doubt:
            continue
        attempts = confirmed_attempts(b)
        if len(attempts) != 1:
            ids = [(a["platform_type"], a["external_id"]) for a in attempts]
            problems.append(f"{ref}: confirmed with {len(attempts)} confirmed attempts {ids}")
            continue
        (a,) = attempts
        held = next((r for r in f.held if r.platform == a["platform_type"]
                     and r.id == a["external_id"]), None)  # fmt: skip
        if held is None:
            problems.append(f"{ref}: confirmed as {a['platform_type']} {a['external_id']}, "
                            "which the platform does not have")  # fmt: skip
        elif not held.active:
            problems.append(f"{ref}: confirmed locally but {held.platform} {held.id} is "
                            f"{held.status} on the platform")  # fmt: skip
        elif held.reference != ref:
            problems.append(f"{ref}: confirmed as {held.platform} {held.id}, which carries "
                            f"another booking's reference {held.reference!r}")  # fmt: skip
    return problems


def queueable(booking: dict[str, Any]) -> bool:
    """What the outbox's attempts rule asks of a booking it places again (the booking must
    also start in the future, with no cancel asked for)."""
    states = [a["state"] for a in booking["attempts"]]
    return "not_landed" in states and all(s in NEVER_APPLIED for s in states)


def assert_consistent(prima: Prima, **kw: Any) -> Facts:
    f = facts(prima)
    problems = violations(f, **kw)
    assert not problems, "\n".join(problems) + "\ncommands:\n" + "\n".join(prima.log[-30:])
    return f


def doubled(f: Facts) -> list[str]:
    per_ref = Counter(r.reference for r in f.held if r.active)
    return [ref for ref, n in per_ref.items() if n > 1]
