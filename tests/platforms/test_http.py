"""The shared HTTP layer: client factory, Retry-After, backoff, verbose trace redaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import httpx
import pytest
import respx
import stamina

from prima_cli import redact
from prima_cli.errors import ConfigError, PlatformRateLimited, PlatformUnavailable
from prima_cli.platforms import http
from prima_cli.platforms.contract import CancelReason
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.restoo import RestooAdapter
from tests.platforms.adapter_support import (
    CM_BASE,
    CM_KEY,
    RESTOO_BASE,
    RESTOO_KEY,
    booking,
    call,
    cm_connection,
    restoo_connection,
)

UUID = "3f2b8c1e-9a4d-4e5f-8b6a-0c1d2e3f4a5b"


def test_build_client_timeouts_limits_and_user_agent() -> None:
    client = http.build_client(connect_timeout=3.0, read_timeout=9.0)
    try:
        assert client.timeout.connect == 3.0
        assert client.timeout.read == 9.0
        assert client.headers["User-Agent"] == "prima/0.1.0"
        assert client.follow_redirects is False
        network = client._transport.inner  # type: ignore[attr-defined]
        assert network.limits.max_connections == 20
    finally:
        asyncio.run(client.aclose())


def response_with(retry_after: str) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": retry_after})


def test_retry_after_forms() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert http.retry_after_seconds(response_with("12"), now=now) == 12.0
    assert http.retry_after_seconds(response_with("Thu, 01 Jan 2026 12:00:30 GMT"), now=now) == 30
    assert http.retry_after_seconds(response_with("Thu, 01 Jan 2026 11:00:00 GMT"), now=now) == 0
    assert http.retry_after_seconds(response_with("soon"), now=now) is None
    assert http.retry_after_seconds(httpx.Response(429), now=now) is None


class Sleeps(list[float]):
    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def real_waits(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """Leave stamina's test mode and record the waits instead of sleeping."""
    sleeps = Sleeps()
    monkeypatch.setattr(asyncio, "sleep", sleeps)
    stamina.set_testing(False)
    return sleeps


POLICY = http.RetryPolicy(attempts=3, wait_initial=0.5, wait_max=10, wait_jitter=0)


def send_post(url: str, *, idempotent: bool = True) -> httpx.Response:
    async def go() -> httpx.Response:
        async with http.build_client() as client:
            return await http.send(
                client, CoverManagerAdapter, "POST", url, idempotent=idempotent, policy=POLICY
            )

    return asyncio.run(go())


def test_retry_after_is_honoured(mock: respx.MockRouter, real_waits: Sleeps) -> None:
    mock.post("https://x.test/a").mock(side_effect=[response_with("2"), httpx.Response(200)])
    assert send_post("https://x.test/a").status_code == 200
    assert real_waits == [2.0]


def test_backoff_is_exponential_without_retry_after(
    mock: respx.MockRouter, real_waits: Sleeps
) -> None:
    mock.post("https://x.test/a").mock(
        side_effect=[httpx.Response(502), httpx.Response(500), httpx.Response(200)]
    )
    assert send_post("https://x.test/a").status_code == 200
    assert real_waits == [0.5, 1.0]


def test_first_attempt_counts_against_the_retry_time(mock: respx.MockRouter) -> None:
    """The first attempt runs outside stamina's retry context, yet its time is part of the
    policy's total: past it, a retryable answer is not tried again."""
    stamina.set_testing(False)
    policy = http.RetryPolicy(attempts=3, timeout=0.01, wait_initial=0, wait_jitter=0)

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.02)  # an answer slower than the whole retry budget
        return httpx.Response(503)

    route = mock.get("https://x.test/a").mock(side_effect=slow)

    async def go() -> httpx.Response:
        async with http.build_client() as client:
            return await http.send(
                client, CoverManagerAdapter, "GET", "https://x.test/a", idempotent=True,
                policy=policy,
            )  # fmt: skip

    with pytest.raises(PlatformUnavailable, match="HTTP 503 after 1 attempt"):
        asyncio.run(go())
    assert route.call_count == 1


