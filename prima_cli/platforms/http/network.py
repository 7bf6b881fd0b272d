"""The network under httpcore: asyncio's own transports, without anyio's streams in between.

httpcore (under httpx) runs its connections on a *network backend*; its default wraps each
socket in anyio streams, whose cancel scope per read and write cost about a tenth of a
sync's CPU. :class:`AsyncioBackend` gives httpcore the same streams straight over an asyncio
transport and protocol. httpcore keeps everything else: the pool, HTTP/1.1 parsing (h11),
keep-alive and its error types, and respx still mocks it at the pool and the connection,
above this module.

What a request may have done stays readable from the error, as prima's retry rules need
(:mod:`.retry`): only failing to open the connection (TCP or TLS) raises ``ConnectError`` or
``ConnectTimeout``; once a connection is open, a reset, an end of stream or a timeout
raises ``ReadError``, ``WriteError`` or ``ReadTimeout``, which a write takes as "may have
been applied".

A request's bytes are written together when its answer is first read: httpcore writes the
head and the body of a POST separately, and one write is one system call fewer.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import time
import typing

import httpcore

#: buffered request bytes beyond this are written at once rather than at the first read
_FLUSH_AT = 64 * 1024
#: an answer (its head and body) comes whole within this many read timeouts of its request,
#: or it is a ``ReadTimeout``: the read timeout bounds each wait for bytes, and a server
#: sending a byte now and then would otherwise hold the request (and a sync, its run lock
#: with it) for as long as it liked
ANSWER_READS = 8


def _socket_readable(sock: socket.socket) -> bool:
    """Whether ``sock`` holds something to read now (data or its end), without waiting: the
    event loop may not have read it yet."""
    if sock.fileno() == -1:
        return True
    if not hasattr(select, "poll"):  # select() only takes descriptors below FD_SETSIZE
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Protocol(asyncio.Protocol):
    """Received bytes, the end of the stream, and a waiter woken by either."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.ended = False
        self.lost: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.received += data
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._pending: list[bytes] = []
        self._sent = False  # a request written since the last read
        self._deadline: float | None = None  # time.monotonic() by which the answer is whole

    def _flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if self._transport.is_closing():
            raise httpcore.WriteError(str(self._protocol.lost or "the connection is closed"))
        self._transport.write(data)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._sent = True
            self._pending.append(buffer)
            if sum(map(len, self._pending)) > _FLUSH_AT:
                self._flush()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._flush()
        if self._sent:  # the first read of a request's answer: the answer's time starts
            self._sent = False
            self._deadline = None if timeout is None else time.monotonic() + timeout * ANSWER_READS
        wait, whole = timeout, False  # whole: the wait ends at the answer's deadline
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise _not_whole(timeout)
            if wait is None or left < wait:
                wait, whole = left, True
        protocol = self._protocol
        if not protocol.received and not protocol.ended:
            protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(wait):
                    await protocol.waiter
            except TimeoutError:
                if whole:
                    raise _not_whole(timeout) from None
                raise httpcore.ReadTimeout("timed out waiting for the answer") from None
            finally:
                protocol.waiter = None
        received = protocol.received
        if not received:
            if protocol.lost is not None:  # a reset: the request may have arrived
                raise httpcore.ReadError(str(protocol.lost))
            return b""  # the peer ended the stream; h11 says what that means
        if len(received) <= max_bytes:
            data = bytes(received)
            received.clear()
        else:
            data = bytes(received[:max_bytes])
            del received[:max_bytes]
        return data

    async def aclose(self) -> None:
        self._pending.clear()
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:  # a refused certificate is an SSLError
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return _Stream(typing.cast(asyncio.Transport, transport), self._protocol)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":  # an idle kept-alive connection the server closed
            sock = self._transport.get_extra_info("socket")
            return (
                bool(self._protocol.received)
                or self._protocol.ended
                or (sock is not None and _socket_readable(sock))
            )
        names = {"ssl_object": "ssl_object", "client_addr": "sockname",
                 "server_addr": "peername", "socket": "socket"}  # fmt: skip
        name = names.get(info)
        return self._transport.get_extra_info(name) if name else None


def _not_whole(timeout: float | None) -> httpcore.ReadTimeout:
    return httpcore.ReadTimeout(
        f"timed out: the answer did not come whole within {ANSWER_READS} read timeouts "
        f"({(timeout or 0) * ANSWER_READS:g} s)"
    )


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio transports (see the module's docstring)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=local
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:  # refused, unreachable, no such host
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(typing.cast(asyncio.Transport, transport), protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Protocol, path)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return _Stream(typing.cast(asyncio.Transport, transport), protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
