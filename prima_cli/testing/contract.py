"""The conformance tests every adapter passes, as a base class for pytest.

Subclass :class:`AdapterContract` in a test module under a ``Test`` name, describe the
platform (the adapter class, a configuration, an :class:`~prima_cli.testing.stub.Endpoint`
per operation, what the success answers contain), and pytest runs every contract test
against it: credentials accepted and refused, availability, create, cancel, the typed
error of each fault, writes that may have landed raised as ``PlatformAmbiguousOutcome`` and
never retried, secrets absent from every error and from the ``--verbose`` trace. No test
reaches the network: the adapter's client answers through :class:`PlatformStub`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
import stamina

from prima_cli import redact
from prima_cli.errors import PlatformError, PlatformNoAvailability, PlatformRejected
from prima_cli.platforms import http
from prima_cli.platforms.contract import (
    AuthCheck,
    CancelReason,
    CancelResult,
    Connection,
    PlatformAdapter,
    ReservationRequest,
    ReservationResult,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.versioning import incompatibility
from prima_cli.testing import faults
from prima_cli.testing.stub import OPERATIONS, Endpoint, PlatformStub, Reply

#: the booking the kit creates unless a subclass gives its own (a fixed future date, so
#: that the described answers can name it)
DEFAULT_BOOKING = ReservationRequest(
    reference="PRM-KIT0001",
    date=dt.date(2031, 3, 14),
    time=dt.time(20, 0),
    party_size=4,
    first_name="Ana",
    last_name="García",
    email="ana.garcia@example.org",
    phone_e164="+34600111222",
    notes="window table",
)
#: attempts the kit allows a retried request (stamina's test mode: no waiting)
ATTEMPTS = 3


class Outcome:
    """What one operation did: its result or error, the requests and the log lines."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.logs: list[str] = []


