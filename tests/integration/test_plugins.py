"""Third platforms registered by other packages: the sample SDK plugin (tests/plugin_sample,
group `prima.platforms.v1`) lists, connects and books through the real executable against
the conformance kit's stub server; a legacy `prima.platforms` plugin still shows up in
`platforms types`, `platforms add` and `platforms test`; a broken plugin, or one that needs
an SDK this prima does not provide, is reported without breaking the others."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest

from prima_cli.platforms.versioning import SDK_VERSION
from prima_cli.testing import StubServer
from tests.conftest import run_prima
from tests.plugin_sample.endpoints import API_KEY, ENDPOINTS

SAMPLE = Path(__file__).resolve().parent.parent / "plugin_sample"

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


def install_sample(site: Path) -> None:
    """Install tests/plugin_sample as pip would: its package, and a dist-info whose entry
    points are those its pyproject.toml declares."""
    project = tomllib.loads((SAMPLE / "pyproject.toml").read_text())["project"]
    lines = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in project["entry-points"].items()
    ]
    site.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE / "prima_tapas", site / "prima_tapas")
    install_plugin(site, project["name"], "\n".join(lines), None)


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
def test_legacy_group_adapter_is_a_first_class_platform(plugin_env, sandbox) -> None:
    types = json.loads(run_prima(["platforms", "types", "--json"], env=plugin_env).stdout)
    echo = next(t for t in types if t["name"] == "echo")
    assert echo["version"] == "1.2"
    assert echo["sdk_version"] == "1.0"  # the contract it was written for, before versions
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
            "token=literal:wrong-token-value",
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
            "--store-secret",
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


@pytest.fixture
def sample_env(tmp_path: Path) -> dict[str, str]:
    install_sample(tmp_path / "site")
    return {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "PRIMA_DATA_DIR": str(tmp_path)}


def test_sdk_plugin_lists_connects_and_books_through_the_executable(sample_env) -> None:
    types = json.loads(run_prima(["platforms", "types", "--json"], env=sample_env).stdout)
    by_name = {t["name"]: t for t in types}
    assert by_name["tapas"]["sdk_version"] == "1.0"
    assert by_name["tapas"]["version"] == "0.1"
    assert by_name["covermanager"]["sdk_version"] == by_name["restoo"]["sdk_version"] == "1.1"
    assert [f["name"] for f in by_name["tapas"]["fields"]] == ["base_url", "api_key"]
    assert run_prima(["db", "migrate"], env=sample_env).returncode == 0
    venue = ["venues", "add", "Uno", "--timezone", "Europe/Madrid", "--country", "ES"]
    assert run_prima(venue, env=sample_env).returncode == 0
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    with StubServer(ENDPOINTS) as server:
        added = run_prima(
            ["platforms", "add", "uno", "tapas", "--set", f"base_url={server.base_url}",
             "--set", "api_key=-", "--store-secret", "--no-test", "--json"],
            env=sample_env, input=API_KEY,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["configuration"]["api_key"] == "****51a3"
        created = run_prima(
            ["bookings", "create", "uno", "--date", day, "--time", "20:30", "--party", "4",
             "--name", "Ana García", "--email", "ana@example.org", "--phone", "+34600111222",
             "--json"],
            env=sample_env,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        booking = json.loads(created.stdout)
        assert (booking["status"], booking["platform_type"], booking["external_id"]) == (
            "confirmed", "tapas", "tb-1",
        )  # fmt: skip
        [(_, _, body)] = server.requests("create")
        sent = json.loads(body)
        assert (sent["at"], sent["party"], sent["reference"]) == (
            f"{day}T20:30", 4, booking["reference"],
        )  # fmt: skip
        assert server.requests("availability") and not server.requests("")
    assert API_KEY not in created.stdout + created.stderr + added.stdout + added.stderr


ADAPTER_NEEDING = textwrap.dedent("""
    from prima_cli.platforms import AuthCheck, PlatformAdapter


    class Future(PlatformAdapter):
        name = "{name}"
        display_name = "Future"
        sdk_version = "{sdk}"

        async def check_auth(self, connection):
            return AuthCheck("ok")

        async def check_availability(self, connection, date, time, party_size):
            return []

        async def create_reservation(self, connection, request):
            raise NotImplementedError

        async def cancel_reservation(self, connection, external_id, reason):
            raise NotImplementedError
""")


def test_a_plugin_needing_another_sdk_is_reported_not_loaded(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for name, sdk in (("later", "1.9"), ("major", "2.0")):
        install_plugin(
            site, f"prima-{name}", f"[prima.platforms.v1]\n{name} = prima_{name}:Future\n",
            ADAPTER_NEEDING.format(name=name, sdk=sdk),
        )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "PRIMA_DATA_DIR": str(tmp_path / "data")}
    types = run_prima(["platforms", "types", "--json"], env=env)
    assert types.returncode == 0, types.stderr
    assert sorted(t["name"] for t in json.loads(types.stdout)) == ["covermanager", "restoo"]
    assert f"needs SDK 1.9; this prima provides SDK {SDK_VERSION} (upgrade prima)" in types.stderr
    assert "written for SDK 2.0" in types.stderr