def test_first_attempt_failure_is_retried_as_stamina_counts(
    mock: respx.MockRouter, real_waits: Sleeps
) -> None:
    route = mock.post("https://x.test/a").respond(502)
    with pytest.raises(PlatformUnavailable, match="HTTP 502 after 3 attempts"):
        send_post("https://x.test/a")
    assert route.call_count == 3
    assert real_waits == [0.5, 1.0]


def test_retry_after_beyond_cap_gives_up_at_once(
    mock: respx.MockRouter, real_waits: Sleeps
) -> None:
    route = mock.post("https://x.test/a").respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(PlatformRateLimited) as caught:
        send_post("https://x.test/a")
    assert route.call_count == 1
    assert caught.value.retry_after == 3600.0
    assert real_waits == []


def test_redirect_is_reported_not_followed(mock: respx.MockRouter) -> None:
    mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").respond(
        301, headers={"Location": "https://elsewhere.test/"}
    )
    with pytest.raises(PlatformUnavailable, match="redirected"):
        call(CoverManagerAdapter, "check_auth", cm_connection())


def test_base_url_without_scheme_is_config_error(mock: respx.MockRouter) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        call(CoverManagerAdapter, "check_auth", cm_connection(base_url="cm.test/api"))


def test_exhausted_transport_error_message_has_no_secret(mock: respx.MockRouter) -> None:
    mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").mock(side_effect=httpx.ConnectError("no"))
    with pytest.raises(PlatformUnavailable) as caught:
        call(CoverManagerAdapter, "check_auth", cm_connection())
    assert CM_KEY not in str(caught.value.to_dict())


# --- verbose trace -------------------------------------------------------------------


def mock_both_platforms(mock: respx.MockRouter) -> None:
    mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").respond(
        json={"resp": 1, "restaurants": [{"restaurant": "prima-test"}]}
    )
    mock.post(f"{CM_BASE}/reserv/reserv").respond(
        json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"}
    )
    mock.post(f"{CM_BASE}/reserv/cancel_client").respond(json={"resp": 1})
    mock.get(f"{RESTOO_BASE}/partners/prima/v3/status").respond(json={"ok": True})
    mock.post(f"{RESTOO_BASE}/api/prima/v3/booking").respond(
        json={"uuid": UUID, "status": "CONFIRMED"}
    )
    mock.post(f"{RESTOO_BASE}/api/prima/v3/booking/{UUID}/cancel").respond(204)


def run_full_exchange() -> None:
    cm, rt = cm_connection(), restoo_connection()
    call(CoverManagerAdapter, "check_auth", cm, verbose=True)
    call(CoverManagerAdapter, "create_reservation", cm, booking(), verbose=True)
    call(CoverManagerAdapter, "cancel_reservation", cm, "SGwzEu", CancelReason.OTHER, verbose=True)
    call(RestooAdapter, "check_auth", rt, verbose=True)
    call(RestooAdapter, "create_reservation", rt, booking(), verbose=True)
    call(RestooAdapter, "cancel_reservation", rt, UUID, CancelReason.OTHER, verbose=True)


