"""The described platform on a real HTTP server on the loopback interface.

For end-to-end tests through the ``prima`` executable, which runs in another process and
cannot share an ``httpx.MockTransport``: ``with StubServer(endpoints) as server`` serves
each :class:`~prima_cli.testing.stub.Endpoint`'s ``ok`` reply at ``server.base_url``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from prima_cli.testing.stub import Endpoint, Reply


class StubServer:
    """A threaded HTTP server on ``127.0.0.1`` answering from endpoint descriptions."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self.endpoints = {e.name: e for e in endpoints}
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str, str, bytes]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def requests(self, name: str | None = None) -> list[tuple[str, str, bytes]]:
        """(method, path, body) of the requests received, all or endpoint ``name``'s."""
        with self._lock:
            return [(m, p, b) for n, m, p, b in self._requests if name is None or n == name]

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _reply(self, method: str, target: str, body: bytes) -> Reply:
        path = urlsplit(target).path
        name = next((n for n, e in self.endpoints.items() if e.matches(method, path)), "")
        with self._lock:
            self._requests.append((name, method, path, body))
        if not name:
            return Reply(404, json={"error": "no such endpoint in the stub"})
        return self.endpoints[name].ok

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = server._reply(self.command, self.path, body)
                content = reply.body()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type())
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass  # requests are recorded, not printed

        return Handler
