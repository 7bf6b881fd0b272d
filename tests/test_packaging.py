"""Packaging as operators install it: a wheel builds without warnings, carries an SPDX license
expression, installs offline into an isolated environment whose `prima` runs, and installs with
the real pipx, its dependencies resolved offline from a wheelhouse re-packed from this
environment (tests/wheelhouse.py), in a network namespace where the machine allows one."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.network_namespace import no_network_prefix
from tests.wheelhouse import build_wheelhouse

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


def _pipx_environment(tmp_path: Path, wheelhouse: Path) -> dict[str, str]:
    """pipx's directories under tmp_path, and every pip it starts offline on the wheelhouse."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIPX_COMPLETION_DIR": str(tmp_path / "share"),
        "PIPX_DEFAULT_BACKEND": "pip",
        # the shared pip comes from the interpreter's bundled wheel (ensurepip) instead of a
        # "pip >= 26.1" upgrade that only an index could satisfy
        "PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE": "1",
        # no pip.conf (a machine's index or find-links), no index: the wheelhouse alone
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        # where no network namespace can be made, any HTTP attempt still fails at once
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }


def test_pipx_installs_the_wheel_offline_and_exposes_prima_and_its_man_page(
    wheel: tuple[Path, str], tmp_path: Path
) -> None:
    path, _log = wheel
    wheelhouse = tmp_path / "wheelhouse"
    build_wheelhouse(path, wheelhouse)
    env = _pipx_environment(tmp_path, wheelhouse)
    offline = no_network_prefix()
    pipx = str(Path(sys.executable).parent / "pipx")
    installed = subprocess.run([*offline, pipx, "install", str(path)], capture_output=True,
                               text=True, env=env, cwd=tmp_path, timeout=600)  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr[-3000:]

    bin_dir, man_dir, share = tmp_path / "bin", tmp_path / "man", tmp_path / "share"
    venv = tmp_path / "pipx" / "venvs" / "prima-cli"
    prima = bin_dir / "prima"
    assert prima.resolve().is_relative_to(venv)
    man_page = man_dir / "man1" / "prima.1"
    assert man_page.is_symlink() and man_page.read_text() == (ROOT / "man/prima.1").read_text()
    for completion in ("bash-completion/completions/prima.bash", "zsh/site-functions/_prima",
                       "fish/vendor_completions.d/prima.fish"):  # fmt: skip
        assert (share / completion).resolve().is_relative_to(venv), completion

    # only the pipx environment: no PYTHONPATH, no checkout on the path, no pipx settings
    user = {"PATH": "/usr/bin:/bin", "HOME": env["HOME"], "LANG": "C.UTF-8",
            "PRIMA_DATA_DIR": str(tmp_path / "data")}  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*offline, str(prima), *args], capture_output=True, text=True,
                              env=user, cwd=tmp_path, timeout=120)  # fmt: skip

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("prima 0.1.0"), version
    helped = run("--help")
    assert helped.returncode == 0 and "venues" in helped.stdout, helped
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import prima_cli; print(prima_cli.__file__)"],
        capture_output=True, text=True, env=user, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where  # the wheel's copy, not the checkout
    store = str(tmp_path / "tmp.db")
    migrated = run("--db", store, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    added = run("--db", store, "venues", "add", "Casa Pepe", "--timezone", "Europe/Madrid",
                "--country", "ES")  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = run("--db", store, "venues", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "casa-pepe" in listed.stdout

    removed = subprocess.run([*offline, pipx, "uninstall", "prima-cli"], capture_output=True,
                             text=True, env=env, cwd=tmp_path, timeout=120)  # fmt: skip
    assert removed.returncode == 0, removed.stderr
    assert not prima.is_symlink() and not man_page.is_symlink() and not venv.exists()
