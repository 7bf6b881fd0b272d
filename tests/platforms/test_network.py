"""The network backend under httpcore (prima_cli/platforms/http/network.py), over real sockets:
what each failure becomes, so that a write that may have arrived is never taken as unsent."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpcore
import httpx
import pytest

from prima_cli.errors import PlatformAmbiguousOutcome, PlatformUnavailable
from prima_cli.platforms import http
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.http.network import AsyncioBackend
from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.reliability.lifecycle import wait_until


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as sandbox:
        yield sandbox


def cm_url(sb: Sandbox, path: str) -> str:
    return f"{sb.credentials().covermanager.base_url}/{path}"


#: a client's connection limit: one connection (a sync's worker: no pool), or a pool
LIMITS = pytest.mark.parametrize("limit", [1, 20])


def send(
    url: str, *, idempotent: bool, read_timeout: float = 15.0, limit: int = 20
) -> httpx.Response:
    async def go() -> httpx.Response:
        async with http.build_client(read_timeout=read_timeout, max_connections=limit) as client:
            return await http.send(
                client, CoverManagerAdapter, "POST", url, idempotent=idempotent, json={"a": 1}
            )

    return asyncio.run(go())


def test_clients_run_their_connections_on_the_asyncio_backend(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection a client opens is this backend's (counted where it connects)."""
    opened: list[int] = []
    connect = AsyncioBackend.connect_tcp

    async def counted(self: AsyncioBackend, host: str, port: int, **kw: Any) -> Any:
        opened.append(port)
        return await connect(self, host, port, **kw)

    monkeypatch.setattr(AsyncioBackend, "connect_tcp", counted)
    cm = sb.credentials().covermanager

    async def go() -> int:
        async with http.build_client() as client:
            answer = await client.get(f"{cm.base_url}/restaurant/list/{cm.api_key}/")
            return answer.status_code

    assert asyncio.run(go()) == 200
    assert opened == [httpx.URL(cm.base_url).port]


def test_answers_and_kept_alive_connections(sb: Sandbox) -> None:
    async def go() -> list[int]:
        statuses = []
        async with http.build_client(max_connections=1) as client:
            for _ in range(5):
                url = cm_url(sb, "reserv/availability")
                answer = await http.send(client, CoverManagerAdapter, "POST", url,
                                         idempotent=True, json={"restaurant": "x"})  # fmt: skip
                statuses.append(answer.status_code)
        return statuses

    assert asyncio.run(go()) == [401] * 5  # the simulator's answer without a key
    assert len(sb.requests_log) == 5


@LIMITS
def test_reset_after_a_write_was_sent_is_ambiguous_and_not_resent(sb: Sandbox, limit: int) -> None:
    sb.inject("reset:covermanager:reserv/reserv:times=1")  # handled, then the connection reset
    with pytest.raises(PlatformAmbiguousOutcome):
        send(cm_url(sb, "reserv/reserv"), idempotent=False, limit=limit)
    assert [r.fault for r in sb.requests_log] == ["reset"]  # sent once, never again


@LIMITS
def test_reset_of_a_read_is_retried(sb: Sandbox, limit: int) -> None:
    sb.inject("reset:covermanager:reserv/availability:times=1")
    answer = send(cm_url(sb, "reserv/availability"), idempotent=True, limit=limit)  # no key: 401
    assert [(r.fault, r.status) for r in sb.requests_log] == [("reset", None), (None, 401)]
    assert answer.status_code == 401


@LIMITS
def test_no_answer_in_time_is_ambiguous_for_a_write(sb: Sandbox, limit: int) -> None:
    sb.inject("hang:covermanager:reserv/reserv:seconds=5:times=1")
    with pytest.raises(PlatformAmbiguousOutcome, match="timed out"):
        send(cm_url(sb, "reserv/reserv"), idempotent=False, read_timeout=0.3, limit=limit)


