"""The HTTP layer: a ``ThreadingHTTPServer`` that hands each request to the app.

HTTP/1.1 with keep-alive (clients pool connections). Open connections are tracked so
that stopping the server also wakes threads waiting on idle keep-alive sockets.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prima_cli.sandbox.app import SandboxApp
from prima_cli.sandbox.wire import Request


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when a sync opens dozens at
    # once (clients then stall on SYN retransmits); real platforms accept far more
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open client connection (their threads then exit)."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: SandboxHTTPServer

    def version_string(self) -> str:
        return "prima-sandbox"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the app keeps its own request log

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        outcome = self.server.app.handle(request)
        if outcome.response is None:
            self._drop(outcome.drop or "close")
            return
        response = outcome.response
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _drop(self, how: str) -> None:
        """Close without answering; ``reset`` sends a TCP RST instead of a FIN."""
        self.close_connection = True
        try:
            if how == "reset":
                # linger on with a zero timeout: close() aborts the connection with RST
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
        except OSError:
            pass
