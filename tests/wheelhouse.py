"""A wheelhouse re-packed from the distributions installed in this environment, so an installer
(pip under pipx) can resolve a wheel's dependencies with ``--no-index`` and no network.

``pip wheel --no-deps NAME`` cannot rebuild an installed distribution and ``pip download``
needs the network, so each dependency's installed files (its RECORD, less bytecode and
installer bookkeeping) are zipped back into a wheel carrying the installed WHEEL tags. Only
what lives under site-packages is re-packed: pip regenerates console scripts from
entry_points.txt, and no dependency of prima needs files installed outside site-packages.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Iterable
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: installer bookkeeping that a wheel does not carry (RECORD is written anew)
_NOT_IN_A_WHEEL = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def requirements_of_wheel(wheel: Path) -> list[Requirement]:
    """The Requires-Dist lines of a built wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        message = Parser().parsestr(archive.read(name).decode())
    return [Requirement(line) for line in message.get_all("Requires-Dist") or []]


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in ("", *extras))


def installed_closure(requirements: Iterable[Requirement]) -> list[metadata.Distribution]:
    """The installed distributions these requirements (without extras of the root) pull in.

    Raises PackageNotFoundError when one is not installed: the wheelhouse would be incomplete.
    """
    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    pending = [r for r in requirements if _applies(r, ())]
    while pending:
        requirement = pending.pop()
        key = canonicalize_name(requirement.name)
        wanted = set(requirement.extras)
        if key in found and wanted <= extras_seen[key]:
            continue
        dist = found.get(key) or metadata.distribution(requirement.name)
        found[key] = dist
        extras_seen.setdefault(key, set()).update(wanted)
        for line in dist.requires or []:
            sub = Requirement(line)
            if _applies(sub, extras_seen[key]):
                pending.append(sub)
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def _tag(dist: metadata.Distribution) -> str:
    """The compressed tag set of the wheel the distribution was installed from."""
    wheel = Parser().parsestr(dist.read_text("WHEEL") or "")
    tags = [t.split("-") for t in wheel.get_all("Tag") or ["py3-none-any"]]
    return "-".join(".".join(sorted({t[i] for t in tags})) for i in range(3))


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def repack(dist: metadata.Distribution, into: Path) -> Path:
    """Write the installed distribution back as a wheel in ``into``; return its path."""
    root = Path(str(dist.locate_file(""))).resolve()
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    info_dirs = {p.parts[0] for p in dist.files or [] if p.parts[0].endswith(".dist-info")}
    (info_dir,) = info_dirs
    target = into / f"{name}-{dist.version}-{_tag(dist)}.whl"
    record: list[str] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for packed in dist.files or []:
            source = Path(str(dist.locate_file(packed))).resolve()
            if (
                not source.is_relative_to(root) or not source.is_file()
                or "__pycache__" in packed.parts or packed.suffix == ".pyc"
                or (packed.parts[0] == info_dir and packed.name in _NOT_IN_A_WHEEL)
            ):  # fmt: skip
                continue
            arcname = source.relative_to(root).as_posix()
            data = source.read_bytes()
            archive.writestr(arcname, data)
            record.append(_record_line(arcname, data))
        record.append(f"{info_dir}/RECORD,,")
        archive.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    return target


def build_wheelhouse(wheel: Path, into: Path) -> list[Path]:
    """Re-pack every installed dependency of ``wheel`` into ``into``; return the wheels written."""
    into.mkdir(parents=True, exist_ok=True)
    return [repack(dist, into) for dist in installed_closure(requirements_of_wheel(wheel))]
