"""Reading a platform's refusal: which of its words mean "no room at that time".

A refusal that means "full" fails over to the venue's next platform; any other refusal
stops the booking. Each adapter declares the wordings its platform uses as
:attr:`~prima_cli.platforms.contract.PlatformAdapter.no_availability_messages`, composed from
the building blocks below; :data:`DEFAULT_NO_AVAILABILITY` is what an adapter gets when it
declares nothing.
"""

from __future__ import annotations

import re

from prima_cli.errors import PlatformNoAvailability, PlatformRejected

#: English wordings of "no availability"
ENGLISH_NO_AVAILABILITY = r"not available|no availability|unavailable|fully booked|\bfull\b"
#: Spanish wordings of "no availability"
SPANISH_NO_AVAILABILITY = (
    r"sin disponibilidad|no disponible|completo|no hay (mesa|sitio|disponibilidad)"
)


def wordings(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``alternatives`` (regular expressions)."""
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


#: what an adapter that declares no wordings of its own recognises
DEFAULT_NO_AVAILABILITY = wordings(ENGLISH_NO_AVAILABILITY)


def rejection(
    platform: str,
    message: str,
    platform_message: str | None,
    *,
    no_availability: re.Pattern[str] = DEFAULT_NO_AVAILABILITY,
    http_status: int | None = None,
    hint: str | None = None,
) -> PlatformRejected:
    """``PlatformNoAvailability`` when the platform's words match ``no_availability``, else
    ``PlatformRejected``; either keeps the platform's message and HTTP status."""
    kind = (
        PlatformNoAvailability
        if platform_message and no_availability.search(platform_message)
        else PlatformRejected
    )
    return kind(
        message,
        platform=platform,
        http_status=http_status,
        platform_message=platform_message,
        hint=hint,
    )
