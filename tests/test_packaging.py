"""Packaging as operators install it: a wheel builds without warnings, carries an SPDX license
expression, and installs offline into an isolated environment whose `prima` runs."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = out.glob("prima_cli-*.whl")
    return found, built.stdout + built.stderr


def test_the_wheel_builds_without_warnings(wheel: tuple[Path, str]) -> None:
    _path, log = wheel
    warnings = [
        line for line in log.splitlines()
        if "warning" in line.lower() and "Location 'file:" not in line  # pip's index config
    ]  # fmt: skip
    assert warnings == []


def test_the_wheel_has_an_spdx_license_expression(wheel: tuple[Path, str]) -> None:
    path, _log = wheel
    with zipfile.ZipFile(path) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    assert "License-Expression: LicenseRef-Proprietary" in text
    assert "\nLicense: " not in text


def test_the_wheel_ships_completions_and_the_man_page(wheel: tuple[Path, str]) -> None:
    path, _log = wheel
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        data = {n.split(".data/data/", 1)[1]: n for n in names if ".data/data/" in n}
        assert set(data) == {
            "share/bash-completion/completions/prima.bash",
            "share/zsh/site-functions/_prima",
            "share/fish/vendor_completions.d/prima.fish",
            "share/man/man1/prima.1",
        }
        for shipped, source in (("share/zsh/site-functions/_prima", "completions/_prima"),
                                ("share/man/man1/prima.1", "man/prima.1")):  # fmt: skip
            assert archive.read(data[shipped]).decode() == (ROOT / source).read_text()


def test_the_wheel_installs_offline_and_runs(wheel: tuple[Path, str], tmp_path: Path) -> None:
    path, _log = wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--no-deps", str(path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # dependencies from this environment, as pipx would have fetched them (no network here)
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.check_output([str(python), "-c", code], text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {"PATH": "/usr/bin:/bin", "PRIMA_DATA_DIR": str(tmp_path / "data")}
    ran = subprocess.run([str(venv / "bin" / "prima"), "--version"], capture_output=True,
                         text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0 and ran.stdout.startswith("prima"), ran.stderr
    where = subprocess.run(
        [str(python), "-c", "import prima_cli; print(prima_cli.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel's copy, not the checkout
    migrated = subprocess.run([str(venv / "bin" / "prima"), "db", "migrate"], capture_output=True,
                              text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    assert (venv / "share" / "man" / "man1" / "prima.1").exists()
    assert (venv / "share" / "bash-completion" / "completions" / "prima.bash").exists()
