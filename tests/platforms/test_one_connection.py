"""A transport limited to one connection (prima_cli/platforms/http/one_connection.py), over
real sockets on loopback: each behaviour is checked on :class:`OneConnection` and on
httpcore's pool of one connection, which it stands in for, alike."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable, Iterator

import httpcore
import httpx
import pytest
import respx

from prima_cli.platforms import http
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.http.one_connection import OneConnection
from prima_cli.platforms.http.transport import NetworkTransport
from tests.platforms.adapter_support import CM_BASE, CM_KEY, cm_connection


class Server:
    """A keep-alive HTTP/1.1 server on loopback in the test's event loop: it answers each
    request with the number of the connection it came on, and counts what it sees."""

    def __init__(self, *, close_after_answer: bool = False, reset: bool = False) -> None:
        self.close_after_answer = close_after_answer  # ends each connection after one answer
        self.reset = reset  # resets each connection once its request has arrived
        self.hold: asyncio.Event | None = None  # answers wait for it when set
        self.opened = self.closed = self.requests = self.active = self.most_active = 0
        self.url = ""

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/book"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        number = self.opened
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                self.requests += 1
                if self.reset:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                self.active += 1
                self.most_active = max(self.most_active, self.active)
                if self.hold is not None:
                    await self.hold.wait()
                body = str(number).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                self.active -= 1
                if self.close_after_answer:  # as a server ending an idle connection does
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client closed the connection
        finally:
            self.closed += 1
            writer.close()


async def until(predicate: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Poll ``predicate`` while the event loop runs; fail after ``seconds`` (a deadline)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.005)


def closed(server: Server, count: int) -> Callable[[], bool]:
    return lambda: server.closed == count


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    yield


@pytest.fixture(params=["one", "pool"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def transport(kind: str, keepalive_expiry: float = 30.0) -> NetworkTransport:
    """A transport limited to one connection: prima's, or on httpcore's pool of one."""
    limits = httpx.Limits(
        max_connections=1, max_keepalive_connections=1, keepalive_expiry=keepalive_expiry
    )
    network = NetworkTransport(ssl.create_default_context(), limits)
    assert isinstance(network.direct, OneConnection)
    if kind == "pool":
        network.direct = httpcore.AsyncConnectionPool(
            ssl_context=network.ssl_context, max_connections=1, max_keepalive_connections=1,
            keepalive_expiry=keepalive_expiry, network_backend=network.backend,
        )  # fmt: skip
    return network


def run(
    kind: str,
    scenario: Callable[[NetworkTransport], Awaitable[None]],
    keepalive_expiry: float = 30.0,
) -> None:
    """Run ``scenario`` on a fresh transport of ``kind`` in a fresh event loop, within a
    deadline (a request that waits forever fails the test instead of hanging it)."""

    async def go() -> None:
        network = transport(kind, keepalive_expiry)
        try:
            async with asyncio.timeout(30):
                await scenario(network)
        finally:
            await network.aclose()

    asyncio.run(go())


async def post(network: NetworkTransport, url: str, *, pool_timeout: float = 5.0) -> str:
    """POST to ``url``: the answer's body (the server's number of the connection)."""
    timeout = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": pool_timeout}
    request = httpx.Request("POST", url, json={"a": 1}, extensions={"timeout": timeout})
    answer = await network.handle_async_request(request)
    assert answer.status_code == 200
    return answer.read().decode()


def test_requests_share_one_kept_alive_connection(kind: str) -> None:
    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            assert [await post(network, server.url) for _ in range(3)] == ["1", "1", "1"]
            assert server.opened == 1

    run(kind, scenario)


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(kind: str) -> None:
    """A write is never sent into a connection the server has ended: it would fail after
    leaving, "may have been applied", for nothing."""

    async def scenario(network: NetworkTransport) -> None:
        async with Server(close_after_answer=True) as server:
            for number in range(1, 4):
                assert await post(network, server.url) == str(number)
                await until(closed(server, number), "the server ended the connection")
            assert server.requests == 3

    run(kind, scenario)


def test_a_connection_past_its_keepalive_expiry_is_replaced(kind: str) -> None:
    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            assert [await post(network, server.url) for _ in range(3)] == ["1", "2", "3"]
            await until(lambda: server.closed == 2, "the expired connections closed")

    run(kind, scenario, keepalive_expiry=0.0)


def test_another_origin_closes_the_old_connection(kind: str) -> None:
    """A worker whose next connection is on another host (CoverManager, then Restoo)."""

    async def scenario(network: NetworkTransport) -> None:
        async with Server() as first, Server() as second:
            assert await post(network, first.url) == "1"
            assert await post(network, second.url) == "1"
            await until(lambda: first.closed == 1, "the first host's connection closed")
            assert await post(network, first.url) == "2"
            await until(lambda: second.closed == 1, "the second host's connection closed")

    run(kind, scenario)


def test_tasks_sharing_the_client_take_turns(kind: str) -> None:
    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            server.hold = asyncio.Event()
            first = asyncio.create_task(post(network, server.url))
            await until(lambda: server.active == 1, "the first request arrived")
            second = asyncio.create_task(post(network, server.url))
            for _ in range(20):  # the second task runs as far as it can
                await asyncio.sleep(0)
            assert server.requests == 1  # it waits for the connection
            server.hold.set()
            assert await asyncio.gather(first, second) == ["1", "1"]
            assert (server.opened, server.most_active) == (1, 1)

    run(kind, scenario)


def test_a_request_that_waits_longer_than_its_pool_timeout_gives_up(kind: str) -> None:
    """Not sent, so a write may be retried (PoolTimeout is a connect error to the retries)."""

    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            server.hold = asyncio.Event()
            first = asyncio.create_task(post(network, server.url))
            await until(lambda: server.active == 1, "the first request arrived")
            with pytest.raises(httpx.PoolTimeout):
                await post(network, server.url, pool_timeout=0.05)
            server.hold.set()
            assert await first == "1"
            assert server.requests == 1
            assert await post(network, server.url) == "1"  # the connection is free again

    run(kind, scenario)


def test_a_request_cancelled_in_flight_frees_the_connection(kind: str) -> None:
    """A cancelled request (a stopped sync) leaves no turn taken: the next one is sent, on a
    new connection (the cancelled one's answer may still come)."""

    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            server.hold = asyncio.Event()
            first = asyncio.create_task(post(network, server.url))
            await until(lambda: server.active == 1, "the first request arrived")
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            server.hold = None
            assert await post(network, server.url) == "2"

    run(kind, scenario)


def test_failing_to_open_is_a_connect_error_and_the_next_request_reconnects(kind: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def scenario(network: NetworkTransport) -> None:
        with pytest.raises(httpx.ConnectError):
            await post(network, f"http://127.0.0.1:{port}/book")
        async with Server() as server:
            assert await post(network, server.url) == "1"

    run(kind, scenario)


def test_a_reset_once_the_request_is_sent_is_a_read_error(kind: str) -> None:
    """Not a connect error: the request may have been applied."""

    async def scenario(network: NetworkTransport) -> None:
        async with Server(reset=True) as server:
            with pytest.raises(httpx.ReadError):
                await post(network, server.url)
            server.reset = False
            assert await post(network, server.url) == "2"  # on a new connection

    run(kind, scenario)


def test_closing_the_transport_closes_its_connection(kind: str) -> None:
    async def scenario(network: NetworkTransport) -> None:
        async with Server() as server:
            assert await post(network, server.url) == "1"
            assert server.closed == 0
            await network.aclose()
            await until(lambda: server.closed == 1, "the server saw the connection end")

    run(kind, scenario)


def test_respx_mocks_a_client_of_one_connection() -> None:
    """respx's httpcore mocker patches the connection as well as the pool, so the adapter
    tests' routes answer a client of one connection too, and nothing reaches the network
    (an unrouted request fails)."""

    async def go() -> bool:
        async with http.build_client(max_connections=1) as client:
            assert isinstance(client.paced.inner.direct, OneConnection)  # type: ignore[attr-defined]
            adapter = CoverManagerAdapter(client)
            await adapter.check_auth(cm_connection())
            await adapter.check_auth(cm_connection(base_url="https://other.test/api"))
            return True

    with respx.mock(assert_all_called=False) as router:
        listed = router.get(f"{CM_BASE}/restaurant/list/{CM_KEY}/").respond(
            json={"resp": 1, "restaurants": [{"restaurant": "prima-test"}]}
        )
        with pytest.raises(respx.models.AllMockedAssertionError):
            asyncio.run(go())
    assert listed.call_count == 1
