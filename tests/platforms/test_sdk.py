"""The public adapter SDK: what prima_cli.platforms exports, its version policy, the
platform rules behind contract hooks, and the layering and size rules it keeps."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import prima_cli.platforms as platforms
from prima_cli.errors import PlatformNoAvailability, PlatformRejected
from prima_cli.platforms import sdk, versioning
from prima_cli.platforms.covermanager import CoverManagerAdapter
from prima_cli.platforms.restoo import RestooAdapter
from tests.plugin_sample.prima_tapas import TapasAdapter

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "prima_cli"


def test_the_package_exports_the_sdk() -> None:
    assert platforms.__all__ == sdk.__all__
    for name in platforms.__all__:
        assert getattr(platforms, name) is getattr(sdk, name), name
    assert platforms.SDK_VERSION == "1.1"
    assert platforms.HttpPlatformAdapter.__module__ == "prima_cli.platforms.http_adapter"
    assert issubclass(platforms.HttpPlatformAdapter, platforms.PlatformAdapter)
    assert platforms.PlatformAmbiguousOutcome.__module__ == "prima_cli.errors"
    assert not any(name.startswith("_") for name in platforms.__all__)


def test_importing_the_registry_imports_no_http_stack() -> None:
    code = (
        "import sys, json\n"
        "from prima_cli.platforms import registry, SDK_VERSION\n"
        "registry.type_names()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('httpx', 'stamina', "
        "'prima_cli.platforms.sdk', 'prima_cli.platforms.covermanager')))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(
    ("declared", "why"),
    [
        ("1.0", None),
        ("1", None),
        ("1.1", "needs SDK 1.1"),
        ("2.0", "written for SDK 2.0"),
        ("0.9", "written for SDK 0.9"),
        ("one", "not MAJOR.MINOR"),
    ],
)
def test_sdk_version_compatibility(declared: str, why: str | None) -> None:
    found = versioning.incompatibility(declared, "1.0")
    assert (found is None) if why is None else (found is not None and why in found)


def test_builtins_register_in_the_versioned_group() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = project["entry-points"]
    assert set(groups[versioning.ENTRY_POINT_GROUP]) == {"covermanager", "restoo"}
    assert versioning.LEGACY_ENTRY_POINT_GROUP not in groups
    assert f"prima.platforms.v{versioning.SDK_VERSION[0]}" == versioning.ENTRY_POINT_GROUP


def test_the_package_ships_its_types() -> None:
    assert (PACKAGE / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "py.typed" in data["package-data"]["prima_cli"]


@pytest.mark.parametrize(
    ("adapter", "words", "full"),
    [
        (CoverManagerAdapter, "No hay disponibilidad para esa hora", True),
        (CoverManagerAdapter, "Restaurant fully booked", True),
        (RestooAdapter, "Sin disponibilidad", True),
        (RestooAdapter, "no availability at 20:00", True),
        (RestooAdapter, "email no válido", False),
        (TapasAdapter, "fully booked at that time", True),
        (TapasAdapter, "completo", False),  # the default knows English wordings only
    ],
)
def test_each_adapter_reads_its_own_refusals(adapter: type, words: str, full: bool) -> None:
    error = adapter.classify_rejection("refused", words, http_status=409)
    assert type(error) is (PlatformNoAvailability if full else PlatformRejected)
    assert (error.platform, error.http_status, error.platform_message) == (
        adapter.name,
        409,
        words,
    )


def test_a_platform_with_refusal_codes_overrides_the_hook() -> None:
    class Coded(TapasAdapter):
        no_availability_messages = re.compile(r"^E_FULL$")

    assert isinstance(Coded.classify_rejection("r", "E_FULL"), PlatformNoAvailability)
    assert type(Coded.classify_rejection("r", "fully booked")) is PlatformRejected


def test_core_imports_no_specific_platform() -> None:
    pattern = re.compile(
        r"prima_cli\.platforms\.(covermanager|restoo)|platforms import (covermanager|restoo)"
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_no_platform_rule_in_the_shared_errors() -> None:
    text = (PACKAGE / "errors.py").read_text()
    assert "disponib" not in text and "def rejection" not in text


@pytest.mark.parametrize("folder", ["platforms", "testing"])
def test_sdk_modules_stay_small(folder: str) -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
        for path in (PACKAGE / folder).rglob("*.py")
    }
    assert {name: size for name, size in sizes.items() if size > 500} == {}
