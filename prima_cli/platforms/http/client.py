"""The shared ``httpx.AsyncClient``: explicit timeouts, a bounded pool, prima's User-Agent."""

from __future__ import annotations

import ssl
from functools import cache

import httpx

from prima_cli import __version__
from prima_cli.platforms.http.budget import PacedTransport
from prima_cli.platforms.http.trace import enable_verbose_logging, route_retry_logs
from prima_cli.platforms.http.transport import NetworkTransport

USER_AGENT = f"prima/{__version__}"


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
    return httpx.AsyncClient(
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
