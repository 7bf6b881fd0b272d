"""Logs a machine can read: --log-format / PRIMA_LOG_FORMAT through the real executable under
a cron-like environment; journald priorities when stderr is the journal; secrets masked."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.cron import cron_env, cron_run
from tests.integration.test_unattended import keyed

__all__ = ["keyed"]

SYNC = ("platforms", "sync", "--days", "1", "--trigger", "cron")


def json_lines(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines()]


def logfmt(line: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(line))


def test_json_logs_carry_the_run_and_connection_fields(keyed: dict[str, str]) -> None:
    proc = cron_run("--log-format", "json", *SYNC, **keyed)
    assert proc.returncode == 0 and proc.stdout == ""
    lines = json_lines(proc.stderr)  # every stderr line parses
    events = [line["event"] for line in lines]
    assert events[0] == "sync.run.started" and events[-2:] == ["sync.run.finished", "summary"]
    connections = [line for line in lines if line["event"] == "sync.connection"]
    assert {(c["venue"], c["platform"]) for c in connections} == {
        ("madrid", "covermanager"), ("lisboa", "restoo")}  # fmt: skip
    for line in connections:
        assert line["level"] == "info" and line["status"] == "ok"
        assert isinstance(line["run_id"], int) and isinstance(line["connection_id"], int)
        assert isinstance(line["duration_ms"], int) and str(line["ts"]).endswith("+00:00")
    finished = lines[-2]
    assert finished["exit_code"] == 0 and isinstance(finished["duration_ms"], int)


def test_logfmt_from_the_environment_with_the_error_type(keyed: dict[str, str]) -> None:
    env = {**keyed, "CM_KEY": "wrong-key-0123456789", "PRIMA_LOG_FORMAT": "logfmt"}
    proc = cron_run(*SYNC, **env)
    assert proc.returncode == 7
    parsed = [logfmt(line) for line in proc.stderr.splitlines()]
    [failed] = [p for p in parsed if p["event"] == "sync.connection" and p["status"] == "failed"]
    assert failed["error_type"] == "platform_auth_failed" and failed["venue"] == "madrid"
    [problem] = [p for p in parsed if p["event"] == "sync.problem"]
    assert problem["level"] == "warning" and "prima platforms edit madrid" in problem["hint"]
    assert "wrong-key-0123456789" not in proc.stderr


def test_quiet_structured_logs_say_only_what_needs_the_operator(keyed: dict[str, str]) -> None:
    healthy = cron_run("--log-format", "json", *SYNC, "--quiet", **keyed)
    assert (healthy.returncode, healthy.stdout, healthy.stderr) == (0, "", "")
    failing = cron_run("--log-format", "json", *SYNC, "--quiet",
                       **{**keyed, "CM_KEY": "wrong-key-0123456789"})  # fmt: skip
    [line] = json_lines(failing.stderr)
    assert line["event"] == "sync.problem" and line["error_type"] == "platform_auth_failed"


def test_errors_and_bad_formats(tmp_path: Path) -> None:
    down = cron_run("--log-format", "json", "platforms", "list",
                    PRIMA_DATABASE_URL="postgresql://postgres@127.0.0.1:1/x")  # fmt: skip
    assert down.returncode == 75
    [error] = json_lines(down.stderr)
    assert error["level"] == "error" and error["error_type"] == "database_unavailable"
    assert error["exit_code"] == 75 and "hint" in error
    bad = cron_run("--log-format", "yaml", "venues", "list")
    assert bad.returncode == 2 and "text, json or logfmt" in bad.stderr
    env_bad = cron_run("venues", "list", PRIMA_LOG_FORMAT="xml")
    assert env_bad.returncode == 2 and "PRIMA_LOG_FORMAT" in env_bad.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_journald_priorities_when_stderr_is_the_journal(
    keyed: dict[str, str], tmp_path: Path, fmt: str
) -> None:
    journal = tmp_path / "journal.log"
    with journal.open("w") as stream:
        info = os.fstat(stream.fileno())
        env = cron_env(**{**keyed, "CM_KEY": "wrong-key-0123456789"},
                       JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")  # fmt: skip
        proc = subprocess.run([*prima_executable(), "--log-format", fmt, "-v", *SYNC], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stream,
                              text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 7
    lines = journal.read_text().splitlines()
    assert lines and all(line[:3] in ("<3>", "<4>", "<6>", "<7>") for line in lines), lines[:5]
    assert any(line.startswith("<4>") for line in lines)  # the warning for madrid
    assert "wrong-key-0123456789" not in journal.read_text()  # masked in the -v HTTP trace too
    if fmt == "json":
        assert all(json.loads(line[3:]) for line in lines)
    other = cron_run("--log-format", fmt, *SYNC, **keyed, JOURNAL_STREAM="1:2")  # not our stderr
    assert not any(line.startswith("<") for line in other.stderr.splitlines())


def test_in_process_runs_keep_text(migrated: CLI, sandbox: Sandbox) -> None:
    result = migrated("--log-format", "logfmt", "venues", "show", "nowhere")
    assert result.exit_code == 3
    assert logfmt(result.stderr.strip())["event"] == "error"