def test_verbose_trace_logs_exchanges_without_any_secret(
    mock: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    # nothing registered by a caller: the adapters must register their own secrets
    redact.forget_all()
    mock_both_platforms(mock)
    run_full_exchange()
    err = capsys.readouterr().err
    assert CM_KEY not in err
    assert RESTOO_KEY not in err
    assert f"GET {CM_BASE}/restaurant/list/{redact.mask(CM_KEY)}/ -> HTTP 200" in err
    assert f"POST {CM_BASE}/reserv/reserv -> HTTP 200" in err
    assert f"'apikey': '{redact.mask(CM_KEY)}'" in err
    assert f"'authorization': 'Bearer {redact.mask(RESTOO_KEY)}'" in err
    assert f"POST {RESTOO_BASE}/api/prima/v3/booking/{UUID}/cancel -> HTTP 204" in err
    assert '"int_call_code":"34"' in err  # request bodies are in the trace
    assert '"id_reserv":"SGwzEu"' in err  # and response bodies
    assert " ms, attempt 1)" in err


def test_verbose_trace_covers_retries_and_failures(
    mock: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json={"resp": 0})]
    )
    with pytest.raises(Exception):  # noqa: B017 - the trace is what matters here
        call(CoverManagerAdapter, "check_auth", cm_connection(), verbose=True)
    err = capsys.readouterr().err
    assert "-> read timeout (timed out)" in err
    assert "attempt 2)" in err
    assert "retry 1 in" in err
    assert CM_KEY not in err


def test_trace_is_silent_without_verbose(
    mock: respx.MockRouter, capsys: pytest.CaptureFixture[str]
) -> None:
    mock_both_platforms(mock)
    call(CoverManagerAdapter, "check_auth", cm_connection())
    assert capsys.readouterr().err == ""


def test_httpx_own_log_is_scrubbed(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock_both_platforms(mock)
    with caplog.at_level(logging.INFO, logger="httpx"):
        call(CoverManagerAdapter, "check_auth", cm_connection())
    messages = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert messages, "httpx logs each request at INFO"
    assert all(CM_KEY not in m for m in messages)
    assert any(redact.mask(CM_KEY) in m for m in messages)


class _Platform:
    name = "covermanager"
    display_name = "CoverManager"


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        ('{"resp": 1, "name": "Café"}'.encode(), "application/json", {"resp": 1, "name": "Café"}),
        # another declared charset: the bytes are not UTF-8, the text is still read right
        ('{"name": "Café"}'.encode("latin-1"), "application/json; charset=latin-1",
         {"name": "Café"}),
        (b'{"price": NaN}', "application/json", None),  # Python's parser accepts NaN
    ],
)  # fmt: skip
def test_decode_json_reads_utf8_other_charsets_and_what_python_accepts(
    content: bytes, content_type: str, expected: object
) -> None:
    response = httpx.Response(200, content=content, headers={"Content-Type": content_type})
    body = http.decode_json(response, _Platform())
    if expected is None:
        assert body["price"] != body["price"]  # NaN
    else:
        assert body == expected


def test_decode_json_replaces_a_lone_surrogate_and_keeps_a_pair() -> None:
    """Python's parser (orjson refuses the escape) read a lone surrogate into a text that no
    encoder writes: a create's answer holding one failed where it was stored."""
    content = rb'{"a": "x\ud800", "\udc00k": ["\ud83d\ude00", "\\ud800"]}'
    body = http.decode_json(httpx.Response(200, content=content), _Platform())
    assert body == {"a": "x\ufffd", "\ufffdk": ["\U0001f600", "\\ud800"]}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"   ", "empty body"), (b"<html>Bad gateway</html>", "not JSON: '<html>Bad gateway")],
)
def test_decode_json_refuses_empty_and_non_json_bodies(content: bytes, fragment: str) -> None:
    from prima_cli.errors import PlatformMalformedResponse

    with pytest.raises(PlatformMalformedResponse) as caught:
        http.decode_json(httpx.Response(502, content=content), _Platform())
    assert fragment in caught.value.message
    assert caught.value.http_status == 502


def test_clients_share_one_tls_context() -> None:
    first, second = http.build_client(), http.build_client()
    try:
        contexts = [c._transport.inner.ssl_context for c in (first, second)]  # type: ignore[attr-defined]
        assert contexts[0] is contexts[1] is not None
    finally:
        asyncio.run(first.aclose())
        asyncio.run(second.aclose())


# --- the budget's wait: a write never queues long, a read waits and says so -------------


