"""Deterministic seed data: the venues on each platform and the keys that reach them.

Slugs, names and time zones are fixed so that docs and demos can name them; keys and
numeric ids come from ``random.Random(seed)``, so the same seed always gives the same
credentials. Keys look realistic but carry a ``_sbx_`` marker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COVERMANAGER = "covermanager"
RESTOO = "restoo"
PLATFORMS = (COVERMANAGER, RESTOO)

# CoverManager rights a key can hold on a restaurant.
RIGHT_READ = "read"  # restaurant/list, availability, get_reservs
RIGHT_BOOK = "book"  # reserv/reserv, reserv/reserv_force
RIGHT_CANCEL = "cancel"  # reserv/cancel_client
ALL_RIGHTS = frozenset({RIGHT_READ, RIGHT_BOOK, RIGHT_CANCEL})

RESTOO_PARTNER = "prima"
SERVICES = (("13:00", "16:00"), ("20:00", "23:00"))  # local opening hours, end exclusive


@dataclass(frozen=True)
class Venue:
    """A restaurant (CoverManager) or account (Restoo) on the simulated platform."""

    platform: str
    slug: str  # CoverManager restaurant slug, or Restoo account
    name: str
    timezone: str
    country: str  # ISO 3166-1 alpha-2
    city: str
    address: str
    phone: str
    postal_code: str
    latitude: str
    longitude: str
    slot_capacity: int
    max_party: int
    services: tuple[tuple[str, str], ...] = SERVICES
    rights: frozenset[str] = ALL_RIGHTS  # CoverManager: what the group key may do here
    booking_status: str = "CONFIRMED"  # Restoo: status of an accepted booking
    waitlist: bool = False  # Restoo: a full slot goes to the waiting list
    id_restaurant: str = ""  # CoverManager numeric id, as a string


@dataclass(frozen=True)
class SeedData:
    seed: int
    cm_key: str
    restoo_partner: str
    restoo_key: str
    venues: tuple[Venue, ...]

    def venue(self, platform: str, slug: str) -> Venue | None:
        return next((v for v in self.venues if v.platform == platform and v.slug == slug), None)

    def of(self, platform: str) -> list[Venue]:
        return [v for v in self.venues if v.platform == platform]

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.cm_key, self.restoo_key)


# (slug, name, timezone, country, city, address, phone, postal code, lat, lon)
_CM_VENUES = (
    ("prima-sbx-madrid", "Casa Prima Madrid", "Europe/Madrid", "ES", "Madrid",
     "Calle de Fuencarral 45", "915550101", "28004", "40.4240", "-3.7010"),
    ("prima-sbx-cdmx", "Prima Roma Norte", "America/Mexico_City", "MX", "Ciudad de México",
     "Calle Orizaba 101", "5555500202", "06700", "19.4180", "-99.1600"),
    ("prima-sbx-london", "Prima Soho", "Europe/London", "GB", "London",
     "21 Greek Street", "2079460303", "W1D 4DR", "51.5140", "-0.1310"),
    ("prima-sbx-valencia", "Prima Ruzafa (read only)", "Europe/Madrid", "ES", "Valencia",
     "Carrer de Sueca 12", "963550404", "46006", "39.4620", "-0.3740"),
)  # fmt: skip
_CM_LIMITED = "prima-sbx-valencia"

# (account, name, timezone, country, city, address, phone, postal code, lat, lon,
#  booking status, waitlist)
_RESTOO_ACCOUNTS = (
    ("prima-sbx-barcelona", "Prima Gràcia", "Europe/Madrid", "ES", "Barcelona",
     "Carrer de Verdi 20", "+34935550505", "08012", "41.4030", "2.1570", "CONFIRMED", False),
    ("prima-sbx-lisboa", "Prima Chiado", "Europe/Lisbon", "PT", "Lisboa",
     "Rua Garrett 50", "+351215550606", "1200-204", "38.7110", "-9.1420", "REQUESTED", False),
    ("prima-sbx-bogota", "Prima Chapinero", "America/Bogota", "CO", "Bogotá",
     "Carrera 7 #60-15", "+576015550707", "110231", "4.6450", "-74.0620", "CONFIRMED", True),
)  # fmt: skip


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def build_seed(seed: int = 0, *, slot_capacity: int = 12, max_party: int = 8) -> SeedData:
    """The venues and keys for ``seed`` (same seed, same output)."""
    rng = random.Random(seed)
    cm_key = "cm_sbx_" + _hex(rng, 24)
    restoo_key = "rst_sbx_" + _hex(rng, 24)
    venues: list[Venue] = []
    for slug, name, tz, country, city, address, phone, postal, lat, lon in _CM_VENUES:
        venues.append(
            Venue(
                COVERMANAGER,
                slug,
                name,
                tz,
                country,
                city,
                address,
                phone,
                postal,
                lat,
                lon,
                slot_capacity=slot_capacity,
                max_party=max_party,
                rights=frozenset({RIGHT_READ}) if slug == _CM_LIMITED else ALL_RIGHTS,
                id_restaurant=str(rng.randrange(1000, 99999)),
            )
        )
    for row in _RESTOO_ACCOUNTS:
        account, name, tz, country, city, address, phone, postal, lat, lon, status, wl = row
        venues.append(
            Venue(
                RESTOO,
                account,
                name,
                tz,
                country,
                city,
                address,
                phone,
                postal,
                lat,
                lon,
                slot_capacity=slot_capacity,
                max_party=max_party,
                booking_status=status,
                waitlist=wl,
            )
        )
    return SeedData(seed, cm_key, RESTOO_PARTNER, restoo_key, tuple(venues))
