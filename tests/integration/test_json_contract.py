"""The JSON contract: the shape of every command's ``--json`` document, pinned and versioned.

One scripted session against the simulator runs every command that prints JSON (a second
one, on PostgreSQL, the job engine's: ``platforms sync --enqueue`` and ``worker ...``); each
document's shape (keys, nesting and value types, recursively; lists by the shape of their
items; date-times apart from other strings) is compared with ``json_contract.json`` beside
this file, which also records the contract version (``prima_cli.cli.json_contract.VERSION``).
A field that appears, disappears or changes type fails here; so does a regenerated contract
whose version was not raised. Regenerate on purpose, after raising ``VERSION``::

    PRIMA_WRITE_JSON_CONTRACT=1 .venv/bin/python -m pytest tests/integration/test_json_contract.py

which also rewrites the JSON Schemas shipped in ``prima_cli/schemas/json-contract.json``
(``prima help json COMMAND``); the change is then visible in review, next to the code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prima_cli.cli.json_contract import NAIVE_DATETIME, SCHEMA_FILE, VERSION, schemas_of, shape
from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI, run_prima
from tests.integration.conftest import cm_settings, restoo_settings
from tests.integration.test_bookings import GUEST, day

CONTRACT = Path(__file__).with_name("json_contract.json")
SCHEMAS = Path(__file__).parents[2] / "prima_cli" / "schemas" / SCHEMA_FILE

pytestmark = pytest.mark.usefixtures("instant_retries")


def _recorder(cli: CLI, docs: dict[str, Any]) -> Callable[..., Any]:
    """``run(name, *args, codes=(0,))``: run a command with --json, keep its document (and
    its error's, when it fails) under ``name``; the document."""

    def run(name: str, *args: str, codes: tuple[int, ...] = (0,)) -> Any:
        result = cli(*args, "--json")
        assert result.exit_code in codes, (name, result.stdout, result.stderr)
        docs[name] = json.loads(result.stdout) if result.stdout.strip() else None
        if result.exit_code and result.stderr.strip():
            docs[f"{name} (error)"] = json.loads(result.stderr)
        return docs[name]

    return run


def _session(cli: CLI, sb: Sandbox) -> dict[str, Any]:
    """Run every JSON-printing command once; the document of each, by a name for it."""
    docs: dict[str, Any] = {}
    run = _recorder(cli, docs)
    run("db migrate", "db", "migrate")
    run("db status", "db", "status")
    run("venues add", "venues", "add", "Madrid", "--slug", "madrid", "--timezone",
        "Europe/Madrid", "--country", "ES")  # fmt: skip
    run("venues list", "venues", "list")
    run("venues show", "venues", "show", "madrid")
    run("venues edit", "venues", "edit", "madrid", "--name", "Madrid Centro")
    run("platforms types", "platforms", "types")
    run("platforms add", "platforms", "add", "madrid", "covermanager", *cm_settings(sb))
    run("platforms add (restoo)", "platforms", "add", "madrid", "restoo",
        *restoo_settings(sb, account="prima-sbx-barcelona"))  # fmt: skip
    run("platforms list", "platforms", "list")
    run("platforms show", "platforms", "show", "madrid", "covermanager")
    run("platforms edit", "platforms", "edit", "madrid", "covermanager", "--priority", "1")
    run("platforms disable", "platforms", "disable", "madrid", "restoo")
    run("platforms enable", "platforms", "enable", "madrid", "restoo")
    run("platforms test", "platforms", "test", "--all")
    run("bookings availability", "bookings", "availability", "madrid", "--date", day(),
        "--party", "2", "--time", "20:00")  # fmt: skip
    created = run("bookings create", "bookings", "create", "madrid", "--date", day(), "--time",
                  "20:00", "--party", "2", *GUEST, "--reference", "contract-1")  # fmt: skip
    run("bookings create (replay)", "bookings", "create", "madrid", "--date", day(), "--time",
        "20:00", "--party", "2", *GUEST, "--reference", "contract-1")  # fmt: skip
    run("bookings create (refused)", "bookings", "create", "madrid", "--date", day(), "--time",
        "20:00", "--party", "99", *GUEST, codes=(2,))  # fmt: skip
    run("bookings list", "bookings", "list")
    run("bookings show", "bookings", "show", created["reference"])
    run("platforms sync", "platforms", "sync", "--days", "1")
    run("platforms sync --dry-run", "platforms", "sync", "--days", "1", "--dry-run")
    run("platforms history", "platforms", "history")
    run("platforms history RUN", "platforms", "history", "1")
    run("platforms history --connection", "platforms", "history", "--connection",
        "madrid/covermanager", "--since", "1d")  # fmt: skip
    run("bookings availability --cached", "bookings", "availability", "madrid", "--date",
        day(), "--party", "2", "--cached")  # fmt: skip
    sb.inject("reset:restoo:/booking:POST:times=1")
    lost = cli("bookings", "create", "madrid", "--date", day(), "--time", "21:00", "--party",
               "2", *GUEST, "--platform", "restoo", "--json")  # fmt: skip
    docs["bookings create (unknown, error)"] = json.loads(lost.stderr)
    run("bookings reconcile", "bookings", "reconcile", codes=(7,))
    (held,) = [r for r in sb.state.reservations() if r.platform == "restoo"]
    unknown = docs["bookings create (unknown, error)"]["error"]["booking"]
    run("bookings resolve", "bookings", "resolve", unknown, "--found", held.id)
    run("bookings cancel", "bookings", "cancel", "contract-1")
    run("report", "report", "--to", day())
    run("platforms remove", "platforms", "remove", "madrid", "restoo", "--yes", "--force",
        codes=(0, 2))  # fmt: skip
    run("venues remove", "venues", "remove", "madrid", "--yes", "--force")
    run("doctor", "doctor", codes=(0, 78))
    run("doctor --max-sync-age", "doctor", "--max-sync-age", "1h", "--max-attention", "0",
        codes=(0, 11, 78))  # fmt: skip
    run("db prune", "db", "prune", "--older-than", "30d", "--dry-run")
    return docs


def _of_workers(name: str) -> bool:
    """Whether a document is the worker session's (the other session cannot print it)."""
    return name.startswith(("worker ", "platforms sync --enqueue"))


def _worker_session(url: str, sb: Sandbox) -> dict[str, Any]:
    """The job engine's documents on PostgreSQL: a window queued, the queues' status (healthy,
    then unhealthy), a one-shot worker's report (the window's syncs, an outbox push), the
    jobs, a failed job retried and cancelled, and the errors of a bad and an unknown job id."""
    from procrastinate import App, PsycopgConnector

    cli = CLI(url)
    docs: dict[str, Any] = {}
    run = _recorder(cli, docs)
    cli.ok("db", "migrate")
    cli.ok(
        "venues",
        "add",
        "Madrid",
        "--slug",
        "madrid",
        "--timezone",
        "Europe/Madrid",
        "--country",
        "ES",
    )
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb), "--no-test")
    cli.ok("platforms", "add", "madrid", "restoo", *restoo_settings(sb,
           account="prima-sbx-barcelona"), "--no-test")  # fmt: skip
    run("worker status", "worker", "status")
    run("platforms sync --enqueue", "platforms", "sync", "--enqueue", "--days", "1")
    run("worker status (unhealthy)", "worker", "status", "--max-wait", "0", codes=(11,))
    sb.inject("503:covermanager:reserv/reserv:POST")  # a booking left for the outbox's push
    queued = cli("bookings", "create", "madrid", "--date", day(), "--time", "20:00", "--party",
                 "2", *GUEST, "--platform", "covermanager", "--json")  # fmt: skip
    assert queued.exit_code == 8 and "queued for the workers" in queued.stderr, queued.stderr
    sb.clear_faults()
    engine = App(connector=PsycopgConnector(conninfo=url.replace("+psycopg", "")))
    with engine.open():  # a job no worker knows how to run: it fails for good
        engine.configure_task("prima.no_such_task", queue="outbox").defer()
    # a worker is its own process (signals, its event loop), as in production
    worker = run_prima(["--db", url, "worker", "run", "--one-shot", "--schedule", "off",
                        "--days", "1", "--json"])  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    docs["worker run --one-shot"] = json.loads(worker.stdout)
    run("worker jobs", "worker", "jobs")
    (failed,) = run("worker jobs --status failed", "worker", "jobs", "--status", "failed")
    run("worker retry", "worker", "retry", str(failed["id"]))
    run("worker cancel", "worker", "cancel", str(failed["id"]))
    run("worker retry (bad id)", "worker", "retry", "abc", codes=(2,))
    run("worker cancel (unknown id)", "worker", "cancel", "999999", codes=(3,))
    return docs


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def _check(docs: dict[str, Any], *, workers: bool) -> None:
    """The shapes of one session's ``docs`` are the pinned ones of that session (rewritten
    first with PRIMA_WRITE_JSON_CONTRACT, the other session's kept), at the code's version,
    and the shipped schemas are every pinned shape's."""
    shapes = {name: shape(doc) for name, doc in docs.items()}
    assert all(_of_workers(name) == workers for name in shapes), sorted(shapes)
    naive = [(n, s) for n, doc in docs.items() for s in _strings(doc) if NAIVE_DATETIME.match(s)]
    assert not naive, f"date-times without an offset: {naive[:5]}"
    if os.environ.get("PRIMA_WRITE_JSON_CONTRACT"):
        kept = json.loads(CONTRACT.read_text())["documents"]
        documents = {n: s for n, s in kept.items() if _of_workers(n) != workers} | shapes
        contract = {"version": VERSION, "documents": documents}
        CONTRACT.write_text(json.dumps(contract, indent=1, sort_keys=True) + "\n")
        SCHEMAS.write_text(json.dumps(schemas_of(documents), indent=1, sort_keys=True) + "\n")
    pinned = json.loads(CONTRACT.read_text())
    documents = pinned["documents"]
    ours = {n: s for n, s in documents.items() if _of_workers(n) == workers}
    changed = {n for n in set(ours) | set(shapes) if ours.get(n) != shapes.get(n)}
    assert not changed, f"the JSON of {sorted(changed)} changed: regenerate the contract on purpose"
    assert pinned["version"] == VERSION, (
        f"json_contract.json pins version {pinned['version']} but the code says {VERSION}"
    )
    # the shipped schemas are the pinned shapes' (prima help json COMMAND)
    assert json.loads(SCHEMAS.read_text()) == schemas_of(documents)