@LIMITS
def test_refused_connection_is_not_sent_so_a_write_is_retried(limit: int) -> None:
    with socket_closed_port() as port, pytest.raises(PlatformUnavailable) as caught:
        send(f"http://127.0.0.1:{port}/api/reserv/reserv", idempotent=False, limit=limit)
    assert "3 attempts" in caught.value.message  # connect errors: nothing sent, so retried


class socket_closed_port:
    """A loopback port with nothing listening (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


class _OneAnswerPerConnection(BaseHTTPRequestHandler):
    """Answers one request per connection, then closes it without saying so beforehand, as a
    server ending an idle kept-alive connection does."""

    protocol_version = "HTTP/1.1"
    closed = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"resp": 1}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def finish(self) -> None:
        super().finish()
        type(self).closed += 1

    def log_message(self, format: str, *args: object) -> None:
        return None


def closed(count: int) -> Callable[[], bool]:
    return lambda: _OneAnswerPerConnection.closed >= count


@pytest.mark.parametrize("limit", [1, 2])
def test_a_connection_the_server_closed_while_idle_is_not_reused(limit: int) -> None:
    """The transport sees the end of an idle connection and opens a new one, so a write is
    not sent into a closed connection (which would make it ambiguous for nothing)."""
    _OneAnswerPerConnection.closed = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OneAnswerPerConnection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/reserv/reserv"

    async def go() -> list[int]:
        statuses = []
        async with http.build_client(max_connections=limit) as client:
            for number in range(1, 4):
                answer = await http.send(client, CoverManagerAdapter, "POST", url,
                                         idempotent=False, json={"n": number})  # fmt: skip
                statuses.append(answer.status_code)
                await asyncio.to_thread(wait_until, closed(number), seconds=10,
                                        what="the server closed the connection")  # fmt: skip
                await asyncio.sleep(0)  # the event loop reads the end of the stream
        return statuses

    try:
        assert asyncio.run(go()) == [200, 200, 200]
    finally:
        server.shutdown()
        server.server_close()


class _Trickle(BaseHTTPRequestHandler):
    """Answers with a head and then one byte of its body at a time, each well within the
    read timeout, for longer than the test waits (as a server stuck in a loop, or one that
    holds its clients on purpose)."""

    protocol_version = "HTTP/1.1"
    requests = 0
    stop = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        for _ in range(100):  # 5 s, longer than the 8 read timeouts of the test
            if self.stop.wait(0.05):
                return
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.mark.parametrize("idempotent", [False, True])
def test_an_answer_that_never_comes_whole_times_out(idempotent: bool) -> None:
    """Each byte came within the read timeout, so the request waited as long as the
    server went on (a sync held its run lock meanwhile). The answer now comes whole within
    8 read timeouts (network.ANSWER_READS): then a read is retried, a write is ambiguous,
    sent once."""
    _Trickle.requests = 0
    _Trickle.stop.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/reserv/reserv"
    expected = PlatformUnavailable if idempotent else PlatformAmbiguousOutcome
    try:
        with pytest.raises(expected, match=r"not come whole within 8 read timeouts \(1.6 s\)"):
            send(url, idempotent=idempotent, read_timeout=0.2)
    finally:
        _Trickle.stop.set()
        server.shutdown()
        server.server_close()
    assert _Trickle.requests == (3 if idempotent else 1)


# --- TLS --------------------------------------------------------------------------------


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` (and its key), signed by itself."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"resp": 1}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert_file, key_file = self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/", cert_file
    finally:
        server.shutdown()
        server.server_close()


def tls_get(url: str, trusted: Path | None) -> list[int]:
    context = ssl.create_default_context(cafile=str(trusted) if trusted else None)

    async def go() -> list[int]:
        async with httpcore.AsyncConnectionPool(
            ssl_context=context, network_backend=AsyncioBackend()
        ) as pool:
            return [(await pool.request("GET", url)).status for _ in range(3)]

    return asyncio.run(go())


def test_tls_answers_over_a_verified_connection(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    assert tls_get(url, cert) == [200, 200, 200]


def test_untrusted_certificate_fails_to_connect(tls_server: tuple[str, Path]) -> None:
    """Refused in the handshake, before any request byte: a connect error, never ambiguous."""
    url, _cert = tls_server
    with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        tls_get(url, None)


class _ForwardProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: it relays each absolute-URI request and counts it."""

    seen: ClassVar[list[str]] = []

    def _relay(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")
        }
        with httpx.Client(trust_env=False) as relay:  # HTTP_PROXY names this very proxy
            answer = relay.request(self.command, self.path, headers=headers, content=body)
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _relay

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """HTTP_PROXY names a forward proxy on loopback; what it relayed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    _ForwardProxy.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield _ForwardProxy.seen
    finally:
        server.shutdown()
        server.server_close()


def _check_auth_after_a_pause(sb: Sandbox, pause: float, limit: int = 20) -> float:
    """CoverManager's key check with the key paused ``pause`` s first: how long it took."""
    import time

    from prima_cli.platforms.credential import credential_of
    from prima_cli.platforms.http import budget
    from tests.platforms.adapter_support import cm_connection

    cm = sb.credentials().covermanager
    connection = cm_connection(api_key=cm.api_key, base_url=cm.base_url,
                               restaurant_id="prima-sbx-madrid")  # fmt: skip

    async def go() -> float:
        async with http.build_client(max_connections=limit) as client:
            budget.pause(credential_of(CoverManagerAdapter, connection), pause)
            started = time.monotonic()
            await CoverManagerAdapter(client).check_auth(connection)
            return time.monotonic() - started

    return asyncio.run(go())


