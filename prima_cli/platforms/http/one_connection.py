"""A transport's one direct connection: httpcore's connection without httpcore's pool.

Each worker of a sync owns a client limited to one connection (:mod:`prima_cli.core.sync`),
and so does a monitoring probe. httpcore's pool serves such a client as it serves one of
twenty: a queue of requests, a scan of its connections and a lock-guarded, cancel-shielded
hand-back on every answer, bookkeeping for connections a client of one never has.
:class:`OneConnection` holds a single ``httpcore.AsyncHTTPConnection`` (httpcore's public
API, on prima's :class:`~.network.AsyncioBackend`) and does what the pool does with one
connection, no more:

* before each request it looks at the connection the previous one left: a connection that
  is closed, failed to open, past its keep-alive, ended by the server while idle (read from
  the socket by ``has_expired``), not idle, or to another origin is closed and a new one
  opened, so a request is never written into a connection the server already closed;
* tasks that share the client take turns, first come first served; one that waits longer
  than its request's ``pool`` timeout gives up with ``PoolTimeout``, as a request queued in
  the pool does;
* its errors are the connection's own: only failing to open it raises ``ConnectError`` or
  ``ConnectTimeout``, and a reset, an end of stream or a timeout once it is open raises
  ``ReadError``, ``WriteError`` or ``ReadTimeout`` (:mod:`.network`), which a write takes as
  "may have been applied".

respx mocks it as it mocks the pool: its httpcore mocker patches
``AsyncHTTPConnection.handle_async_request`` too.
"""

from __future__ import annotations

import asyncio
import ssl

import httpcore

from prima_cli.platforms.http.network import AsyncioBackend

#: the schemes httpcore's pool accepts (it refuses the others before connecting)
_SCHEMES = (b"http", b"https", b"ws", b"wss")


class OneConnection:
    """At most one open connection, kept alive between requests and replaced as needed."""

    def __init__(
        self, ssl_context: ssl.SSLContext, keepalive_expiry: float | None, backend: AsyncioBackend
    ) -> None:
        self.ssl_context = ssl_context
        self.keepalive_expiry = keepalive_expiry
        self.backend = backend
        self.connection: httpcore.AsyncHTTPConnection | None = None
        self._turn = asyncio.Lock()

    async def exchange(self, request: httpcore.Request) -> tuple[httpcore.Response, bytes]:
        """The answer to ``request`` and its whole body; the connection is free again when
        this returns."""
        scheme = request.url.scheme
        if scheme not in _SCHEMES:
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme.decode()}://'."
            )
        turn = self._turn
        if turn.locked():  # another task's request holds the connection
            timeout = request.extensions.get("timeout", {}).get("pool")
            try:
                async with asyncio.timeout(timeout):
                    await turn.acquire()
            except TimeoutError:
                raise httpcore.PoolTimeout("timed out waiting for the connection") from None
        else:
            await turn.acquire()
        try:
            connection = await self._ready(request.url.origin)
            answer = await connection.handle_async_request(request)
            try:
                body = b"".join([part async for part in answer.stream])  # type: ignore[union-attr]
            finally:
                await answer.aclose()
        finally:
            turn.release()
        return answer, body

    async def _ready(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        """The kept-alive connection if it can take a request to ``origin`` now, else a new
        one (opened by its first request), the old one closed."""
        connection = self.connection
        if connection is not None:
            if (
                connection.is_available()
                and connection.can_handle_request(origin)
                and not connection.has_expired()
            ):
                return connection
            self.connection = None
            await connection.aclose()
        connection = self.connection = httpcore.AsyncHTTPConnection(
            origin,
            ssl_context=self.ssl_context,
            keepalive_expiry=self.keepalive_expiry,
            network_backend=self.backend,
        )
        return connection

    async def aclose(self) -> None:
        """Close the connection (a request in flight on it fails, as in a closed pool)."""
        connection, self.connection = self.connection, None
        if connection is not None:
            await connection.aclose()