def test_every_command_json_keeps_its_shape(migrated: CLI) -> None:
    with Sandbox(SandboxConfig(seed=7)) as sb:
        docs = _session(migrated, sb)
    _check(docs, workers=False)


@pytest.mark.postgres
def test_every_worker_command_json_keeps_its_shape(postgres_url: str) -> None:
    with Sandbox(SandboxConfig(seed=7)) as sb:
        docs = _worker_session(postgres_url, sb)
    assert docs["worker status"]["healthy"] is True
    assert docs["worker status (unhealthy)"]["healthy"] is False
    assert docs["worker run --one-shot"]["jobs"] == {"prima.sync_connection": 2,
                                                     "prima.push_booking": 1}  # fmt: skip
    assert (docs["worker retry"]["before"], docs["worker retry"]["after"]) == ("failed", "todo")
    assert docs["worker cancel"]["after"] == "cancelled"
    _check(docs, workers=True)


def test_a_changed_contract_needs_a_new_version() -> None:
    """The version in the code is not the one of an older pinned contract with other shapes:
    the history of json_contract.json in git holds each version's shapes once."""
    import subprocess

    root = Path(__file__).parents[2]
    log = subprocess.run(
        ["git", "log", "--format=%H", "--", str(CONTRACT.relative_to(root))],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if log.returncode != 0:
        pytest.skip("not a git checkout")
    current = json.loads(CONTRACT.read_text())
    for commit in log.stdout.split():
        shown = subprocess.run(
            ["git", "show", f"{commit}:{CONTRACT.relative_to(root)}"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if shown.returncode != 0:
            continue
        old = json.loads(shown.stdout)
        old_version = old.get("version", 1) if "documents" in old else 1
        old_docs = old.get("documents", old)
        if old_version == current["version"]:
            assert old_docs == current["documents"], (
                f"json_contract.json at {commit[:10]} has version {old_version} with other "
                "shapes: raise prima_cli.cli.json_contract.VERSION"
            )