def test_a_write_refuses_a_slot_further_away_than_a_write_waits(mock: respx.MockRouter) -> None:
    """The key is paused for 100 s (a Retry-After another task or process received): a
    create is refused at once, nothing sent, a rate limit the breaker does not count (the
    platform was not asked), so its connections are not cut off by local refusals."""
    from prima_cli.platforms.credential import credential_of
    from prima_cli.platforms.http import breaker, budget

    route = mock.post(f"{CM_BASE}/reserv/reserv").respond(
        json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"}
    )
    connection = cm_connection()
    key = credential_of(CoverManagerAdapter, connection)

    async def go() -> list[PlatformRateLimited]:
        refused = []
        async with http.build_client() as client:
            budget.pause(key, 100)
            for _ in range(breaker.THRESHOLD + 1):
                with pytest.raises(PlatformRateLimited) as caught:
                    await CoverManagerAdapter(client).create_reservation(connection, booking())
                refused.append(caught.value)
            assert breaker.view_of(key).failures == 0
        return refused

    refused = asyncio.run(go())
    assert route.call_count == 0
    first = refused[0]
    assert first.exit_code == 75 and first.retryable and first.fails_over
    assert first.retry_after is not None and 99 <= first.retry_after <= 100
    assert "nothing was sent" in first.message and key.key in first.message
    assert first.hint == "try again in 100 s"


