"""Secret masking, in one place.

Every secret value prima resolves is registered here; ``scrub`` replaces any
registered value in a text (URL paths included: CoverManager puts its key there) and
the output layer and the HTTP trace logger pass everything they write through it.

Outputs are scrubbed after they are encoded (a JSON document, a CSV line, a URL, a
``repr`` in a message), and encoding changes a secret holding ``"``, ``\\``, ``/`` or
non-ASCII text; so each secret is registered in every such encoded form, each replaced by
``****`` and the same encoding of the characters the mask shows (the replacement stays valid
where it lands: the stars need no escaping in any of them).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, quote_plus

MASK = "****"
#: how a password inside a URL is shown (database URLs, a platform's base_url)
URL_PASSWORD_MASK = "***"
#: header names whose values are always masked, whatever they hold
SENSITIVE_HEADERS = frozenset(
    {"authorization", "apikey", "api-key", "x-api-key", "proxy-authorization", "cookie"}
)
#: body/configuration keys whose values are always masked
SENSITIVE_KEYS = frozenset(
    {"api_key", "apikey", "apiKey", "token", "password", "secret", "authorization"}
)
#: the schemes an Authorization-style value may start with (RFC 9110 and the common ones):
#: only these are shown; a value without one is a bare key, and its first word is part of it
AUTH_SCHEMES = frozenset({"basic", "bearer", "digest", "token", "apikey", "key", "negotiate"})
_MIN_SCRUB_LENGTH = 4
#: the password of a URL's userinfo: ``scheme://user:PASSWORD@host``
#: (up to the authority's last "@": a password may hold one unencoded; else up to the first)
_USERINFO_PASSWORD = re.compile(
    r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@?#\"']*):(?:[^\s/\"'<>]*@|[^\s@\"'<>]*@)"
)
#: a password given as a query or connection-string parameter (``?password=...``)
_PASSWORD_PARAMETER = re.compile(r"((?<![A-Za-z0-9_])(?:password|passwd|pwd)=)[^&\s#'\"]*", re.I)

#: what every ``_PASSWORD_PARAMETER`` match holds: a cheap test before the full search
_PASSWORD_NAME_END = re.compile(r"(?:wd|rd)=", re.I)

_lock = threading.Lock()
#: every registered form of every secret -> what replaces it
_secrets: dict[str, str] = {}
#: longest first, so a secret holding another is replaced whole; rebuilt on register
_ordered: tuple[tuple[str, str], ...] = ()


def mask(value: str | None) -> str:
    """Masked form of a secret: only the last 4 characters, and only for long values.

    Secrets shorter than 8 characters are masked entirely, since their last four
    would give away half of them.
    """
    if not value:
        return ""
    if len(value) < 8:
        return MASK
    return MASK + value[-4:]


def _json_string(value: str, *, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)[1:-1]


#: the encodings a secret passes through before an output is scrubbed
_ENCODINGS: tuple[Callable[[str], str], ...] = (
    lambda v: v,
    lambda v: _json_string(v, ascii_only=False),  # JSON documents, JSON log lines
    lambda v: _json_string(v, ascii_only=True),
    lambda v: v.replace('"', '""'),  # a quoted CSV cell
    lambda v: repr(v)[1:-1],  # a message quoting it with !r
    lambda v: quote(v, safe=""),  # a URL path segment (CoverManager's key)
    lambda v: quote(v),
    lambda v: quote_plus(v),  # a query or form value
)


def register(*values: str | None) -> None:
    """Remember secret values so that ``scrub`` removes them from any text.

    The stripped form too: a key read from a file with CRLF line endings arrives as
    ``KEY\r``, and the adapters send (and errors then quote) the key without it. Each
    form is remembered encoded as JSON, CSV, ``repr`` and URLs encode it.
    """
    global _ordered
    with _lock:
        known = len(_secrets)
        for value in values:
            for form in {value, value.strip()} if value else ():
                # adapters register a key on every request: a known one costs one lookup
                if len(form) < _MIN_SCRUB_LENGTH or form in _secrets:
                    continue
                shown = mask(form)[len(MASK) :]  # the last 4 characters, if any are shown
                for encode in _ENCODINGS:
                    try:
                        _secrets.setdefault(encode(form), MASK + encode(shown))
                    except UnicodeEncodeError:  # bytes that are not UTF-8 (read as lone
                        continue  # surrogates) have no URL form: nothing sends them so
        if len(_secrets) != known:
            _ordered = tuple(sorted(_secrets.items(), key=lambda item: len(item[0]), reverse=True))


def registered() -> frozenset[str]:
    """Every registered form of every secret."""
    with _lock:
        return frozenset(_secrets)


def forget_all() -> None:
    """Drop every registered secret (tests)."""
    global _ordered
    with _lock:
        _secrets.clear()
        _ordered = ()


def mask_url_passwords(text: str) -> str:
    """``text`` with every password inside a URL shown as ``***``: the userinfo's
    (``https://user:***@host``) and ``password=`` parameters (``?password=***``)."""
    # the patterns are searched only in texts that hold what each needs: on a listing of
    # thousands of bookings (e-mail addresses hold "@") they cost more than the query
    if "@" in text and "://" in text:
        text = _USERINFO_PASSWORD.sub(rf"\1:{URL_PASSWORD_MASK}@", text)
    if "=" in text and _PASSWORD_NAME_END.search(text):
        text = _PASSWORD_PARAMETER.sub(rf"\g<1>{URL_PASSWORD_MASK}", text)
    return text


#: query parameters that hold a password (``?password=...``; libpq and PyMySQL names)
_PASSWORD_KEYS = frozenset({"password", "passwd", "pwd"})


def mask_url(url: str) -> str:
    """A URL (a whole value: a database URL, a platform's ``base_url``) with its password
    shown as ``***``, in its userinfo and its ``password=`` parameters.

    Read as a URL, not searched as a text: :func:`mask_url_passwords` ends a password at
    a quote (one ends a URL quoted in a text), so a password holding one, as an operator
    may type it unencoded, would show whole. The rest is kept byte for byte.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:  # not parsable as a URL: the pattern masks what it can
        return mask_url_passwords(url)
    start = len(parts.scheme) + 3  # the authority follows "scheme://" verbatim
    userinfo, at, host = parts.netloc.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if parts.scheme and at and colon and url[start:].startswith(parts.netloc):
        url = url[:start] + f"{user}:{URL_PASSWORD_MASK}@{host}" + url[start + len(parts.netloc) :]
    if parts.query:
        query = "&".join(
            f"{name}={URL_PASSWORD_MASK}" if sep and name.lower() in _PASSWORD_KEYS else pair
            for pair in parts.query.split("&")
            for name, sep, _ in [pair.partition("=")]
        )
        url = url.replace("?" + parts.query, "?" + query, 1)
    return mask_url_passwords(url)


def scrub(text: str) -> str:
    """Replace every registered secret in ``text`` by its masked form, and mask the
    passwords of the URLs it quotes."""
    if not text:
        return text
    for secret, masked in _ordered:  # a tuple swapped whole by register: no lock needed
        if secret in text:
            text = text.replace(secret, masked)
    return mask_url_passwords(text)


def headers(items: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with sensitive values masked (``Authorization: Bearer ****abcd``).

    A sensitive value's first word is kept only when it is a known auth scheme: a bare key
    (CoverManager's ``apikey``) may hold a space, and its first word is then secret too.
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    out: dict[str, str] = {}
    for name, value in pairs:
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, token = value.partition(" ")
            known = token and scheme.lower() in AUTH_SCHEMES
            out[name] = f"{scheme} {mask(token)}" if known else mask(value)
        else:
            out[name] = scrub(value)
    return out
