"""Secrets kept where they belong: ``file:`` and ``keyring:`` references read when used, a
secret stored in the database only when the operator asks, and `doctor` naming those that
are. Through the real executable under a cron-like environment where it matters."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.cron import cron_run
from tests.integration.test_unattended import SYNC
from tests.keyring_backends import MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]


def add_cm(cli: CLI, sb: Sandbox, key: str, *extra: str, **kw: object) -> object:
    creds = sb.credentials().covermanager
    return cli("platforms", "add", "madrid", "covermanager", "--set",
               "restaurant_id=prima-sbx-madrid", "--set", f"api_key={key}", "--set",
               f"base_url={creds.base_url}", *extra, **kw)  # fmt: skip


def key_file(tmp_path: Path, value: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets" / "cm.key"
    path.parent.mkdir(exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(mode)
    return path


def test_a_file_reference_is_read_when_used_and_refused_when_others_can_read_it(
    venues: CLI, sandbox: Sandbox, tmp_path: Path
) -> None:
    real = sandbox.credentials().covermanager.api_key
    path = key_file(tmp_path, real)
    added = add_cm(venues, sandbox, f"file:{path}", "--json")
    assert added.exit_code == 0, added.stderr  # type: ignore[attr-defined]
    assert added.json()["configuration"]["api_key"] == f"file:{path}"  # type: ignore[attr-defined]
    assert cron_run(*SYNC).returncode == 0  # no variable needed: the file is read at use
    path.chmod(0o640)
    proc = cron_run(*SYNC)
    assert proc.returncode == 78 and real not in proc.stderr
    assert "group or others can access (mode 0640)" in proc.stderr
    assert f"`chmod 600 {path}`" in proc.stderr
    doctor = cron_run("doctor", "--json")
    assert doctor.returncode == 78
    [item] = json.loads(doctor.stdout)["unresolved_secrets"]
    assert "mode 0640" in item["problems"][0]
    path.chmod(0o600)
    path.write_text("another-key-from-the-file\n")  # read at use: a rotated key is seen at once
    assert cron_run(*SYNC).returncode == 5
    path.unlink()
    gone = cron_run(*SYNC)
    assert gone.returncode == 78 and "cannot be read" in gone.stderr
    relative = venues("platforms", "edit", "madrid", "covermanager", "--set", "api_key=file:cm.key")
    assert relative.exit_code == 2 and "absolute path" in relative.stderr


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_a_keyring_reference_in_process(
    venues: CLI, sandbox: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    real = sandbox.credentials().covermanager.api_key
    missing = add_cm(venues, sandbox, "keyring:prima/madrid-cm")
    assert missing.exit_code == 78  # type: ignore[attr-defined]
    assert "keyring entry prima/madrid-cm, which does not exist" in missing.stderr  # type: ignore[attr-defined]
    assert venues.ok("platforms", "list", "--json").json() == []
    memory_keyring.set_password("prima", "madrid-cm", real)
    assert add_cm(venues, sandbox, "keyring:prima/madrid-cm").exit_code == 0  # type: ignore[attr-defined]
    run = venues("platforms", "sync", "--days", "1", "--json")
    assert run.exit_code == 0 and real not in run.stdout + run.stderr
    bad = venues("platforms", "edit", "madrid", "covermanager", "--set", "api_key=keyring:prima")
    assert bad.exit_code == 2 and "keyring:SERVICE/NAME" in bad.stderr


def test_a_keyring_reference_from_cron_and_without_a_backend_or_the_package(
    venues: CLI, sandbox: Sandbox, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.set_password("prima", "madrid-cm", sandbox.credentials().covermanager.api_key)
    assert add_cm(venues, sandbox, "keyring:prima/madrid-cm").exit_code == 0  # type: ignore[attr-defined]
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({"prima/madrid-cm": sandbox.credentials().covermanager.api_key}))
    backend = {"PYTHONPATH": str(ROOT), "PRIMA_TEST_KEYRING_FILE": str(store)}
    ok = cron_run(*SYNC, PYTHON_KEYRING_BACKEND="tests.keyring_backends.FileKeyring", **backend)
    assert (ok.returncode, ok.stderr) == (0, "")
    none = cron_run(*SYNC, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **backend)
    assert none.returncode == 78 and "keyring, which cannot be used here" in none.stderr
    no_package = tmp_path / "no_keyring"
    (no_package / "keyring").mkdir(parents=True)
    (no_package / "keyring" / "__init__.py").write_text("raise ImportError('not installed')\n")
    bare = cron_run(*SYNC, PYTHONPATH=f"{no_package}{os.pathsep}{ROOT}")
    assert bare.returncode == 78 and "pip install 'prima-cli[keyring]'" in bare.stderr


def test_a_secret_is_stored_only_when_the_operator_asks(venues: CLI, sandbox: Sandbox) -> None:
    real = sandbox.credentials().covermanager.api_key
    refused = add_cm(venues, sandbox, real, "--no-test")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    text = refused.stderr  # type: ignore[attr-defined]
    assert "would be stored in the database in clear" in text and real not in text
    assert "env:NAME, file:/path or keyring:service/name" in text
    from_stdin = add_cm(venues, sandbox, "-", "--no-test", input=real)
    assert from_stdin.exit_code == 2 and "--store-secret" in from_stdin.stderr  # type: ignore[attr-defined]
    assert venues.ok("platforms", "list", "--json").json() == []
    stored = add_cm(venues, sandbox, "-", "--store-secret", "--no-test", input=real)
    assert stored.exit_code == 0, stored.stderr  # type: ignore[attr-defined]
    venues.ok("platforms", "add", "lisboa", "restoo", "--set", "account=prima-sbx-lisboa",
              "--set", "api_key=env:RESTOO_KEY", "--set", "base_url=http://127.0.0.1:1",
              "--no-test")  # fmt: skip
    doctor = cron_run("doctor", "--json", RESTOO_KEY="set")
    report = json.loads(doctor.stdout)
    assert report["literal_secrets"] == [
        {"venue": "madrid", "platform_type": "covermanager", "keys": ["api_key"]}
    ]
    assert real not in doctor.stdout
    text_report = cron_run("doctor", RESTOO_KEY="set").stdout
    assert "literal secret madrid/covermanager\tapi_key" in text_report
    venues.ok("platforms", "edit", "madrid", "covermanager", "--set", "api_key=env:CM_KEY")
    again = json.loads(cron_run("doctor", "--json", RESTOO_KEY="x", CM_KEY="y").stdout)
    assert again["literal_secrets"] == []
