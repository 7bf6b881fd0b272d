"""The real `prima` executable: version, help, start-up imports, streams and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from prima_cli import __version__
from tests.conftest import prima_executable, run_prima

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "httpx",
    "alembic",
    "prima_cli.platforms.covermanager",
    "prima_cli.platforms.restoo",
    "prima_cli.sandbox",
)


def loaded_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    code = (
        "import sys, json\n"
        "from prima_cli.cli.main import main\n"
        f"code = main({list(args)!r})\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_version() -> None:
    proc = run_prima(["--version"])
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"prima {__version__}"
    module = subprocess.run(
        [sys.executable, "-m", "prima_cli", "--version"], capture_output=True, text=True
    )
    assert module.stdout.strip() == f"prima {__version__}"


def test_help_lists_every_group() -> None:
    proc = run_prima(["--help"])
    assert proc.returncode == 0
    for group in ("venues", "platforms", "db", "doctor", "completion"):
        assert group in proc.stdout


def test_help_and_completion_do_not_import_heavy_modules() -> None:
    for args in (["--help"], ["venues", "--help"], ["platforms", "add", "--help"]):
        heavy = {m for m in loaded_modules(*args) if m.startswith(HEAVY)}
        assert heavy == set(), f"{args}: {sorted(heavy)}"


def test_ordinary_commands_do_not_import_alembic(tmp_path) -> None:
    import os

    env = {**os.environ, "PRIMA_DATA_DIR": str(tmp_path)}
    assert run_prima(["db", "migrate"], env=env).returncode == 0
    modules = loaded_modules("venues", "list", "--json", env=env)
    assert "sqlalchemy" in modules  # it did reach the database
    assert not {m for m in modules if m.startswith("alembic")}


def test_streams_and_exit_codes_of_a_failure(tmp_path) -> None:
    import os

    env = {**os.environ, "PRIMA_DATA_DIR": str(tmp_path)}
    proc = run_prima(["venues", "show", "nope"], env=env)
    assert proc.returncode == 78  # not migrated yet
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    run_prima(["db", "migrate"], env=env)
    proc = run_prima(["venues", "show", "nope", "--json"], env=env)
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert json.loads(proc.stderr)["error"]["type"] == "not_found"
    usage = run_prima(["venues", "add"], env=env)
    assert usage.returncode == 2
    assert "Missing argument" in usage.stderr
    unknown = run_prima(["venues", "frobnicate"], env=env)
    assert unknown.returncode == 2


def test_bash_completion_answers_through_the_entry_point() -> None:
    import os

    exe = prima_executable()
    env = {
        **os.environ,
        "_PRIMA_COMPLETE": "complete_bash",
        "COMP_WORDS": "prima pla",
        "COMP_CWORD": "1",
    }
    proc = subprocess.run(exe, capture_output=True, text=True, env=env)
    assert proc.returncode == 0
    assert "platforms" in proc.stdout.split()
    env.update(COMP_WORDS="prima platforms add pepe c", COMP_CWORD="4")
    proc = subprocess.run(exe, capture_output=True, text=True, env=env)
    assert "covermanager" in proc.stdout.split()


def test_root_help_imports_no_command_module_and_matches_them() -> None:
    from prima_cli.cli.app import COMMANDS, load

    modules = loaded_modules("--help")
    assert not {m for m in modules if m in {e.module for e in COMMANDS.values()}}
    for name, entry in COMMANDS.items():
        command = load(name)
        assert command.get_short_help_str(limit=500) == entry.help, name


def test_version_fast_path_and_full_path_agree() -> None:
    fast = run_prima(["--version"])
    full = run_prima(["--db", "sqlite:////nonexistent/x.db", "--version"])
    assert fast.stdout == full.stdout == f"prima {__version__}\n"


def test_a_large_json_output_arrives_whole_through_a_pipe(tmp_path) -> None:
    """The entry point leaves without the collector's last pass: the output, far larger than
    a pipe's buffer, must still arrive whole, with the exit code, and the store stay usable."""
    import os

    import sqlalchemy as sa

    env = {**os.environ, "PRIMA_DATA_DIR": str(tmp_path)}
    assert run_prima(["db", "migrate"], env=env).returncode == 0
    (db,) = tmp_path.rglob("*.db")
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO venues (name, slug, timezone, country, created_at, updated_at,"
                    " uses_covermanager, covermanager_sync_enabled) VALUES (:name, :slug,"
                    " 'Europe/Madrid', 'ES', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0)"),
            [{"name": f"Venue {i}", "slug": f"venue-{i:04d}"} for i in range(2000)],
        )  # fmt: skip
    engine.dispose()
    proc = run_prima(["venues", "list", "--json"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) > 200_000 and proc.stdout.endswith("\n")
    assert [v["slug"] for v in json.loads(proc.stdout)] == [f"venue-{i:04d}" for i in range(2000)]
    again = run_prima(["venues", "show", "venue-1999", "--json"], env=env)
    assert again.returncode == 0 and json.loads(again.stdout)["slug"] == "venue-1999"


def test_commands_that_call_platforms_leave_httpx_cli_unimported(tmp_path) -> None:
    """httpx imports its command-line tool (click, pygments, rich.syntax: 45 ms of start-up)
    where click is installed, as it is here; the console script keeps it out."""
    import importlib.util
    import os

    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.stderr.write(json.dumps(\n"
        "    sorted(k for k, v in sys.modules.items() if v is not None))))\n"
        "sys.argv = ['prima', 'platforms', 'sync', '--json']\n"
        "from prima_cli.cli.main import run\n"
        "run()\n"
    )
    env = {**os.environ, "PRIMA_DATA_DIR": str(tmp_path)}
    assert run_prima(["db", "migrate"], env=env).returncode == 0
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert "httpx" in modules  # the sync did import its HTTP stack
    # without click installed httpx skips its CLI by itself, and this test could not fail
    assert importlib.util.find_spec("click") is not None
    assert not {m for m in modules if m.startswith(("httpx._main", "pygments", "rich.syntax"))}


def test_the_console_script_collects_nothing_while_it_starts_a_sync(tmp_path) -> None:
    """A start-up's long-lived objects are frozen once the command has loaded them, not
    scanned by a collection midway through its imports (prima_cli/collector.py)."""
    import os

    code = (
        "import atexit, gc, json, sys\n"
        "seen = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and seen.append(\n"
        "    [info['generation'], gc.get_count()[0], gc.get_freeze_count()]))\n"
        "atexit.register(lambda: sys.stderr.write(json.dumps(seen)))\n"
        "sys.argv = ['prima', 'platforms', 'sync', '--json']\n"
        "from prima_cli.cli.main import run\n"
        "run()\n"
    )
    env = {**os.environ, "PRIMA_DATA_DIR": str(tmp_path)}
    assert run_prima(["db", "migrate"], env=env).returncode == 0
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    collections = json.loads(proc.stderr.strip().splitlines()[-1])
    # before the freeze: only the few of Python's own start-up, under the default thresholds
    # (those the console script runs before it sets its own), none of them large
    before = [c for c in collections if c[2] == 0]
    assert all(young < 1_000 for _gen, young, _frozen in before), before
