"""Secret masking, in one place.

Every secret value prima resolves is registered here; ``scrub`` replaces any
registered value in a text (URL paths included: CoverManager puts its key there) and
the output layer and the HTTP trace logger pass everything they write through it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping

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
_MIN_SCRUB_LENGTH = 4
#: the password of a URL's userinfo: ``scheme://user:PASSWORD@host``
_USERINFO_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@?#\"']*):[^\s@\"'<>]*@")
#: a password given as a query or connection-string parameter (``?password=...``)
_PASSWORD_PARAMETER = re.compile(r"((?<![A-Za-z0-9_])(?:password|passwd|pwd)=)[^&\s#'\"]*", re.I)

#: what every ``_PASSWORD_PARAMETER`` match holds: a cheap test before the full search
_PASSWORD_NAME_END = re.compile(r"(?:wd|rd)=", re.I)

_lock = threading.Lock()
_secrets: set[str] = set()


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


def register(*values: str | None) -> None:
    """Remember secret values so that ``scrub`` removes them from any text.

    The stripped form too: a key read from a file with CRLF line endings arrives as
    ``KEY\r``, and the adapters send (and errors then quote) the key without it.
    """
    with _lock:
        for value in values:
            for form in (value, value.strip()) if value else ():
                if len(form) >= _MIN_SCRUB_LENGTH:
                    _secrets.add(form)


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def forget_all() -> None:
    """Drop every registered secret (tests)."""
    with _lock:
        _secrets.clear()


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


def scrub(text: str) -> str:
    """Replace every registered secret in ``text`` by its masked form, and mask the
    passwords of the URLs it quotes."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    return mask_url_passwords(text)


def headers(items: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with sensitive values masked (``Authorization: Bearer ****abcd``)."""
    pairs = items.items() if isinstance(items, Mapping) else items
    out: dict[str, str] = {}
    for name, value in pairs:
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, token = value.partition(" ")
            out[name] = f"{scheme} {mask(token)}" if token else mask(value)
        else:
            out[name] = scrub(value)
    return out
