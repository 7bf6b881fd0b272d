"""`platforms add` (tested before saving) and `platforms test` against the simulator."""

from __future__ import annotations

import os

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.integration.conftest import cm_settings, restoo_settings


def connections(cli: CLI) -> list[dict]:
    return cli.ok("platforms", "list", "--json").json()


def test_add_tests_credentials_then_saves(venues: CLI, sandbox: Sandbox) -> None:
    added = venues.ok(
        "platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--json"
    ).json()
    assert added["test"]["tested"] is True
    assert "prima-sbx-madrid" in added["test"]["detail"]
    restoo = venues.ok(
        "platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox), "--json"
    ).json()
    assert restoo["test"]["tested"] is True
    assert len(connections(venues)) == 2


@pytest.mark.parametrize(
    ("platform", "settings", "code", "needle"),
    [
        ("covermanager", lambda sb: cm_settings(sb, key="cm_sbx_" + "0" * 24), 5, ""),
        (
            "covermanager",
            lambda sb: cm_settings(sb, restaurant="no-such-place"),
            3,
            "no-such-place",
        ),
        ("restoo", lambda sb: restoo_settings(sb, key="rst_sbx_" + "0" * 24), 5, ""),
        ("restoo", lambda sb: restoo_settings(sb, account="nobody-here"), 5, ""),
    ],
)
def test_failed_credential_test_saves_nothing(
    venues: CLI, sandbox: Sandbox, platform: str, settings, code: int, needle: str
) -> None:
    venue = "madrid" if platform == "covermanager" else "lisboa"
    result = venues("platforms", "add", venue, platform, *settings(sandbox), "--json")
    assert result.exit_code == code, result.stderr
    error = result.error()
    assert needle in error["message"]
    assert error["platform"] == platform
    assert result.stdout == ""
    assert connections(venues) == []


def test_unreachable_platform_is_exit_69_and_saves_nothing(venues: CLI) -> None:
    import stamina

    stamina.set_testing(True, attempts=2)  # the retries themselves are tested in tests/platforms
    try:
        _unreachable(venues)
    finally:
        stamina.set_testing(False)


def _unreachable(venues: CLI) -> None:
    result = venues(
        "platforms",
        "add",
        "madrid",
        "covermanager",
        "--set",
        "restaurant_id=x",
        "--set",
        "api_key=literal:cm_sbx_whatever_1234",
        "--set",
        "base_url=http://127.0.0.1:9/covermanager/api",
    )
    assert result.exit_code == 69, result.stderr
    assert "Traceback" not in result.stderr
    assert connections(venues) == []


def test_platforms_test_one_venue_all_and_partial(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    venues.ok(
        "platforms",
        "add",
        "madrid",
        "restoo",
        *restoo_settings(sandbox, account="prima-sbx-barcelona"),
    )
    venues.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox))
    one = venues.ok("platforms", "test", "madrid", "covermanager", "--json").json()
    assert one["status"] == "ok"
    assert [(r["venue"], r["platform_type"], r["ok"]) for r in one["results"]] == [
        ("madrid", "covermanager", True)
    ]
    assert one["results"][0]["latency_ms"] >= 0
    venue = venues.ok("platforms", "test", "madrid", "--json").json()
    assert [r["platform_type"] for r in venue["results"]] == ["covermanager", "restoo"]
    everything = venues.ok("platforms", "test", "--all", "--json").json()
    assert len(everything["results"]) == 3
    # break one credential: a wrong key via an env reference
    venues.ok("platforms", "edit", "lisboa", "restoo", "--set", "api_key=env:PRIMA_T_BAD_KEY")
    os.environ["PRIMA_T_BAD_KEY"] = "rst_sbx_" + "f" * 24
    try:
        partial = venues("platforms", "test", "--all", "--json")
    finally:
        del os.environ["PRIMA_T_BAD_KEY"]
    assert partial.exit_code == 7
    report = partial.json()
    assert report["status"] == "partial"
    failed = [r for r in report["results"] if not r["ok"]]
    assert [(r["venue"], r["error"]["type"]) for r in failed] == [
        ("lisboa", "platform_auth_failed")
    ]
    alone = venues("platforms", "test", "lisboa", "--json")
    assert alone.exit_code == 78  # the env variable is gone: a configuration error
    assert "PRIMA_T_BAD_KEY" in alone.json()["results"][0]["message"]


def test_disabled_connections_are_skipped_by_all(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--disabled")
    nothing = venues("platforms", "test", "--all", "--json")
    assert nothing.exit_code == 0  # an empty batch, as for sync (README "Exit codes")
    assert nothing.json() == {"status": "empty", "results": [], "credentials": []}
    assert venues.ok("platforms", "test", "madrid", "--json").json()["status"] == "ok"


def test_platforms_test_needs_a_target(venues: CLI) -> None:
    assert venues("platforms", "test").exit_code == 2
    assert venues("platforms", "test", "--all", "madrid").exit_code == 2


@pytest.mark.slow
def test_verbose_traces_never_show_secrets(sandbox: Sandbox, tmp_path) -> None:
    """The real entry point, --verbose and --json: HTTP traces on stderr, keys masked."""
    env = {"PRIMA_DATA_DIR": str(tmp_path)}
    cm_key = sandbox.credentials().covermanager.api_key
    restoo_key = sandbox.credentials().restoo.api_key
    steps = [
        ["db", "migrate"],
        ["venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid"],
        [
            "--verbose",
            "platforms",
            "add",
            "madrid",
            "covermanager",
            *cm_settings(sandbox),
            "--json",
        ],
        [
            "--verbose",
            "platforms",
            "add",
            "madrid",
            "restoo",
            *restoo_settings(sandbox, account="prima-sbx-barcelona"),
            "--json",
        ],
        ["--verbose", "platforms", "test", "--all", "--json"],
        ["--verbose", "platforms", "show", "madrid", "covermanager", "--json"],
        ["--verbose", "platforms", "list"],
        ["--verbose", "doctor", "--json"],
    ]
    traces = ""
    for args in steps:
        proc = run_prima(args, env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr
        for secret in (cm_key, restoo_key):
            assert secret not in proc.stdout, args
            assert secret not in proc.stderr, args
        traces += proc.stderr
    assert "restaurant/list/****" in traces  # the key's place in the URL path, masked
    assert "Bearer ****" in traces
    assert "GET" in traces and "200" in traces
    # a failing call: the error message and trace are masked too
    run_prima(["venues", "add", "Other"], env={**os.environ, **env})
    bad = run_prima(
        [
            "--verbose",
            "platforms",
            "add",
            "other",
            "covermanager",
            *cm_settings(sandbox, key=cm_key[:-4] + "beef"),
        ],
        env={**os.environ, **env},
    )
    assert bad.returncode == 5, bad.stderr
    assert "error:" in bad.stderr and "****beef" in bad.stderr
    assert cm_key[:-4] not in bad.stderr
