"""Fault injection: rules that replace or spoil a response, by script or by seeded rate.

Grammar of a fault spec (``--fault SPEC`` on the CLI, :func:`parse_fault` in Python)::

    KIND[:PLATFORM[:PATH[:METHOD]]][:OPTION=VALUE]...

``KIND``
    ``429``        HTTP 429 with a ``Retry-After`` header (platform-shaped JSON body)
    ``500``/``503`` HTTP 500/503 (platform-shaped JSON body)
    ``hang``       no answer for ``seconds``, then the connection is closed
    ``reset``      the connection is reset (RST) without a response
    ``malformed``  HTTP 200 with a truncated, invalid JSON body
    ``html``       an HTML error page (HTTP 502 unless ``status=``)
``PLATFORM``
    ``covermanager``, ``restoo``; empty or ``*`` matches any.
``PATH``
    a substring of the request path, e.g. ``reserv/reserv`` (which also matches
    ``reserv/reserv_force``) or ``/cancel``; empty or ``*`` matches any.
``METHOD``
    ``GET``, ``POST``...; empty or ``*`` matches any.

Options (after the positional fields, any order):
    ``times=N``       fire on the next N matching requests, then retire
    ``rate=P``        fire on each matching request with probability P (0 < P <= 1),
                      drawn from a generator seeded by the sandbox seed: the same requests
                      in the same order fire the same way. With ``times`` too: at most N
                      firings. With neither: every matching request fires.
    ``retry_after=S`` Retry-After seconds (``429``: default 1; ``503``: header only if set)
    ``seconds=S``     ``hang``: how long to stall (default: the config's hang seconds)
    ``status=CODE``   ``html``: the page's HTTP status (e.g. 200 or 502)
    ``method=M``      same as the METHOD field
    ``phase=before|after``
                      ``before``: the request is not processed; ``after``: it is processed
                      (a booking is made) and only the response is replaced. Defaults:
                      ``reset`` and ``malformed`` after, the others before.

Examples::

    reset:covermanager:reserv/reserv:times=1
    429:restoo::retry_after=5:rate=0.2
    hang:*:availability:seconds=3:times=2
    html:restoo:/booking:POST:status=200
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Literal, cast

from prima_cli.sandbox.seed import PLATFORMS

FaultKind = Literal["429", "500", "503", "hang", "reset", "malformed", "html"]
KINDS: tuple[str, ...] = ("429", "500", "503", "hang", "reset", "malformed", "html")
_AFTER_BY_DEFAULT = frozenset({"reset", "malformed"})
_OPTIONS = ("times", "rate", "retry_after", "seconds", "status", "method", "phase")


@dataclass(frozen=True)
class FaultRule:
    """One fault: what it does and which requests it targets (None matches any)."""

    kind: FaultKind
    platform: str | None = None
    path: str | None = None
    method: str | None = None
    times: int | None = None
    rate: float | None = None
    retry_after: int | None = None
    seconds: float | None = None
    status: int | None = None
    phase: Literal["before", "after"] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}"
            )
        if self.platform is not None and self.platform not in PLATFORMS:
            raise ValueError(
                f"unknown platform {self.platform!r}; expected {', '.join(PLATFORMS)} or *"
            )
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be a positive integer, not {self.times}")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise ValueError(f"rate must be in (0, 1], not {self.rate}")
        if self.phase not in (None, "before", "after"):
            raise ValueError(f"phase must be before or after, not {self.phase!r}")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {self.status}")

    @property
    def effective_phase(self) -> str:
        if self.phase:
            return self.phase
        return "after" if self.kind in _AFTER_BY_DEFAULT else "before"

    def matches(self, platform: str | None, path: str, method: str) -> bool:
        return (
            (self.platform is None or self.platform == platform)
            and (self.path is None or self.path in path)
            and (self.method is None or self.method == method.upper())
        )

    def to_spec(self) -> str:
        """The rule in the ``parse_fault`` grammar (round-trips)."""
        parts = [self.kind, self.platform or "*", self.path or "*", self.method or "*"]
        for name in _OPTIONS:
            value = getattr(self, name)
            if name != "method" and value is not None:
                parts.append(f"{name}={value}")
        return ":".join(parts)

    def __str__(self) -> str:
        return self.to_spec()


def parse_fault(spec: str) -> FaultRule:
    """Parse a fault spec (grammar in the module docstring); ValueError says what is wrong."""
    tokens = spec.strip().split(":")
    if not tokens[0]:
        raise ValueError(f"empty fault spec {spec!r}; expected KIND[:PLATFORM[:PATH]][:opt=val]")
    kind, rest = tokens[0].lower(), tokens[1:]
    if kind not in KINDS:
        raise ValueError(
            f"fault {spec!r}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    positional: list[str | None] = []
    options: dict[str, str] = {}
    for token in rest:
        if "=" in token:
            name, _, value = token.partition("=")
            name = name.strip().lower()
            if name not in _OPTIONS:
                known = ", ".join(_OPTIONS)
                raise ValueError(
                    f"fault {spec!r}: unknown option {name!r}; expected one of {known}"
                )
            options[name] = value.strip()
        else:
            if options:
                raise ValueError(f"fault {spec!r}: positional field {token!r} after an option")
            positional.append(None if token.strip() in ("", "*") else token.strip())
    if len(positional) > 3:
        raise ValueError(f"fault {spec!r}: too many fields; expected KIND:PLATFORM:PATH:METHOD")
    platform, path, method = [*positional, None, None, None][:3]
    if "method" in options:
        method = options["method"] or None
    try:
        return FaultRule(
            kind=cast(FaultKind, kind),
            platform=platform.lower() if platform else None,
            path=path,
            method=method.upper() if method else None,
            times=_int(options, "times"),
            rate=_float(options, "rate"),
            retry_after=_int(options, "retry_after"),
            seconds=_float(options, "seconds"),
            status=_int(options, "status"),
            phase=cast(Literal["before", "after"] | None, options.get("phase") or None),
        )
    except ValueError as exc:
        raise ValueError(f"fault {spec!r}: {exc}") from None


def _int(options: dict[str, str], name: str) -> int | None:
    value = _float(options, name)
    if value is not None and value != int(value):
        raise ValueError(f"{name} must be a whole number, not {options[name]!r}")
    return None if value is None else int(value)


def _float(options: dict[str, str], name: str) -> float | None:
    if name not in options:
        return None
    try:
        value = float(options[name])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a number, not {options[name]!r}")
    return value


class _Active:
    def __init__(self, rule: FaultRule, rng: random.Random) -> None:
        self.rule = rule
        self.remaining = rule.times
        self.rng = rng


class FaultInjector:
    """The live rules; :meth:`take` picks (and uses up) the rule for a request."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._active: list[_Active] = []
        self._added = 0

    def add(self, rule: FaultRule | str) -> FaultRule:
        parsed = parse_fault(rule) if isinstance(rule, str) else rule
        with self._lock:
            self._added += 1
            # Each rule draws from its own generator so rules don't perturb each other.
            rng = random.Random(f"{self._seed}:{self._added}:{parsed.to_spec()}")
            self._active.append(_Active(parsed, rng))
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._active.clear()
            self._added = 0

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [a.rule for a in self._active]

    def take(self, platform: str | None, path: str, method: str) -> FaultRule | None:
        """The first live rule that fires for this request, counting it as used."""
        with self._lock:
            for active in list(self._active):
                rule = active.rule
                if not rule.matches(platform, path, method):
                    continue
                if rule.rate is not None and active.rng.random() >= rule.rate:
                    continue
                if active.remaining is not None:
                    active.remaining -= 1
                    if active.remaining <= 0:
                        self._active.remove(active)
                return rule
        return None
