"""Typed errors shared by every layer, each carrying its documented exit code.

This module imports nothing heavy: the CLI maps these to exit codes and messages in
one place (``prima_cli.cli.main``). Adapters raise the ``Platform*`` subclasses; they
never return ``None``/``False``/``[]`` to mean that something went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from functools import cache


class ExitCode(IntEnum):
    """Documented process exit codes, each with its one meaning.

    The meaning next to each member is the one source of the README's "Exit codes" table and
    of `prima help exit-codes` (both generated from it; a test compares the README).
    """

    meaning: str

    def __new__(cls, value: int, meaning: str = "") -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    OK = 0, "ok: done, or already in the state asked for (see below)"
    INTERNAL = (
        1,
        (
            "internal error: a bug; rerun with `--verbose` for the traceback (a database error "
            "names its class and the driver's first line, never the SQL or its parameters)"
        ),
    )
    USAGE = 2, "invalid input or usage, or a confirmation not given: nothing was changed"
    NOT_FOUND = 3, "not found: no such venue, connection, booking or run (or id on the platform)"
    CONFLICT = (
        4,
        (
            "conflict: it exists already, it is in use, or its state forbids the change "
            "(e.g. a booking that may be on a platform without our knowing its id)"
        ),
    )
    AUTH = 5, "the platform refused the credentials or the permission"
    REJECTED = (
        6,
        ("rejected by the platform: no availability, invalid data, or put on a waiting list"),
    )
    PARTIAL = 7, "partial: some items of a batch failed (each item's outcome is in the output)"
    OUTCOME_UNKNOWN = (
        8,
        (
            "outcome unknown: a write may have reached the platform; reconcile "
            "(`prima bookings reconcile REF`), never create it again"
        ),
    )
    CIRCUIT_OPEN = (
        10,
        (
            "platform skipped: its credential's circuit breaker is open after repeated "
            "failures; nothing was sent: run it again once the pause is over"
        ),
    )
    UNHEALTHY = (
        11,
        (
            "unhealthy: a health check failed (the last successful sync is too old, too many "
            "bookings need the operator, or background jobs are stalled, backlogged or failing); "
            "`prima doctor` or `prima worker status` says which"
        ),
    )
    UNAVAILABLE = (
        69,
        (
            "not applied: the platform was unreachable (network, timeout, 5xx after retries) or "
            "answered nonsense to a read; nothing was applied, safe to retry"
        ),
    )
    OUTPUT_LOST = (
        74,
        (
            "output lost: the command ran, but its output could not be written (a full disk, "
            "an I/O error); what it did stands, so look (`prima bookings list`, `prima platforms "
            "history`) before running it again"
        ),
    )
    TEMPFAIL = (
        75,
        (
            "try again later: a lock is held, the platform rate-limits, another process is "
            "working on it, or the database is busy or unavailable; nothing of this command was "
            "saved, safe to rerun later"
        ),
    )
    CONFIG = (
        78,
        (
            "configuration error: bad database URL, no such database, missing driver, schema not "
            "migrated, a secret reference that does not resolve, a metrics directory that does "
            "not exist"
        ),
    )
    INTERRUPTED = 130, "interrupted (Ctrl-C, or SIGTERM)"


#: What a command asked to reach a state that already holds does (README, `prima help
#: exit-codes`): one rule for every command, stated once.
ALREADY_IN_STATE = (
    "Asking for a state that already holds succeeds: `bookings cancel` of a cancelled booking "
    'and `platforms enable|disable` of a connection already so exit 0, with `"changed": false` '
    "in their JSON and a note on stderr. A batch with nothing to do succeeds too: `platforms "
    "sync` and `platforms test --all` with no enabled connection exit 0 (status `empty`). "
    "Naming something that does not exist is exit 3, whatever the command (a removal "
    "included: a typo must not read as done), and creating what exists already is exit 4."
)


def batch_exit_code(failures: Sequence[PrimaError | None], total: int) -> int:
    """The exit code of a batch of ``total`` items of which ``failures`` failed.

    0 when none failed; the common code when all failed the same way; 7 otherwise.
    """
    if not failures:
        return int(ExitCode.OK)
    codes = {err.exit_code if err else ExitCode.INTERNAL for err in failures}
    if len(failures) < total or len(codes) > 1:
        return int(ExitCode.PARTIAL)
    return int(codes.pop())


class PrimaError(Exception):
    """Base of every expected error: one sentence, an optional hint, an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL
    type: str = "internal_error"
    #: a create that ends in this error applied nothing, and the next platform may be tried
    fails_over: bool = False
    #: running the same command again (later) is safe and may succeed; never for an
    #: outcome that is unknown (that is reconciled, not repeated)
    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        #: extra facts for scripts (e.g. the booking reference), shown in JSON errors
        self.details: dict[str, object] = {}
        #: what the command said before it failed (printed before the error)
        self.warnings: list[str] = []

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "type": self.type,
            "message": self.message,
            "hint": self.hint,
            "exit_code": int(self.exit_code),
            "retryable": self.retryable,
        }
        data.update(self.details)
        if self.warnings:
            data["warnings"] = list(self.warnings)
        return data


