"""No configured secret in any output: every command, with --verbose and --json, through the
real executable against the simulator, with the keys given literally, through `env:NAME`
and on stdin, and on the error paths (a wrong key, HTTP 500 with the verbose trace)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.reliability.support import GUEST, day

GUEST_INTL = [*GUEST[:-1], "+34 612 48 39 07"]  # valid in Madrid and Lisboa
WRONG_CM_KEY = "cm_sbx_5e1f0a9b7c3d2e4f6a8b0c1d"  # well-formed, not the sandbox's


@dataclass
class Session:
    """Runs prima with --verbose, collects every output, and names what leaked where."""

    env: dict[str, str]
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, *args: str, code: int | None = 0, input: str | None = None) -> str:
        proc = run_prima(["--verbose", *args], env=self.env, input=input)
        shown = " ".join(args)
        self.outputs.append((shown, proc.stdout + proc.stderr))
        if code is not None:
            assert proc.returncode == code, (shown, proc.returncode, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.stdout

    def assert_no_leak(self, secrets: list[str]) -> None:
        leaks = [
            (command, secret)
            for command, text in self.outputs
            for secret in secrets
            if leaked(secret, text)
        ]
        assert leaks == []


def leaked(secret: str, text: str) -> bool:
    """The secret, or any 10-character piece of it (a truncated excerpt leaks too); the
    masked form `****` + last 4 characters is allowed."""
    return any(secret[i : i + 10] in text for i in range(len(secret) - 9))


@pytest.fixture
def creds(sandbox: Sandbox) -> Iterator[tuple[str, str]]:
    c = sandbox.credentials()
    yield c.covermanager.api_key, c.restoo.api_key


def every_command(
    run: Session, sb: Sandbox, cm_key: str, restoo_key: str, *, full: bool = True
) -> None:
    """Every command; with full=False only those that read, show or send a key."""
    cm, restoo = sb.credentials().covermanager, sb.credentials().restoo
    run("db", "migrate", "--json")
    run("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
        "--country", "ES", "--json")  # fmt: skip
    run("venues", "add", "Lisboa", "--slug", "lisboa", "--timezone", "Europe/Lisbon",
        "--country", "PT", "--json")  # fmt: skip
    stdin_key = cm_key == "-"
    run("platforms", "add", "madrid", "covermanager", "--set", "restaurant_id=prima-sbx-madrid",
        "--set", f"api_key={cm_key}", "--set", f"base_url={cm.base_url}", "--store-secret",
        "--json", input=cm.api_key if stdin_key else None)  # fmt: skip
    run("platforms", "add", "lisboa", "restoo", "--set", "account=prima-sbx-lisboa", "--set",
        f"api_key={restoo_key}", "--set", f"base_url={restoo.base_url}", "--store-secret",
        "--json")  # fmt: skip
    if full:
        run("platforms", "types", "--json")
        run("venues", "list", "--json")
        run("venues", "show", "madrid", "--json")
        run("venues", "edit", "madrid", "--name", "Madrid Centro", "--json")
    run("platforms", "list", "--json")
    run("platforms", "show", "madrid", "covermanager", "--json")
    run("platforms", "show", "lisboa", "restoo", "--json")
    run("platforms", "edit", "madrid", "covermanager", "--set", "source=prima-test", "--json")
    run("platforms", "test", "--all", "--json")
    for venue in ("madrid", "lisboa"):
        run("bookings", "availability", venue, "--date", day(), "--party", "2", "--time",
            "20:00", "--json")  # fmt: skip
        run("bookings", "create", venue, "--date", day(), "--time", "20:00", "--party", "2",
            *GUEST_INTL, "--reference", f"sec-{venue}", "--json")  # fmt: skip
        run("bookings", "show", f"sec-{venue}", "--json")
    run("bookings", "cancel", "sec-madrid", "--reason", "CHANGED_PLANS", "--json")
    run("bookings", "reconcile", "--json")
    run("platforms", "sync", "--days", "1", "--json")
    run("doctor", "--json")
    for fmt in ("json", "logfmt"):  # structured logs, the -v HTTP trace included
        run("--log-format", fmt, "platforms", "sync", "--days", "1", "--trigger", "cron")
    run("doctor", "--max-sync-age", "1h", "--max-attention", "9", "--json")
    if full:
        run("bookings", "list", "--json")
        run("bookings", "cancel", "sec-lisboa", "--json")
        run("platforms", "history", "--json")
        run("platforms", "history", "1", "--json")
        run("platforms", "history", "--connection", "madrid/covermanager", "--json")
        run("db", "status", "--json")

    # error paths: HTTP 500 with the verbose trace of the failing exchanges
    sb.inject("500:covermanager::times=1")
    run("bookings", "availability", "madrid", "--date", day(), "--party", "2", "--json")
    sb.inject("500:covermanager:reserv/reserv")
    run("bookings", "create", "madrid", "--date", day(), "--time", "21:00", "--party", "2",
        *GUEST_INTL, "--json", code=8)  # fmt: skip
    sb.clear_faults()
    run("bookings", "reconcile", "--json")
    sb.inject("500:restoo::times=1")
    run("platforms", "test", "lisboa", "--json")
    sb.clear_faults()
    # a wrong key, refused by the platform, in every command that uses it
    run("platforms", "edit", "madrid", "covermanager", "--set", f"api_key=literal:{WRONG_CM_KEY}",
        "--json")  # fmt: skip
    run("platforms", "test", "madrid", "covermanager", "--json", code=5)
    run("bookings", "availability", "madrid", "--date", day(), "--party", "2", "--json", code=5)
    run("bookings", "create", "madrid", "--date", day(), "--time", "21:30", "--party", "2",
        *GUEST_INTL, "--json", code=5)  # fmt: skip
    run("platforms", "sync", "--json", code=7)
    run("--log-format", "json", "platforms", "sync", "--quiet", code=7)
    run("platforms", "list", "--json")
    run("platforms", "add", "lisboa", "covermanager", "--set", "restaurant_id=prima-sbx-madrid",
        "--set", f"api_key=literal:{WRONG_CM_KEY}", "--set", f"base_url={cm.base_url}", "--json",
        code=5)  # fmt: skip
    run("doctor", "--json")


@pytest.mark.slow
def test_literal_keys_never_shown(sandbox: Sandbox, creds: tuple[str, str]) -> None:
    cm_key, restoo_key = creds
    run = Session(env={})
    every_command(run, sandbox, cm_key, restoo_key)
    run.assert_no_leak([cm_key, restoo_key, WRONG_CM_KEY])
    # the masked forms were shown, so the check above looked at the right places
    everything = "".join(text for _, text in run.outputs)
    assert "****" + cm_key[-4:] in everything and "****" + restoo_key[-4:] in everything
    assert "****" + WRONG_CM_KEY[-4:] in everything
    assert "prima.http: " in everything  # the verbose HTTP trace was on


@pytest.mark.slow
def test_env_and_stdin_keys_never_shown(sandbox: Sandbox, creds: tuple[str, str]) -> None:
    cm_key, restoo_key = creds
    run = Session(env={"PRIMA_TEST_RST_KEY": restoo_key})
    every_command(run, sandbox, "-", "env:PRIMA_TEST_RST_KEY", full=False)
    # a missing variable: doctor and the commands name it, never a value
    del run.env["PRIMA_TEST_RST_KEY"]
    os.environ.pop("PRIMA_TEST_RST_KEY", None)
    doctor = run("doctor", "--json", code=78)
    assert "PRIMA_TEST_RST_KEY" in doctor
    run("platforms", "test", "lisboa", "restoo", "--json", code=78)
    run.assert_no_leak([cm_key, restoo_key, WRONG_CM_KEY])


def test_a_key_with_surrounding_whitespace_is_masked_as_sent(
    madrid: CLI, sandbox: Sandbox, creds: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variable read from a file with CRLF endings holds `KEY\\r`; prima sends the key
    stripped, so the stripped key is what error messages and traces quote: masked too."""
    cm_key, _ = creds
    cm = sandbox.credentials().covermanager
    monkeypatch.setenv("PRIMA_TEST_CM_KEY", f" {cm_key}\r")
    madrid.ok("platforms", "add", "madrid", "covermanager", "--set",
              "restaurant_id=prima-sbx-madrid", "--set", "api_key=env:PRIMA_TEST_CM_KEY",
              "--set", f"base_url={cm.base_url}")  # fmt: skip
    # a wrong path: the platform's 404 quotes the URL path, which holds the key
    madrid.ok("platforms", "edit", "madrid", "covermanager", "--set", f"base_url={cm.base_url}/v1")
    outputs = [
        madrid("--verbose", "platforms", "sync", "--json"),
        madrid("platforms", "history", "1", "--json"),
        madrid("platforms", "list", "--json"),
        madrid("--verbose", "platforms", "test", "madrid", "covermanager", "--json"),
    ]
    assert outputs[0].exit_code != 0
    shown = "".join(r.stdout + r.stderr for r in outputs)
    assert "/restaurant/list/" in shown  # the path was quoted, so the check looks at it
    assert not leaked(cm_key, shown)


