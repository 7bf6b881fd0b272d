"""Writing a platform's answer after the call: written on the version another process left,
asked again while the database is busy, and never read as "nothing saved" when it fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from prima_cli.core.answer_record import ATTEMPTS, record_answer
from prima_cli.core.booking_state import BookingStatus, Step, transition
from prima_cli.errors import (
    BookingChanged,
    ConfigError,
    DatabaseBusy,
    DatabaseUnavailable,
    ExitCode,
    PrimaError,
)
from prima_cli.store.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    from prima_cli.store.migrate import upgrade

    store = Store(f"sqlite:///{tmp_path / 'answers.db'}", create=True)
    upgrade(store)
    yield store
    store.dispose()


@pytest.fixture
def booking_id(store: Store) -> int:
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.models import Venue

    with store.session() as session:
        venue = Venue(name="Casa", slug="casa", timezone="Europe/Madrid")
        session.add(venue)
        session.flush()
        assert venue.id is not None
        booking = Booking(
            reference="PRM-TESTANSWER", fingerprint="f" * 64, venue_id=venue.id,
            local_date=dt.date(2026, 12, 24), local_time=dt.time(21, 0),
            timezone="Europe/Madrid", starts_at=dt.datetime(2026, 12, 24, 20, 0, tzinfo=dt.UTC),
            party_size=2, first_name="Ana", last_name="Ruiz", email="ana@example.com",
            phone_e164="+34600123456", status=BookingStatus.PENDING.value,
        )  # fmt: skip
        session.add(booking)
        session.flush()
        assert booking.id is not None
        return booking.id


def _unrecorded(err: PrimaError) -> PrimaError:
    lost = DatabaseUnavailable(f"sent, not recorded ({err.type})")
    lost.exit_code = ExitCode.OUTCOME_UNKNOWN
    return lost


def _version(store: Store, booking_id: int) -> int:
    from prima_cli.core.booking_records import version_of

    return version_of(store, booking_id)


def _note(store: Store, booking_id: int, note: str) -> None:
    with transition(store, booking_id, _version(store, booking_id), "note") as step:
        step.note = note


def test_an_answer_is_written_on_the_version_another_process_left(
    store: Store, booking_id: int
) -> None:
    seen = _version(store, booking_id)
    _note(store, booking_id, "another process wrote first")
    calls: list[int] = []

    def write(step: Step) -> int:
        calls.append(step.version)
        step.booking.status_detail = "confirmed by the platform"
        return step.version

    written = record_answer(store, booking_id, seen, "outcome", write, reference="PRM-TESTANSWER",
                            doing="recording", unrecorded=_unrecorded)  # fmt: skip
    assert calls == [seen + 2] and written == seen + 2  # once, on the other process's version
    assert _version(store, booking_id) == seen + 2


def test_a_busy_database_is_asked_again_then_the_platform_call_is_named(
    store: Store, booking_id: int
) -> None:
    tries: list[int] = []

    def busy_twice(step: Step) -> str:
        tries.append(step.version)
        if len(tries) <= 2:
            raise DatabaseBusy("deadlock")
        return "written"

    seen = _version(store, booking_id)
    assert record_answer(store, booking_id, seen, "outcome", busy_twice, reference="PRM-X",
                         doing="recording", unrecorded=_unrecorded) == "written"  # fmt: skip
    assert len(tries) == 3 and _version(store, booking_id) == seen + 1  # rolled back twice

    def always_busy(step: Step) -> None:
        raise DatabaseBusy("deadlock")

    with pytest.raises(DatabaseUnavailable) as still_busy:
        record_answer(store, booking_id, seen + 1, "outcome", always_busy, reference="PRM-X",
                      doing="recording", unrecorded=_unrecorded)  # fmt: skip
    assert still_busy.value.exit_code == ExitCode.OUTCOME_UNKNOWN
    assert "database_busy" in still_busy.value.message
    assert _version(store, booking_id) == seen + 1  # nothing written


@pytest.mark.parametrize("failure", [DatabaseUnavailable("gone"), ConfigError("no schema")])
def test_a_failing_database_is_never_nothing_saved(
    store: Store, booking_id: int, failure: PrimaError
) -> None:
    tries = 0

    def write(step: Step) -> None:
        nonlocal tries
        tries += 1
        raise failure

    with pytest.raises(DatabaseUnavailable) as unrecorded:
        record_answer(store, booking_id, _version(store, booking_id), "outcome", write,
                      reference="PRM-X", doing="recording", unrecorded=_unrecorded)  # fmt: skip
    assert tries == 1  # not asked again: the database is gone, not busy
    assert unrecorded.value.exit_code == ExitCode.OUTCOME_UNKNOWN
    assert unrecorded.value.__cause__ is failure


def test_a_booking_that_keeps_changing_is_given_up_after_a_few_transactions(
    store: Store, booking_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prima_cli.core import booking_records

    stale = _version(store, booking_id)
    _note(store, booking_id, "another process")
    now_stored = booking_records.version_of
    reads: list[int] = []

    def another_write_each_time(store: Store, booking_id: int) -> int:
        reads.append(booking_id)
        return stale  # what this process read, always one write behind

    monkeypatch.setattr(booking_records, "version_of", another_write_each_time)
    written: list[int] = []
    with pytest.raises(BookingChanged, match="PRM-X changed while this command was recording"):
        record_answer(store, booking_id, stale, "outcome", lambda step: written.append(1),
                      reference="PRM-X", doing="recording", unrecorded=_unrecorded)  # fmt: skip
    assert written == [] and len(reads) == ATTEMPTS
    assert now_stored(store, booking_id) == stale + 1  # nothing written by it
