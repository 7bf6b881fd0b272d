"""The conformance kit catches what it promises to: adapters that retry a write that may
have landed, lose the ambiguity of an unreadable answer, swallow errors or leak a secret
fail its tests (run here directly on kit subclasses that pytest does not collect)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import httpx
import pytest

from prima_cli.errors import PlatformAuthError
from prima_cli.platforms import Connection, PlatformMalformedResponse, Slot
from prima_cli.testing import AdapterContract, Fault, PlatformStub, Reply
from prima_cli.testing.faults import READS, WRITES
from tests.plugin_sample.endpoints import API_KEY, ENDPOINTS
from tests.plugin_sample.prima_tapas import TapasAdapter


def write_fault(name: str) -> Fault:
    return next(f for f in WRITES if f.name == name)


class RetriesWrites(TapasAdapter):
    async def _call(self, connection: Connection, method: str, path: str, **kw: Any) -> Any:
        kw.pop("write", None)  # every request sent as a read: retried on a 500
        return await super()._call(connection, method, path, **kw)


class ForgetsAmbiguity(TapasAdapter):
    def unreadable_write_is_ambiguous(self, what: str) -> Any:
        import contextlib

        return contextlib.nullcontext()


class SwallowsErrors(TapasAdapter):
    async def check_availability(
        self, connection: Connection, date: dt.date, time: dt.time | None, party_size: int
    ) -> list[Slot]:
        try:
            return await super().check_availability(connection, date, time, party_size)
        except Exception:
            return []


class LeaksTheKey(TapasAdapter):
    async def check_auth(self, connection: Connection) -> Any:
        try:
            return await super().check_auth(connection)
        except PlatformAuthError:
            key = connection.config["api_key"]
            raise PlatformAuthError(f"Tapas refused key {key}", platform=self.name) from None


class Kit(AdapterContract):
    config: ClassVar = {"base_url": "https://tapas.test", "api_key": API_KEY}
    endpoints = ENDPOINTS
    expected_slots = (dt.time(20, 0), dt.time(20, 30))
    expected_external_id = "tb-1"


def kit_for(adapter: type[TapasAdapter]) -> AdapterContract:
    return type("Kit" + adapter.__name__, (Kit,), {"adapter_class": adapter})()


def test_the_sample_adapter_passes_what_the_broken_ones_fail() -> None:
    kit = kit_for(TapasAdapter)
    kit.test_write_fault("create", write_fault("HTTP 500"))
    kit.test_write_fault("create", write_fault("2xx with HTML"))
    kit.test_read_fault("availability", next(f for f in READS if f.name == "HTTP 503"))
    kit.test_credentials_refused()


def test_a_retried_write_that_may_have_landed_fails() -> None:
    with pytest.raises(AssertionError, match="must be sent once"):
        kit_for(RetriesWrites).test_write_fault("create", write_fault("HTTP 500"))


def test_an_unreadable_write_answer_reported_as_malformed_fails() -> None:
    with pytest.raises(AssertionError, match="PlatformMalformedResponse"):
        kit_for(ForgetsAmbiguity).test_write_fault("create", write_fault("2xx with HTML"))


def test_an_error_swallowed_into_no_availability_fails() -> None:
    with pytest.raises(AssertionError, match="must raise a PlatformError"):
        kit_for(SwallowsErrors).test_unreadable_availability()


def test_a_secret_in_an_error_fails() -> None:
    with pytest.raises(AssertionError, match="a secret appears"):
        kit_for(LeaksTheKey).test_credentials_refused()


def test_the_stub_records_requests_and_answers_faults() -> None:
    import asyncio

    stub = PlatformStub(ENDPOINTS)
    stub.answer("create", httpx.ReadTimeout)

    async def go() -> tuple[int, str]:
        async with httpx.AsyncClient(transport=stub.transport) as client:
            ok = await client.get("https://tapas.test/v1/account")
            with pytest.raises(httpx.ReadTimeout):
                await client.post("https://tapas.test/v1/bookings", json={})
            missing = await client.get("https://tapas.test/elsewhere")
            return ok.status_code, missing.text

    status, missing = asyncio.run(go())
    assert status == 200 and "no such endpoint" in missing
    assert [len(stub.calls(n)) for n in ("auth", "create", "cancel")] == [1, 1, 0]
    assert [r.url.path for r in stub.unmatched] == ["/elsewhere"]
    assert Reply(json={"a": 1}).response().json() == {"a": 1}
    assert PlatformMalformedResponse.fails_over