def test_a_write_gives_up_its_place_in_a_long_queue_of_this_process(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key paced to one request a minute has spent its slot: the next create waits for its
    turn in this process's queue no longer than a write waits, then is refused, nothing
    sent (a read waits its turn: the test below)."""
    import time

    from prima_cli.platforms.http import budget

    monkeypatch.setattr(budget, "WRITE_MAX_WAIT", 0.5)
    route = mock.post(f"{CM_BASE}/reserv/reserv").respond(
        json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"}
    )
    connection = cm_connection(rate_limit="1/min")

    async def go() -> float:
        async with http.build_client() as client:
            adapter = CoverManagerAdapter(client)
            await adapter.create_reservation(connection, booking())  # the minute's one slot
            started = time.monotonic()
            with pytest.raises(PlatformRateLimited) as refused:
                # bounded here so that a write that queues for the minute fails, not hangs
                await asyncio.wait_for(adapter.create_reservation(connection, booking()), 20)
            assert "nothing was sent" in refused.value.message
            assert refused.value.retryable and refused.value.fails_over
            return time.monotonic() - started

    waited = asyncio.run(go())
    assert route.call_count == 1
    assert 0.4 <= waited < 10


def test_a_write_that_gives_up_its_place_leaves_nothing_in_the_queue(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Giving up its place is a write's usual way out of a long queue: the key's limiter,
    which lives as long as the loop (a worker's), must keep nothing of the task that left
    (aiolimiter before 1.2 kept each cancelled waiter's task and future for good, and woke
    that dead future in place of the next live one)."""
    import gc
    import weakref

    from prima_cli.platforms.http import budget

    monkeypatch.setattr(budget, "WRITE_MAX_WAIT", 0.2)
    mock.post(f"{CM_BASE}/reserv/reserv").respond(
        json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"}
    )
    connection = cm_connection(rate_limit="1/min")

    async def go() -> bool:
        async with http.build_client() as client:
            adapter = CoverManagerAdapter(client)
            await adapter.create_reservation(connection, booking())  # the minute's one slot
            task = asyncio.create_task(adapter.create_reservation(connection, booking()))
            with pytest.raises(PlatformRateLimited):
                await asyncio.wait_for(asyncio.shield(task), 20)
            left = weakref.ref(task)
            del task
            gc.collect()
            return left() is None  # while the loop and its limiter live

    assert asyncio.run(go())


def test_a_read_waits_for_its_slot_and_the_terminal_line_says_why(
    mock: respx.MockRouter,
) -> None:
    """A read waits out the pause, then is sent; past a second, the status line of a
    terminal names the key and the wait instead of "attempt 1 of 4"."""
    import time

    from prima_cli import call_status
    from prima_cli.platforms.credential import credential_of
    from prima_cli.platforms.http import budget

    route = mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").respond(
        json={"resp": 1, "restaurants": [{"restaurant": "prima-test", "name": "T"}]}
    )
    connection = cm_connection()
    key = credential_of(CoverManagerAdapter, connection)
    shown: list[str | None] = []
    previous = call_status.listen(shown.append)

    async def go() -> float:
        async with http.build_client() as client:
            budget.pause(key, 1.5)
            started = time.monotonic()
            await CoverManagerAdapter(client).check_auth(connection)
            return time.monotonic() - started

    try:
        waited = asyncio.run(go())
    finally:
        call_status.listen(previous)
    assert waited >= 1.4 and route.call_count == 1
    labels = [s for s in shown if s]
    assert labels and labels[0].startswith(f"{key.key}: waiting ")
    assert "for the key's request budget" in labels[0]
    assert not [s for s in labels if "attempt" in s]  # the generic line did not replace it
    assert shown[-1] is None  # and the line is erased once the request is sent


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "store"])
def test_a_probe_the_budget_refuses_hands_the_probe_to_the_next_request(
    mock: respx.MockRouter, tmp_path: Path, shared: bool
) -> None:
    """The breaker's pause is over and a create gets the probe, but the key's budget refuses
    it (nothing sent): the next request is the probe. It kept the breaker half-open with a
    probe that never reported, so every request of the key, in every process on the store,
    was refused 'until a probe request succeeds' for PROBE_STALE (120 s)."""
    from prima_cli.errors import PlatformCircuitOpen
    from prima_cli.platforms.credential import credential_of
    from prima_cli.platforms.http import breaker, budget
    from prima_cli.platforms.http.ledger import BreakerState, reset_ledger, use_ledger
    from prima_cli.platforms.http.memory_ledger import MemoryLedger

    ledger: object = MemoryLedger()
    if shared:
        import sqlalchemy as sa

        from prima_cli.core.credential_ledger import StoreLedger
        from prima_cli.store.store import Store
        from tests.conftest import CLI

        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        CLI(url).ok("db", "migrate")
        store = Store(url)
        ledger = StoreLedger(store)
    mock.post(f"{CM_BASE}/reserv/reserv").respond(
        json={"resp": 1, "id_reserv": "SGwzEu", "status": "3"}
    )
    listed = mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").respond(
        json={"resp": 1, "restaurants": [{"restaurant": "prima-test", "name": "T"}]}
    )
    connection = cm_connection()
    key = credential_of(CoverManagerAdapter, connection)

    async def go() -> BreakerState:
        token = use_ledger(ledger)  # type: ignore[arg-type]
        try:
            async with http.build_client() as client:
                for _ in range(breaker.THRESHOLD):
                    breaker._call("failed", key, probe=False, threshold=breaker.THRESHOLD,
                                  pauses=(0.0, 0.0), error="HTTP 500")  # fmt: skip
                assert breaker.view_of(key).state is BreakerState.OPEN
                budget.pause(key, 100)  # a Retry-After another process received
                with pytest.raises(PlatformRateLimited) as refused:
                    await CoverManagerAdapter(client).create_reservation(connection, booking())
                assert not isinstance(refused.value, PlatformCircuitOpen)
                assert "nothing was sent" in refused.value.message
                budget.budget_of(key).paused_until = 0.0  # the key's pause is over
                if shared:
                    with store.engine.begin() as conn:
                        conn.execute(sa.text("UPDATE platform_credentials SET budget_tat = 0"))
                try:
                    await CoverManagerAdapter(client).check_auth(connection)
                except PlatformCircuitOpen as err:
                    pytest.fail(f"the next request was refused: {err.message}")
                return breaker.view_of(key).state
        finally:
            reset_ledger(token)

    assert asyncio.run(go()) is BreakerState.CLOSED  # the read was the probe, and closed it
    assert listed.call_count == 1


