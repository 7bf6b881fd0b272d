"""The shared ``httpx.AsyncClient``: explicit timeouts, a bounded pool, prima's User-Agent."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import time
from functools import cache
from typing import Any

import httpx

from prima_cli import __version__
from prima_cli.platforms.http.budget import PacedTransport
from prima_cli.platforms.http.trace import enable_verbose_logging, route_retry_logs
from prima_cli.platforms.http.transport import NetworkTransport

USER_AGENT = f"prima/{__version__}"

#: httpx's own logger, which names every exchange at INFO (as httpx's ``send`` does)
_httpx_log = logging.getLogger("httpx")


class Client(httpx.AsyncClient):
    """prima's ``httpx.AsyncClient``: a plain request goes straight to the paced transport.

    httpx's ``send`` runs each request through its auth, redirect and cookie layers and
    reads the answer through stream wrappers; a prima client has no auth, follows no
    redirect and keeps no cookie (platform APIs authenticate each request by its key), and
    its network transport hands back the body already read. So :meth:`send` skips those
    layers when they have nothing to do, and uses httpx's own path otherwise (an ``auth``,
    userinfo in the URL, event hooks, ``follow_redirects``, a streamed answer).
    """

    def __init__(self, *, transport: PacedTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self.paced = transport

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        """httpx's ``send``; without auth, redirects, hooks or streaming, more cheaply."""
        if (
            stream
            or auth is not httpx.USE_CLIENT_DEFAULT
            or follow_redirects is not httpx.USE_CLIENT_DEFAULT
            or self.auth is not None
            or self.follow_redirects
            or self.is_closed
            or request.url.userinfo
            or self.event_hooks["request"]
            or self.event_hooks["response"]
        ):
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        if "timeout" not in request.extensions:
            request.extensions["timeout"] = self.timeout.as_dict()
        started = time.perf_counter()
        try:
            response = await self.paced.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's send sets it on a transport's own errors
            raise
        response.request = request
        try:
            if isinstance(response.stream, httpx.ByteStream):  # the network transport's
                response.read()
            else:  # another transport's (a mock's) stream
                await response.aread()
        finally:
            await response.aclose()
        response.elapsed = dt.timedelta(seconds=time.perf_counter() - started)
        if _httpx_log.isEnabledFor(logging.INFO):
            _httpx_log.info(
                'HTTP Request: %s %s "%s %d %s"', request.method, request.url,
                response.http_version, response.status_code, response.reason_phrase,
            )  # fmt: skip
        return response


def build_client(
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    max_connections: int = 20,
    max_keepalive_connections: int = 10,
    verbose: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The shared client: explicit timeouts, bounded pool, prima's User-Agent.

    ``verbose`` turns on the ``prima.http`` trace on stderr (see
    :func:`~prima_cli.platforms.http.enable_verbose_logging`). Redirects are not followed: a
    platform API that redirects means a wrong ``base_url``, reported as such. ``transport``
    replaces the network (the conformance kit passes an ``httpx.MockTransport``); either way
    requests spend their credential's budget (:class:`~.budget.PacedTransport`).
    """
    route_retry_logs()
    if verbose:
        enable_verbose_logging()
    timeout = httpx.Timeout(
        connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
    )
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_keepalive_connections,
        keepalive_expiry=30.0,
    )
    network = transport or _network(limits)
    return Client(
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        transport=PacedTransport(network),
        follow_redirects=False,
        verify=_tls_context(),
        # the environment's proxies are the network transport's to route (NetworkTransport)
        trust_env=False,
    )


def _network(limits: httpx.Limits) -> NetworkTransport:
    return NetworkTransport(_tls_context(), limits)


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle is costly in CPU and a sync opens one client per worker, so they
    # share one context (it honours SSL_CERT_FILE / SSL_CERT_DIR like httpx's own).
    return httpx.create_ssl_context()
