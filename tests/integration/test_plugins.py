"""A third platform registered by another package through the `prima.platforms` entry point
group shows up in `platforms types`, `platforms add` and `platforms test`; a broken plugin
is reported without breaking the others."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_prima

ADAPTER = textwrap.dedent('''
    """A toy platform: one class plus one entry point line."""
    import httpx

    from prima_cli.errors import PlatformAuthError
    from prima_cli.platforms.contract import AuthCheck, ConfigField, PlatformAdapter


    class EchoAdapter(PlatformAdapter):
        name = "echo"
        display_name = "Echo"
        version = "1.2"
        config_fields = (
            ConfigField("base_url", required=True, help="Where Echo answers"),
            ConfigField("token", required=True, secret=True, help="Echo token"),
        )

        async def check_auth(self, connection):
            response = await self.client.get(connection.config["base_url"])
            if connection.config["token"] != "open-sesame-token":
                raise PlatformAuthError("Echo refused the token", platform=self.name)
            return AuthCheck(f"echo answered HTTP {response.status_code}")

        async def check_availability(self, connection, date, time, party_size):
            return []

        async def create_reservation(self, connection, request):
            raise NotImplementedError

        async def cancel_reservation(self, connection, external_id, reason):
            raise NotImplementedError
''')


def install_plugin(site: Path, name: str, entry_points: str, module: str | None) -> None:
    site.mkdir(parents=True, exist_ok=True)
    if module is not None:
        (site / f"{name.replace('-', '_')}.py").write_text(module)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    install_plugin(
        site, "prima-echo", "[prima.platforms]\necho = prima_echo:EchoAdapter\n", ADAPTER
    )
    return {**os.environ, "PYTHONPATH": str(site), "PRIMA_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.slow
def test_third_party_adapter_is_a_first_class_platform(plugin_env, sandbox) -> None:
    import json

    types = json.loads(run_prima(["platforms", "types", "--json"], env=plugin_env).stdout)
    echo = next(t for t in types if t["name"] == "echo")
    assert echo["version"] == "1.2"
    assert [f["name"] for f in echo["fields"]] == ["base_url", "token"]
    assert run_prima(["db", "migrate"], env=plugin_env).returncode == 0
    assert run_prima(["venues", "add", "Uno"], env=plugin_env).returncode == 0
    refused = run_prima(
        [
            "platforms",
            "add",
            "uno",
            "echo",
            "--set",
            f"base_url={sandbox.base_url}",
            "--set",
            "token=wrong-token-value",
        ],
        env=plugin_env,
    )
    assert refused.returncode == 5, refused.stderr
    assert "Echo refused the token" in refused.stderr
    added = run_prima(
        [
            "platforms",
            "add",
            "uno",
            "echo",
            "--set",
            f"base_url={sandbox.base_url}",
            "--set",
            "token=-",
            "--json",
        ],
        env=plugin_env,
        input="open-sesame-token",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["configuration"]["token"] == "****oken"
    tested = run_prima(["platforms", "test", "uno", "echo", "--json"], env=plugin_env)
    assert tested.returncode == 0, tested.stderr
    assert json.loads(tested.stdout)["results"][0]["message"].startswith("echo answered HTTP")


def test_broken_plugin_is_reported_not_fatal(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(
        site, "prima-broken", "[prima.platforms]\nbroken = no_such_module:Adapter\n", None
    )
    env = {**os.environ, "PYTHONPATH": str(site), "PRIMA_DATA_DIR": str(tmp_path / "data")}
    types = run_prima(["platforms", "types"], env=env)
    assert types.returncode == 0
    assert "platform plugin broken" in types.stderr
    assert "covermanager" in types.stdout
    run_prima(["db", "migrate"], env=env)
    doctor = run_prima(["doctor"], env=env)
    assert doctor.returncode == 78
    assert "failed to load" in doctor.stderr + doctor.stdout
