"""The network transport of every client: httpcore's connection pool on prima's network.

httpx's own transport builds its pool on httpcore's default network (anyio streams), and a
client given a transport of its own ignores the proxies the environment names. This
transport builds its pools with httpcore's public API on :class:`.network.AsyncioBackend`,
and routes a request to the proxy the environment names for it (``HTTPS_PROXY``,
``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, read as urllib reads them) itself, under the
budget (:class:`.budget.PacedTransport` wraps this one): an operator behind a proxy gets
it, and every request, proxied or not, is paced. A transport limited to one connection
(each of a sync's workers, a monitoring probe) reaches hosts directly through
:class:`.one_connection.OneConnection`, without a pool's bookkeeping for many connections.

httpcore's errors become httpx's of the same name, as httpx's own transport maps them: the
retry rules (:mod:`.retry`) read them to tell "not sent" from "may have been applied".
"""

from __future__ import annotations

import ssl
import urllib.request

import httpcore
import httpx

from prima_cli.errors import ConfigError
from prima_cli.platforms.http.network import AsyncioBackend
from prima_cli.platforms.http.one_connection import OneConnection
from prima_cli.redact import mask_url_passwords

#: httpcore's error -> httpx's, the most specific first
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)
#: proxy schemes httpcore speaks without extras
_PROXY_SCHEMES = ("http", "https")


def _as_httpx(exc: Exception, request: httpx.Request) -> httpx.TransportError | None:
    """httpx's error for httpcore's ``exc`` (None: not one of httpcore's)."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc), request=request)
    return None


#: where a request goes: a pool, or a transport's one direct connection
Route = httpcore.AsyncConnectionPool | OneConnection


class NetworkTransport(httpx.AsyncBaseTransport):
    """Kept-alive connections on :class:`AsyncioBackend`: direct ones (a pool, or one
    connection when ``limits`` allow one), and a pool per proxy the environment names
    (opened when first used)."""

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self.ssl_context = ssl_context
        self.limits = limits
        self.backend = AsyncioBackend()  # holds no state: every pool shares it
        self.direct: Route = (
            OneConnection(ssl_context, limits.keepalive_expiry, self.backend)
            if limits.max_connections == 1 and limits.max_keepalive_connections != 0
            else self._pool(None)
        )
        self._proxied: dict[str, httpcore.AsyncConnectionPool] = {}
        self._proxies = {
            scheme: url
            for scheme, url in urllib.request.getproxies().items()
            if scheme in ("http", "https", "all") and url
        }

    def _pool(self, proxy: httpcore.Proxy | None) -> httpcore.AsyncConnectionPool:
        return httpcore.AsyncConnectionPool(
            ssl_context=self.ssl_context,
            proxy=proxy,
            max_connections=self.limits.max_connections,
            max_keepalive_connections=self.limits.max_keepalive_connections,
            keepalive_expiry=self.limits.keepalive_expiry,
            network_backend=self.backend,
        )

    def proxy_for(self, url: httpx.URL) -> str | None:
        """The proxy the environment names for ``url``, or None (direct)."""
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if proxy is None or urllib.request.proxy_bypass(url.host):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def pool_for(self, url: httpx.URL) -> Route:
        proxy = self.proxy_for(url)
        if proxy is None:
            return self.direct
        pool = self._proxied.get(proxy)
        if pool is None:
            pool = self._proxied[proxy] = self._pool(_proxy(proxy))
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The answer to ``request``, its body read: prima reads every answer whole, and one
        read here spares the stream wrappers httpx and httpcore would add around each part."""
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        try:
            answer, body = await _exchange(self.pool_for(url), core)
        except Exception as exc:
            mapped = _as_httpx(exc, request)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=httpx.ByteStream(body),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        for pool in (self.direct, *self._proxied.values()):
            await pool.aclose()


async def _exchange(route: Route, request: httpcore.Request) -> tuple[httpcore.Response, bytes]:
    """The answer to ``request`` on ``route`` and its whole body, the answer closed."""
    if isinstance(route, OneConnection):
        return await route.exchange(request)
    answer = await route.handle_async_request(request)
    try:
        body = b"".join([part async for part in answer.stream])  # type: ignore[union-attr]
    finally:
        await answer.aclose()
    return answer, body


def _proxy(address: str) -> httpcore.Proxy:
    """An httpcore proxy for ``address``; its userinfo becomes the proxy's credentials."""
    try:
        url = httpx.URL(address)
        if url.scheme not in _PROXY_SCHEMES:
            raise _not_a_proxy(address, "is not an HTTP proxy")
        auth = (url.username, url.password) if url.username else None
        bare = httpx.URL(scheme=url.scheme, host=url.host, port=url.port)  # no userinfo
        return httpcore.Proxy(str(bare), auth=auth)
    except (httpx.InvalidURL, ValueError):  # a bad port, an unclosed IPv6 bracket
        # a ConfigError, not an internal error: a create then records the failure instead of
        # leaving its booking for the next sync while the operator runs it again
        raise _not_a_proxy(address, "is not a URL") from None


def _not_a_proxy(address: str, what: str) -> ConfigError:
    return ConfigError(
        f"the proxy {mask_url_passwords(address)} named by the environment {what}",
        hint="give HTTPS_PROXY / HTTP_PROXY an http:// or https:// proxy, or leave them "
        "unset (NO_PROXY lists hosts reached directly)",
    )