class InvalidInput(PrimaError):
    exit_code = ExitCode.USAGE
    type = "invalid_input"


class NotFound(PrimaError):
    exit_code = ExitCode.NOT_FOUND
    type = "not_found"


class Conflict(PrimaError):
    exit_code = ExitCode.CONFLICT
    type = "conflict"


class ConfigError(PrimaError):
    exit_code = ExitCode.CONFIG
    type = "configuration_error"
    fails_over = True


class SchemaNotMigrated(ConfigError):
    type = "schema_not_migrated"
    fails_over = False


class CommandInterrupted(PrimaError):
    """Ctrl-C (SIGINT) or SIGTERM: how it reads where errors are JSON lines or log records."""

    exit_code = ExitCode.INTERRUPTED
    type = "interrupted"


class PartialFailure(PrimaError):
    exit_code = ExitCode.PARTIAL
    type = "partial_failure"


def batch_failed(message: str, code: int, *, hint: str | None = None) -> PrimaError:
    """The error of a batch that ended with exit ``code`` (7, or the code all its items
    failed with) while each item's outcome is in its output: what scripts read on stderr."""
    err = PartialFailure(message, hint=hint)
    err.exit_code = ExitCode(code)
    if err.exit_code != ExitCode.PARTIAL:
        err.type = "batch_failed"
    return err


class OutputNotWritten(PrimaError):
    """stdout could not be written after the command did its work (a full disk)."""

    exit_code = ExitCode.OUTPUT_LOST
    type = "output_lost"


class TryAgainLater(PrimaError):
    exit_code = ExitCode.TEMPFAIL
    type = "try_again_later"
    retryable = True


class DatabaseBusy(TryAgainLater):
    """The database gave up on a transaction because of other writers (a deadlock, a lock
    wait timeout, a serialization failure). Nothing of it was saved; running it again is
    safe, and work that writes concurrently (sync workers) does so by itself."""

    type = "database_busy"


class DatabaseUnavailable(TryAgainLater):
    """The database cannot be reached or failed under us (server stopped, connection lost,
    disk full). Nothing of the interrupted transaction was saved; what was done on a platform
    before it is named in the message, with what to run once the database is back."""

    type = "database_unavailable"


class BookingChanged(TryAgainLater):
    """Another process changed the booking between this command's read and its write (a
    lost compare-and-set): this command changed nothing."""

    type = "booking_changed"


class BookingNotPlaced(PrimaError):
    """No platform took the booking; the exit code is that of the deciding error."""

    type = "booking_not_placed"

    def __init__(self, message: str, *, cause: PrimaError, booking: str, hint: str | None = None):
        super().__init__(message, hint=hint or cause.hint)
        self.exit_code = cause.exit_code
        self.retryable = cause.retryable
        self.details = {"booking": booking, "cause": cause.to_dict()}


class BookingWaitlisted(PrimaError):
    """The platform put the guest on its waiting list: recorded (and cancellable), but no
    table is held. Exit 6, as for no availability."""

    exit_code = ExitCode.REJECTED
    type = "booking_waitlisted"

    def __init__(self, message: str, *, booking: str) -> None:
        super().__init__(
            message,
            hint=f"check it on the platform; `prima bookings cancel {booking}` takes it off the "
            "list if the guest will not wait",
        )
        self.details = {"booking": booking}


class BookingOutcomeUnknown(PrimaError):
    """A platform may have taken the booking but did not say so: reconcile, never resend."""

    exit_code = ExitCode.OUTCOME_UNKNOWN
    type = "booking_outcome_unknown"

    def __init__(self, message: str, *, booking: str) -> None:
        super().__init__(
            message,
            hint=f"run `prima bookings reconcile {booking}`; do not create it again",
        )
        self.details = {"booking": booking}