def test_a_key_with_quotes_backslashes_and_url_characters_is_masked_in_every_format(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """Outputs are scrubbed after they are encoded: a key holding `"`, `\\`, `/`, `%` or
    a space is written as JSON, CSV, a `repr` and a URL encode it, and each of those forms
    is masked too (a wrong key: the platform refuses it, and errors quote it)."""
    hostile = 'cm"k\\ey/2%41 &x=Z9xq'  # printable ASCII: prima refuses other keys
    cm = sandbox.credentials().covermanager
    madrid.ok("platforms", "add", "madrid", "covermanager", "--set",
              "restaurant_id=prima-sbx-madrid", "--set", f"api_key=literal:{hostile}",
              "--set", f"base_url={cm.base_url}", "--no-test")  # fmt: skip
    outputs = [
        madrid("--verbose", "platforms", "test", "madrid", "covermanager", "--json"),
        # a POST: the key travels in the apikey header, whose trace showed its first word
        madrid(
            "--verbose",
            "bookings",
            "availability",
            "madrid",
            "--date",
            day(),
            "--party",
            "2",
            "--json",
        ),
        madrid("--verbose", "--log-format", "json", "platforms", "sync", "--days", "1"),
        madrid("--log-format", "logfmt", "--verbose", "platforms", "sync", "--json"),
        madrid("platforms", "show", "madrid", "covermanager", "--json"),
        madrid("platforms", "list", "--format", "csv"),
        madrid("platforms", "list", "--format", "tsv"),
        madrid("platforms", "history", "1", "--json"),
    ]
    assert outputs[0].exit_code == 5, outputs[0].stderr  # refused: the key was sent
    shown = "".join(r.stdout + r.stderr for r in outputs)
    assert "prima.http" in shown  # the verbose trace (URLs, headers) was written
    assert "'apikey': '" in shown  # a request carried the key in a header
    hidden = hostile[:-4]  # the mask shows the last 4 characters
    forms = {hidden, json.dumps(hidden)[1:-1], json.dumps(hidden, ensure_ascii=False)[1:-1],
             hidden.replace('"', '""'), repr(hidden)[1:-1], quote(hidden, safe=""),
             quote(hidden), quote_plus(hidden)}  # fmt: skip
    found = [form[i : i + 8] for form in forms for i in range(len(form) - 7)
             if form[i : i + 8] in shown]  # fmt: skip
    assert found == []
    json.loads(outputs[3].stdout)  # masking kept the document valid
