"""The adapter SDK's version and the entry point groups adapters register in.

``SDK_VERSION`` is ``MAJOR.MINOR``. A minor release only adds (a hook with a default, a
helper, a value type field with a default): an adapter written for 1.0 works unchanged on
1.x. A major release may break adapters; it comes with a new entry point group
(``prima.platforms.v2``), and prima keeps loading the previous group for at least one major
release, as httpie does with its versioned plugin groups. An adapter declares the version
whose features it uses in ``PlatformAdapter.sdk_version``.
"""

from __future__ import annotations

#: the version of the public adapter SDK this prima provides
SDK_VERSION = "1.1"
#: the entry point group of adapters written for this major version
ENTRY_POINT_GROUP = "prima.platforms.v1"
#: the group of adapters registered before the SDK was versioned (read as SDK 1.0)
LEGACY_ENTRY_POINT_GROUP = "prima.platforms"
#: groups read, the newest first: a type registered in two groups loads from the first
ENTRY_POINT_GROUPS = (ENTRY_POINT_GROUP, LEGACY_ENTRY_POINT_GROUP)


def parse_version(text: str) -> tuple[int, int]:
    """``"1.2"`` as ``(1, 2)``; ``"1"`` is ``(1, 0)``. ``ValueError`` for anything else."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"SDK version {text!r} is not MAJOR.MINOR")
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else 0


def incompatibility(declared: str, provided: str = SDK_VERSION) -> str | None:
    """Why an adapter declaring ``sdk_version = declared`` cannot load, or ``None``."""
    try:
        wanted = parse_version(declared)
    except ValueError as exc:
        return str(exc)
    have = parse_version(provided)
    if wanted[0] != have[0]:
        return f"it is written for SDK {declared}; this prima provides SDK {provided}"
    if wanted[1] > have[1]:
        return f"it needs SDK {declared}; this prima provides SDK {provided} (upgrade prima)"
    return None
