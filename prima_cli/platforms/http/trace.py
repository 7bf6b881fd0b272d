"""The ``--verbose`` HTTP trace: every exchange on the ``prima.http`` logger, secrets masked.

Headers are masked by :func:`prima_cli.redact.headers`, URLs and bodies scrubbed by
:func:`prima_cli.redact.scrub`; stamina's retry notices go to the same logger.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import httpx
import stamina.instrumentation

from prima_cli import redact

TRACE_LOGGER = "prima.http"
TRACE_BODY_CHARS = 2000

log = logging.getLogger(TRACE_LOGGER)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test capture included)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _ScrubFilter(logging.Filter):
    """Scrubs registered secrets out of records of a third-party logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact.scrub(record.getMessage())
        record.args = None
        return True


# httpx logs every request URL at INFO; CoverManager URLs carry the key.
logging.getLogger("httpx").addFilter(_ScrubFilter())

_handler: _StderrHandler | None = None


def enable_verbose_logging() -> None:
    """Log every HTTP exchange to stderr through the ``prima.http`` logger."""
    global _handler
    if _handler is None:
        _handler = _StderrHandler()
        log.addHandler(_handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def disable_verbose_logging() -> None:
    """Undo :func:`enable_verbose_logging` (tests)."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
        _handler = None
    log.setLevel(logging.NOTSET)
    log.propagate = True


def route_retry_logs() -> None:
    """Send stamina's retry notices to the trace.

    Its default hook logs a WARNING per retry, which Python's last-resort handler would
    print on an operator's terminal.
    """
    stamina.instrumentation.set_on_retry_hooks([_log_retry])


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    log.debug(
        "retry %d in %.2f s after %s",
        details.retry_num,
        details.wait_for,
        redact.scrub(describe(details.caused_by)),
    )


def _body_text(content: bytes) -> str:
    if not content:
        return ""
    # scrub before truncating, so a cut can never leave part of a secret behind
    text = redact.scrub(content.decode("utf-8", errors="replace"))
    if len(text) > TRACE_BODY_CHARS:
        return f"{text[:TRACE_BODY_CHARS]}... ({len(text) - TRACE_BODY_CHARS} more chars)"
    return text


def trace(
    request: httpx.Request,
    attempt: int,
    elapsed_ms: float,
    response: httpx.Response | None = None,
    error: Exception | None = None,
) -> None:
    """Log one attempt of a request (nothing unless the trace is on)."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    outcome = f"HTTP {response.status_code}" if response is not None else describe(error)
    lines = [
        f"{request.method} {redact.scrub(str(request.url))} -> {outcome} "
        f"({elapsed_ms:.0f} ms, attempt {attempt})",
        f"  > headers {redact.headers(request.headers.multi_items())}",
    ]
    if request.content:
        lines.append(f"  > body {_body_text(request.content)}")
    if response is not None and response.content:
        lines.append(f"  < body {_body_text(response.content)}")
    log.debug("\n".join(lines))


def describe(exc: BaseException | None) -> str:
    """A transport error in words (never quoting a header value)."""
    if exc is None:
        return "no answer"
    kinds: dict[type[BaseException], str] = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "connection pool timeout",
        httpx.ConnectError: "connection failed",
        httpx.RemoteProtocolError: "connection closed by the server",
        httpx.ReadError: "connection reset while reading",
        httpx.WriteError: "connection reset while sending",
    }
    if isinstance(exc, httpx.LocalProtocolError):
        # its text quotes the offending header value, which may be a credential
        return "the request could not be sent: a header or the URL holds a character HTTP forbids"
    kind = kinds.get(type(exc))
    detail = str(exc)
    if kind is None:
        return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"{kind} ({detail})" if detail else kind
