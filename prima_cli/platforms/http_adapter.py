"""The base class of adapters for HTTP APIs: settings, secrets, requests with retries.

Part of the public adapter SDK (import it from :mod:`prima_cli.platforms`). An adapter that
sends every request through :meth:`HttpPlatformAdapter.send` and maps answers with
:meth:`HttpPlatformAdapter.raise_for_status` gets prima's retry policy, its ambiguous-write
rule, the typed errors and the masked ``--verbose`` trace without writing any of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from prima_cli import redact
from prima_cli.errors import ConfigError, PlatformAmbiguousOutcome, PlatformMalformedResponse
from prima_cli.platforms import http
from prima_cli.platforms.contract import Connection, PlatformAdapter


class HttpPlatformAdapter(PlatformAdapter):
    """An adapter over an HTTP API: configuration access and requests through :mod:`.http`.

    ``retry`` replaces the default :class:`~prima_cli.platforms.http.RetryPolicy`.
    """

    #: body keys that hold the platform's error text, in the order they are read
    message_keys: tuple[str, ...] = ("error", "message")

    def __init__(self, client: httpx.AsyncClient, *, retry: http.RetryPolicy | None = None) -> None:
        super().__init__(client)
        self.retry = retry or http.DEFAULT_RETRY

    def register_secrets(self, connection: Connection) -> None:
        """Register every secret of the connection for scrubbing, before any request.

        :meth:`setting` registers each secret it returns too; call this first when a
        secret reaches a request another way.
        """
        for name in self.secret_fields():
            value = connection.config.get(name)
            if value:
                redact.register(value)

    def setting(self, connection: Connection, name: str) -> str:
        """A configuration value with the declared default; required and empty is an error.

        A secret field's value is registered for scrubbing before it is returned.
        """
        declared = self.field(name)
        value = (connection.config.get(name) or "").strip()
        if not value and declared is not None and declared.default is not None:
            value = declared.default
        if not value and (declared is None or declared.required):
            raise ConfigError(
                f"{self.display_name} connection of venue {connection.venue_slug!r} "
                f"has no {name!r}",
                hint=f"set it with `prima platforms edit {connection.venue_slug} {self.name}`",
            )
        if declared is not None and declared.secret:
            redact.register(connection.config.get(name) or value)
        return value

    def base_url(self, connection: Connection) -> str:
        """The ``base_url`` setting without a trailing slash; not http(s) is a ConfigError."""
        url = self.setting(connection, "base_url").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"{self.display_name} base_url {url!r} is not an http(s) URL",
                hint=f"set it with `prima platforms edit {connection.venue_slug} {self.name}`",
            )
        return url

    async def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        """One logical request with retries (:func:`prima_cli.platforms.http.send`).

        ``idempotent=False`` for anything that changes the platform (create, cancel): such
        a request is retried only when the platform cannot have applied it, and raises
        ``PlatformAmbiguousOutcome`` when it may have.
        """
        return await http.send(
            self.client,
            self,
            method,
            url,
            idempotent=idempotent,
            headers=headers,
            json=json,
            params=params,
            policy=self.retry,
        )

    def raise_for_status(
        self, response: httpx.Response, message_keys: Iterable[str] | None = None
    ) -> None:
        """Map a non-2xx answer to the typed error (refusals read by ``classify_rejection``)."""
        http.raise_for_status(response, self, message_keys=message_keys or self.message_keys)

    def decode_json(self, response: httpx.Response) -> Any:
        """The body as JSON, or ``PlatformMalformedResponse`` with a short excerpt."""
        return http.decode_json(response, self)

    @contextmanager
    def unreadable_write_is_ambiguous(self, what: str) -> Iterator[None]:
        """Inside: a 2xx answer to a write that cannot be understood is ambiguous.

        The platform accepted the request and may have applied it; reporting it as
        merely malformed would let the caller treat a made booking as failed.
        """
        try:
            yield
        except PlatformMalformedResponse as exc:
            raise PlatformAmbiguousOutcome(
                f"{self.display_name} may have applied the {what}, but its answer is "
                f"unreadable: {exc.message}",
                platform=self.name,
                http_status=exc.http_status,
                hint="the outcome is unknown and was not retried; reconcile before trying again",
            ) from exc

    def malformed(self, what: str, body: Any = None) -> PlatformMalformedResponse:
        """The error of an answer without what the contract needs (``what`` says what)."""
        cut = http.excerpt(str(body)) if body is not None else ""
        return PlatformMalformedResponse(
            f"{self.display_name} answered with {what}" + (f": {cut!r}" if cut else ""),
            excerpt=cut,
            platform=self.name,
        )
