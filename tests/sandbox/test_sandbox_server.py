"""Server lifecycle, addresses, the request log, and the light import of the CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx
import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.sandbox.sandbox_support import CM, client


def test_free_ports_and_urls() -> None:
    with Sandbox() as a, Sandbox() as b:
        assert a.port != b.port
        assert a.base_url == f"http://127.0.0.1:{a.port}"
        assert a.covermanager_base_url == a.base_url + "/covermanager/api"
        assert a.restoo_base_url == a.base_url + "/restoo"


def test_index_and_unknown_prefix(sb: Sandbox, http: httpx.Client) -> None:
    assert http.get(sb.base_url + "/").json()["covermanager"] == "/covermanager/api"
    assert http.get(sb.base_url + "/stripe/v1").status_code == 404


def test_requests_log_hides_the_key(sb: Sandbox, cm: CM) -> None:
    cm.get("restaurant/list")
    (entry,) = sb.requests_log
    assert (entry.method, entry.path, entry.status, entry.platform) == (
        "GET",
        "/covermanager/api/restaurant/list/***",
        200,
        "covermanager",
    )
    assert cm.key not in repr(sb.requests_log)
    sb.clear_requests_log()
    assert sb.requests_log == []


def test_stop_is_prompt_with_open_keep_alive_connections() -> None:
    sb = Sandbox().start()
    http = client()
    assert CM(sb, http).get("restaurant/list").status_code == 200  # connection stays pooled
    url = sb.covermanager_base_url
    started = time.monotonic()
    sb.stop()
    sb.stop()  # idempotent
    assert time.monotonic() - started < 1
    with pytest.raises(httpx.TransportError):
        http.get(url)
    http.close()
    with pytest.raises(RuntimeError):
        _ = sb.port


def test_serve_forever_returns_after_stop() -> None:
    sb = Sandbox(SandboxConfig())
    thread = threading.Thread(target=sb.serve_forever)
    thread.start()
    deadline = time.monotonic() + 5
    while not sb.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert httpx.get(sb.base_url + "/").status_code == 200
    sb.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_cli_help_does_not_import_the_sandbox() -> None:
    code = (
        "import sys; from prima_cli.cli import main; "
        "assert 'prima_cli.sandbox' not in sys.modules, 'sandbox imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