class _Capture(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class AdapterContract:
    """Contract tests for one adapter; subclass it as ``TestMyPlatform`` and describe it.

    Required: :attr:`adapter_class`, :attr:`config` (every secret field set to a value of
    eight characters or more), :attr:`endpoints` named ``auth``, ``availability``,
    ``create`` and ``cancel`` (more, for helper requests, are allowed),
    :attr:`expected_slots` (the times the ``availability`` ``ok`` answer offers for
    :attr:`booking`'s date and party size) and :attr:`expected_external_id` (the id in the
    ``create`` ``ok`` answer). Tests whose optional answer (``refused``, ``rejected``,
    ``full``) is not described are skipped.
    """

    adapter_class: ClassVar[type[PlatformAdapter]]
    config: ClassVar[Mapping[str, str]]
    endpoints: ClassVar[Sequence[Endpoint]]
    expected_slots: ClassVar[Sequence[dt.time]]
    expected_external_id: ClassVar[str]
    #: the booking created (and whose date, time and party size availability asks for)
    booking: ClassVar[ReservationRequest] = DEFAULT_BOOKING
    #: the reservation id cancelled (default: :attr:`expected_external_id`)
    cancel_external_id: ClassVar[str | None] = None
    cancel_reason: ClassVar[CancelReason] = CancelReason.OTHER
    timezone: ClassVar[str] = "Europe/Madrid"
    country: ClassVar[str | None] = "ES"

    # --- helpers a subclass may use in its own tests ------------------------------

    def connection(self) -> Connection:
        """The connection the adapter is called with."""
        return Connection(
            self.adapter_class.name,
            dict(self.config),
            "kit-venue",
            timezone=self.timezone,
            country=self.country,
        )

    def secrets(self) -> list[str]:
        """The configured values of the adapter's secret fields."""
        return [self.config[name] for name in sorted(self.adapter_class.secret_fields())]

    def call(self, operation: str, stub: PlatformStub) -> Outcome:
        """Run ``operation`` (one of ``auth``, ``availability``, ``create``, ``cancel``)
        on a fresh adapter whose client answers from ``stub``, with the trace on."""
        outcome = Outcome()
        connection = self.connection()

        async def go() -> Any:
            async with http.build_client(transport=stub.transport) as client:
                adapter = self.adapter_class(client)
                return await self._operation(adapter, connection, operation)()

        redact.forget_all()  # the adapter registers its secrets itself, or the test says so
        with _captured(outcome.logs), stamina.set_testing(True, attempts=ATTEMPTS):
            try:
                outcome.result = asyncio.run(go())
            except Exception as exc:
                outcome.error = exc
        redact.forget_all()
        self._assert_no_secret(outcome)
        return outcome

    def stub(self) -> PlatformStub:
        """A fresh stub of :attr:`endpoints`."""
        named = {e.name for e in self.endpoints}
        missing = [name for name in OPERATIONS if name not in named]
        assert not missing, f"describe the endpoints {missing} in `endpoints`"
        return PlatformStub(self.endpoints)

    def fails(self, operation: str, answer: faults.Answer) -> tuple[PlatformError, PlatformStub]:
        """Run ``operation`` with its endpoint answering ``answer``; it must raise a
        ``PlatformError`` naming this platform, which is returned with the stub."""
        stub = self.stub()
        stub.answer(operation, answer)
        outcome = self.call(operation, stub)
        error = outcome.error
        assert isinstance(error, PlatformError), (
            f"{operation} answered by {answer!r} must raise a PlatformError, "
            f"not {error!r} (result {outcome.result!r})"
        )
        assert error.platform == self.adapter_class.name, error.platform
        assert stub.calls(operation), f"{operation} made no request to its endpoint"
        return error, stub

    def _operation(
        self, adapter: PlatformAdapter, connection: Connection, operation: str
    ) -> Callable[[], Any]:
        b = self.booking
        calls: dict[str, Callable[[], Any]] = {
            "auth": lambda: adapter.check_auth(connection),
            "availability": lambda: adapter.check_availability(
                connection, b.date, b.time, b.party_size
            ),
            "create": lambda: adapter.create_reservation(connection, b),
            "cancel": lambda: adapter.cancel_reservation(
                connection, self.cancel_external_id or self.expected_external_id,
                self.cancel_reason,
            ),
        }  # fmt: skip
        return calls[operation]

    def _assert_no_secret(self, outcome: Outcome) -> None:
        texts = list(outcome.logs)
        error = outcome.error
        if error is not None:
            texts += [str(error), repr(error.args)]
            if isinstance(error, PlatformError):
                texts += [json.dumps(error.to_dict(), default=str), error.hint or ""]
        for secret in self.secrets():
            leaked = [t for t in texts if secret in t]
            assert not leaked, f"a secret appears in an error or the trace: {leaked[0]!r}"

    def _reply(self, operation: str, kind: str) -> Reply:
        endpoint = next(e for e in self.endpoints if e.name == operation)
        reply = getattr(endpoint, kind)
        if reply is None:
            pytest.skip(f"no `{kind}` answer described for {operation}")
        assert isinstance(reply, Reply)
        return reply

    # --- declaration ---------------------------------------------------------------

    def test_declares_the_contract(self) -> None:
        cls = self.adapter_class
        assert isinstance(cls.name, str) and cls.name == cls.name.strip().lower() and cls.name
        assert isinstance(cls.display_name, str) and cls.display_name
        assert incompatibility(cls.sdk_version) is None, incompatibility(cls.sdk_version)
        names = [f.name for f in cls.config_fields]
        assert len(names) == len(set(names)), f"configuration fields repeat: {names}"
        for name in cls.secret_fields():
            value = self.config.get(name, "")
            assert len(value) >= 8, f"give secret field {name!r} a value of 8 characters or more"

    # --- the four operations ---------------------------------------------------------

    def test_credentials_accepted(self) -> None:
        outcome = self.call("auth", stub := self.stub())
        assert outcome.error is None, outcome.error
        assert isinstance(outcome.result, AuthCheck) and outcome.result.detail
        assert stub.calls("auth") and not stub.unmatched

    def test_credentials_refused(self) -> None:
        from prima_cli.errors import PlatformAuthError

        error, _ = self.fails("auth", self._reply("auth", "refused"))
        assert isinstance(error, PlatformAuthError), error

    def test_availability(self) -> None:
        outcome = self.call("availability", stub := self.stub())
        assert outcome.error is None, outcome.error
        slots = outcome.result
        assert isinstance(slots, list) and all(isinstance(s, Slot) for s in slots), slots
        b = self.booking
        assert all(s.date == b.date and s.party_size == b.party_size for s in slots), slots
        assert sorted({s.time for s in slots}) == sorted(self.expected_slots)
        assert stub.calls("availability") and not stub.unmatched

    def test_create(self) -> None:
        stub = self.stub()
        with _client() as client:
            self.adapter_class(client).validate_request(self.connection(), self.booking)
        outcome = self.call("create", stub)
        assert outcome.error is None, outcome.error
        result = outcome.result
        assert isinstance(result, ReservationResult), result
        assert result.external_id == self.expected_external_id
        assert isinstance(result.status, ReservationStatus)
        assert len(stub.calls("create")) == 1 and not stub.unmatched

    def test_create_rejected(self) -> None:
        error, stub = self.fails("create", self._reply("create", "rejected"))
        assert type(error) is PlatformRejected, error
        assert error.platform_message, "a rejection keeps the platform's own message"
        assert len(stub.calls("create")) == 1

    def test_create_without_availability(self) -> None:
        error, _ = self.fails("create", self._reply("create", "full"))
        assert isinstance(error, PlatformNoAvailability), error
        assert error.fails_over

    def test_cancel(self) -> None:
        outcome = self.call("cancel", stub := self.stub())
        assert outcome.error is None, outcome.error
        result = outcome.result
        assert isinstance(result, CancelResult), result
        assert result.external_id == (self.cancel_external_id or self.expected_external_id)
        assert result.status is ReservationStatus.CANCELLED
        assert len(stub.calls("cancel")) == 1 and not stub.unmatched

    def test_cancel_of_an_unknown_reservation(self) -> None:
        fault = faults.UNKNOWN_RESERVATION
        error, _ = self.fails("cancel", fault.answer)
        assert isinstance(error, fault.error), error

    # --- faults ------------------------------------------------------------------

    @pytest.mark.parametrize("operation", ["auth", "availability"])
    @pytest.mark.parametrize("fault", faults.READS, ids=str)
    def test_read_fault(self, operation: str, fault: faults.Fault) -> None:
        self._check_fault(operation, fault)

    def test_unreadable_availability(self) -> None:
        self._check_fault("availability", faults.UNREADABLE_READ)

    @pytest.mark.parametrize("operation", ["create", "cancel"])
    @pytest.mark.parametrize("fault", faults.WRITES, ids=str)
    def test_write_fault(self, operation: str, fault: faults.Fault) -> None:
        self._check_fault(operation, fault)

    def _check_fault(self, operation: str, fault: faults.Fault) -> None:
        error, stub = self.fails(operation, fault.answer)
        sent = len(stub.calls(operation))
        if fault.once is True:
            assert sent == 1, f"{fault}: sent {sent} times, must be sent once (never retried)"
        elif fault.once is False:
            assert sent > 1, f"{fault}: sent once, must be retried"
        assert isinstance(error, fault.error), f"{fault}: {error!r}, not {fault.error.__name__}"

    # --- secrets -------------------------------------------------------------------

    @pytest.mark.parametrize("operation", OPERATIONS)
    def test_secrets_the_platform_echoes_are_masked(self, operation: str) -> None:
        said = " and ".join(self.secrets()) or "nothing secret"
        echo = Reply(400, json={"error": f"bad request with {said}", "message": said})
        self.fails(operation, echo)  # ``call`` checks errors and the trace for secrets


@contextmanager
def _captured(lines: list[str]) -> Iterator[None]:
    """Every record of the HTTP trace and of httpx's own logger, into ``lines``."""
    handler = _Capture(lines)
    loggers = [logging.getLogger(name) for name in (http.TRACE_LOGGER, "httpx")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@contextmanager
def _client() -> Iterator[Any]:
    """A client for calls that make no request (``validate_request``)."""
    stub = PlatformStub({})
    client = http.build_client(transport=stub.transport)
    try:
        yield client
    finally:
        asyncio.run(client.aclose())