@LIMITS
def test_a_proxied_request_goes_through_the_proxy_and_the_budget(
    sb: Sandbox, proxy: list[str], limit: int
) -> None:
    """The environment's proxy is routed by prima's transport, under the budget (the 1.5 s
    pause is waited for): a client given its own transport ignored it and went direct. A
    client of one connection reaches the proxy through a pool as well."""
    took = _check_auth_after_a_pause(sb, 1.5, limit)
    assert [line.split(" ")[0] for line in proxy] == ["GET"]
    assert "/restaurant/list/" in proxy[0] and took >= 1.4
    assert len(sb.requests_log) == 1  # relayed to the platform once


@LIMITS
def test_no_proxy_hosts_are_reached_directly(
    sb: Sandbox, proxy: list[str], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _check_auth_after_a_pause(sb, 0, limit)
    assert proxy == [] and len(sb.requests_log) == 1


def test_a_proxy_that_is_not_http_is_a_configuration_error(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prima_cli.errors import ConfigError

    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", "socks5://user:s3cret@127.0.0.1:1080")
    with pytest.raises(ConfigError) as caught:
        _check_auth_after_a_pause(sb, 0)
    assert "is not an HTTP proxy" in caught.value.message
    assert "s3cret" not in caught.value.message
    assert sb.requests_log == []


@pytest.mark.parametrize(
    "proxy",
    ["http://user:s3cret@127.0.0.1:99999", "http://user:s3cret@127.0.0.1:port", "user:s3cret@[::1"],
)
def test_a_malformed_proxy_is_a_configuration_error(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch, proxy: str
) -> None:
    """A proxy address that does not parse is exit 78, its password masked, nothing sent: it
    was an internal error (ValueError, InvalidURL) that left a create's booking pending for
    the next sync's outbox without naming it, so a rerun booked the guest twice."""
    from prima_cli.errors import ConfigError

    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    with pytest.raises(ConfigError) as caught:
        _check_auth_after_a_pause(sb, 0)
    assert "s3cret" not in caught.value.message and "HTTP_PROXY" in caught.value.hint
    assert sb.requests_log == []