# --- platform errors -------------------------------------------------------------


class PlatformError(PrimaError):
    """An error reported by (or while talking to) a booking platform."""

    exit_code = ExitCode.UNAVAILABLE
    type = "platform_error"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        hint: str | None = None,
        http_status: int | None = None,
        platform_message: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.platform = platform
        self.http_status = http_status
        self.platform_message = platform_message

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data.update(
            platform=self.platform,
            http_status=self.http_status,
            platform_message=self.platform_message,
        )
        return data


class PlatformAuthError(PlatformError):
    """Credentials refused, or the key lacks the right for this call (no retry)."""

    exit_code = ExitCode.AUTH
    type = "platform_auth_failed"
    retryable = False
    fails_over = True


class PlatformRejected(PlatformError):
    """The platform understood the request and refused it, with its own message."""

    exit_code = ExitCode.REJECTED
    type = "platform_rejected"
    retryable = False


class PlatformNoAvailability(PlatformRejected):
    """The platform refused because the slot is not bookable (full, closed, off its grid).

    Unlike other rejections, the next platform may still have room: bookings fail over.
    Which of a platform's words mean this is the adapter's own rule
    (``PlatformAdapter.no_availability_messages``).
    """

    type = "platform_no_availability"
    fails_over = True


class PlatformNotFound(PlatformError):
    exit_code = ExitCode.NOT_FOUND
    type = "platform_not_found"
    retryable = False
    fails_over = True


class PlatformRateLimited(PlatformError):
    exit_code = ExitCode.TEMPFAIL
    type = "platform_rate_limited"
    fails_over = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PlatformUnavailable(PlatformError):
    """Network error, timeout or 5xx after retries."""

    exit_code = ExitCode.UNAVAILABLE
    type = "platform_unavailable"
    fails_over = True


class PlatformCircuitOpen(PlatformError):
    """Refused before sending: the credential's circuit breaker is open after repeated
    failures of the platform (nothing was sent, so a create may fail over)."""

    exit_code = ExitCode.CIRCUIT_OPEN
    type = "platform_circuit_open"
    fails_over = True
    #: not as it is: running it again at once meets the same open breaker
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PlatformMalformedResponse(PlatformError):
    """The platform answered with something we cannot parse (body excerpt included)."""

    exit_code = ExitCode.UNAVAILABLE
    type = "platform_malformed_response"
    fails_over = True

    def __init__(self, message: str, *, excerpt: str = "", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.excerpt = excerpt


class PlatformAmbiguousOutcome(PlatformError):
    """A write may have reached the platform but no answer came back.

    Never retried blindly: the bookings layer records the outcome as ``unknown`` and
    reconciles it later.
    """

    exit_code = ExitCode.OUTCOME_UNKNOWN
    type = "platform_ambiguous_outcome"
    retryable = False


class PlatformUnsupported(PlatformError):
    """The platform does not offer this operation (e.g. Restoo availability: 404/405)."""

    exit_code = ExitCode.REJECTED
    type = "platform_unsupported"
    retryable = False


@cache
def _types() -> dict[str, type[PrimaError]]:
    found: dict[str, type[PrimaError]] = {}
    pending: list[type[PrimaError]] = [PrimaError]
    while pending:
        kind = pending.pop()
        found.setdefault(kind.type, kind)
        pending.extend(kind.__subclasses__())
    return found


def from_dict(data: Mapping[str, object]) -> PrimaError:
    """The error ``to_dict`` wrote (e.g. stored with a booking attempt), typed again.

    Unknown types come back as ``PrimaError``; keys the type does not take stay in
    ``details``, so nothing that was stored is dropped.
    """

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    kind = _types().get(text("type") or "", PrimaError)
    message, hint = text("message") or "", text("hint")
    taken = {"type", "message", "hint", "exit_code", "retryable"}
    err: PrimaError
    if issubclass(kind, PlatformError):
        status = data.get("http_status")
        err = kind(message, platform=text("platform") or "unknown", hint=hint,
                   http_status=status if isinstance(status, int) else None,
                   platform_message=text("platform_message"))  # fmt: skip
        taken |= {"platform", "http_status", "platform_message"}
    elif kind in (BookingNotPlaced, BookingOutcomeUnknown, BookingWaitlisted):  # need more
        err = PrimaError(message, hint=hint)
    else:
        err = kind(message, hint=hint)
    err.details.update({k: v for k, v in data.items() if k not in taken})
    return err