def test_a_probe_without_an_outcome_hands_the_probe_to_the_next_request(
    mock: respx.MockRouter,
) -> None:
    """The probe's answer could not be read (a broken gzip body: neither a success nor a
    failure the breaker counts): the next request is the probe. The breaker stayed half-open
    with a probe that never reported, refusing every request of the key 'until a probe
    request succeeds' for PROBE_STALE (120 s), as for a probe the budget refused."""
    from prima_cli.errors import PlatformCircuitOpen, PlatformMalformedResponse
    from prima_cli.platforms.credential import credential_of
    from prima_cli.platforms.http import breaker
    from prima_cli.platforms.http.ledger import BreakerState

    listed = mock.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").mock(side_effect=[
        httpx.DecodingError("Error -3 while decompressing data: incorrect header check"),
        httpx.Response(200, json={"resp": 1, "restaurants": [{"restaurant": "prima-test"}]}),
    ])  # fmt: skip
    connection = cm_connection()
    key = credential_of(CoverManagerAdapter, connection)

    async def go() -> BreakerState:
        async with http.build_client() as client:
            for _ in range(breaker.THRESHOLD):
                breaker._call("failed", key, probe=False, threshold=breaker.THRESHOLD,
                              pauses=(0.0, 0.0), error="HTTP 500")  # fmt: skip
            assert breaker.view_of(key).state is BreakerState.OPEN
            with pytest.raises(PlatformMalformedResponse):  # the probe
                await CoverManagerAdapter(client).check_auth(connection)
            try:
                await CoverManagerAdapter(client).check_auth(connection)
            except PlatformCircuitOpen as err:
                pytest.fail(f"the next request was refused: {err.message}")
            return breaker.view_of(key).state

    assert asyncio.run(go()) is BreakerState.CLOSED  # the second read probed, and closed it
    assert listed.call_count == 2


def test_a_platform_message_in_an_error_status_is_one_bounded_line() -> None:
    from prima_cli.platforms.http import error_message

    words = "Sin\ndisponibilidad " + "z" * 100_000
    response = httpx.Response(409, json={"message": words})
    message = error_message(response) or ""
    assert message.startswith("Sin disponibilidad zzz") and message.endswith("...")
    assert len(message) <= 510


def test_the_client_keeps_no_cookie_and_hands_back_read_answers(mock: respx.MockRouter) -> None:
    # a platform API authenticates each request by its key: a cookie it sets is not sent back
    # (httpx's own send would keep it in the client's jar and send it with the next request)
    first = mock.get("https://x.test/a").mock(
        return_value=httpx.Response(200, headers={"Set-Cookie": "session=s1; Path=/"}, json={})
    )
    second = mock.get("https://x.test/b").mock(return_value=httpx.Response(200, json={"ok": 1}))

    async def go() -> httpx.Response:
        async with http.build_client() as client:
            await http.send(client, CoverManagerAdapter, "GET", "https://x.test/a", idempotent=True)
            return await http.send(
                client, CoverManagerAdapter, "GET", "https://x.test/b", idempotent=True
            )

    answer = asyncio.run(go())
    assert first.called and second.called
    assert "cookie" not in second.calls.last.request.headers
    assert answer.json() == {"ok": 1}
    assert answer.is_closed and answer.request.url == "https://x.test/b"
    assert answer.elapsed.total_seconds() >= 0


def test_event_hooks_and_auth_take_httpx_own_send(mock: respx.MockRouter) -> None:
    mock.get("https://x.test/a").mock(return_value=httpx.Response(200))
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async def go() -> httpx.Response:
        async with http.build_client() as client:
            client.event_hooks["request"] = [hook]
            client.auth = httpx.BasicAuth("u", "p")
            return await http.send(client, CoverManagerAdapter, "GET", "https://x.test/a",
                                   idempotent=True)  # fmt: skip

    answer = asyncio.run(go())
    assert seen == ["https://x.test/a"]
    assert answer.request.headers["authorization"].startswith("Basic ")
