"""Errors survive being stored: ``from_dict(err.to_dict())`` is the same error again."""

from __future__ import annotations

import pytest

from prima_cli import errors
from prima_cli.errors import PlatformError, PrimaError, from_dict


def _every_error() -> list[PrimaError]:
    platform = {"platform": "covermanager", "hint": "check the key", "http_status": 503,
                "platform_message": "Servicio no disponible"}  # fmt: skip
    made: list[PrimaError] = []
    for kind in errors._types().values():
        if issubclass(kind, PlatformError):
            made.append(kind("CoverManager answered HTTP 503", **platform))  # type: ignore[arg-type]
        elif kind not in (errors.BookingNotPlaced, errors.BookingOutcomeUnknown,
                          errors.BookingWaitlisted):  # fmt: skip
            made.append(kind("something went wrong", hint="do this"))
    return made


@pytest.mark.parametrize("err", _every_error(), ids=lambda e: e.type)
def test_every_error_type_round_trips(err: PrimaError) -> None:
    again = from_dict(err.to_dict())
    assert type(again) is type(err)
    assert again.exit_code == err.exit_code
    assert again.to_dict() == err.to_dict()


def test_every_type_name_is_unique() -> None:
    names = [kind.type for kind in errors._types().values()]
    assert len(names) == len(set(names)) >= 15


def test_unknown_types_and_extra_keys_are_kept_not_dropped() -> None:
    stored = {"type": "from_a_newer_prima", "message": "m", "hint": None, "booking": "PRM-1"}
    err = from_dict(stored)
    assert type(err) is PrimaError and err.message == "m"
    assert err.to_dict()["booking"] == "PRM-1"
    odd = from_dict({"type": "platform_unavailable", "message": 7, "http_status": "503"})
    assert isinstance(odd, errors.PlatformUnavailable)
    assert (odd.message, odd.http_status, odd.platform) == ("", None, "unknown")


def test_errors_that_need_a_cause_come_back_as_plain_errors() -> None:
    cause = errors.PlatformUnavailable("down", platform="restoo", http_status=503)
    placed = errors.BookingNotPlaced("not placed", cause=cause, booking="PRM-2")
    again = from_dict(placed.to_dict())
    assert again.message == "not placed"
    assert again.to_dict()["cause"] == cause.to_dict()


@pytest.mark.parametrize(
    ("code", "kind"), [(7, "partial_failure"), (6, "batch_failed"), (10, "batch_failed")]
)
def test_a_batch_error_carries_the_batch_exit_code(code: int, kind: str) -> None:
    err = errors.batch_failed("2 of 2 connection(s) failed: a/b, c/d", code, hint="see history")
    data = err.to_dict()
    assert (data["type"], data["exit_code"], data["hint"]) == (kind, code, "see history")
    assert data["retryable"] is False  # each item says whether it may be run again
    assert errors.PartialFailure("x").type == "partial_failure"  # the class is untouched
