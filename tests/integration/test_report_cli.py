"""`prima report` as a user meets it: bookings made through the real write path (and synced)
show up in each output; no output ever carries a guest's name, e-mail or phone; bad input is
refused with a clear message and the right exit code."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.integration.test_bookings import day

pytestmark = pytest.mark.usefixtures("instant_retries")

SENTINEL = ["--first-name", "Zebulonquix", "--last-name", "Sentinelworth",
            "--email", "zebulonquix.sentinel@gmail.com", "--phone", "699 88 77 66"]  # fmt: skip
SECRETS = ("Zebulonquix", "Sentinelworth", "zebulonquix.sentinel", "699887766", "699 88 77 66")


def _no_guest_data(text: str) -> None:
    for sentinel in SECRETS:
        assert sentinel.lower() not in text.lower(), sentinel


@pytest.fixture
def booked(madrid: CLI) -> CLI:
    """Two bookings through the real create path (a lunch and a dinner), one cancelled, and
    a sync run."""
    for time in ("13:30", "21:00"):
        created = madrid(
            "bookings", "create", "madrid", "--date", day(ahead=1), "--time", time,
            "--party", "3", *SENTINEL, "--notes", "Zebulonquix likes the window", "--json",
        )  # fmt: skip
        assert created.exit_code == 0, created.stderr
    reference = created.json()["reference"]
    madrid.ok("bookings", "cancel", reference, "--reason", "CHANGED_PLANS")
    madrid.ok("platforms", "sync", "--days", "2")
    return madrid


def test_report_of_real_bookings(booked: CLI, tmp_path: Path) -> None:
    result = booked.ok("report", "--to", day(ahead=2), "--json")
    _no_guest_data(result.stdout)
    doc = result.json()
    assert doc["schema"] == "prima.report/1"
    assert doc["bookings"]["lunch"] == {"bookings": 1, "covers": 3}
    assert doc["bookings"]["dinner"] == {"bookings": 0, "covers": 0}
    madrid = doc["status"]["by_venue"][0]
    assert (madrid["venue"], madrid["confirmed"], madrid["cancelled"]) == ("madrid", 1, 1)
    assert madrid["cancelled_by"] == {"guest": 1}
    placement = {p["platform_type"]: p for p in doc["placement"]["by_platform"]}
    assert placement["covermanager"]["success_rate"] == 1.0
    assert doc["placement"]["time_to_confirm_ms"]["count"] == 2
    # the sync's per-step times are stored and reported
    latency = doc["sync"]["step_latency_ms"]["auth"]
    assert set(latency) == {"covermanager", "restoo"} and latency["restoo"]["count"] == 1
    grid = {(c["venue"], c["platform_type"]): c for c in doc["sync"]["connections"]}
    assert grid[("madrid", "covermanager")]["age_seconds"] is not None
    # CoverManager lists statuses (no-shows counted); Restoo cannot: "not reported"
    by_platform = {m["platform_type"]: m for m in doc["status"]["by_platform"]}
    assert by_platform["covermanager"]["no_shows"] == 0

    page = tmp_path / "report.html"
    written = booked.ok("report", "--to", day(ahead=2), "--html", str(page))
    assert written.stdout == "" and "report written to" in written.stderr
    html = page.read_text()
    _no_guest_data(html)
    assert 'http-equiv="Content-Security-Policy"' in html
    assert re.findall(r"(?:src|href)=", html) == []  # nothing to load
    assert "<script" not in html

    terminal = booked.ok("report", "--to", day(ahead=2))
    _no_guest_data(terminal.stdout + terminal.stderr)
    assert "# Status mix" in terminal.stdout


def test_terminal_summary_on_a_tty(booked: CLI) -> None:
    result = booked.ok("report", "--to", day(ahead=2), tty=True, no_color=True)
    for title in ("Bookings and covers", "Status mix", "Placement", "Sync health",
                  "Time since last successful sync", "Needs attention"):  # fmt: skip
        assert title in result.stdout
    assert "\x1b[" not in result.stdout  # NO_COLOR
    _no_guest_data(result.stdout)


def test_names_are_escaped_in_the_page(migrated: CLI, tmp_path: Path) -> None:
    migrated.ok("venues", "add", '<img src=x onerror="alert(1)">', "--slug", "evil")
    page = tmp_path / "r.html"
    migrated.ok("report", "--html", str(page))
    html = page.read_text()
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "yesterday"], 2, "--from must be a date"),
        (["--from", "2026-06-10", "--to", "2026-06-01"], 2, "is before --from"),
        (["--from", "2020-01-01", "--to", "2026-01-01"], 2, "at most 366 days"),
        (["--venue", "nowhere"], 3, "no venue 'nowhere'"),
    ],
)
def test_bad_input(migrated: CLI, args: list[str], code: int, message: str) -> None:
    result = migrated("report", *args, "--json")
    assert result.exit_code == code and result.stdout == ""
    assert message in result.error()["message"]


def test_unwritable_html_file_changes_nothing(migrated: CLI, tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "r.html"
    result = migrated("report", "--html", str(target))
    assert result.exit_code == 78 and "cannot write" in result.stderr
    assert not target.parent.exists()


def test_demo_ends_with_its_report(tmp_path: Path, sandbox: Sandbox) -> None:
    """The real executable: the demo seeds a month, writes the report and says where."""
    store = f"sqlite:///{tmp_path / 'demo.db'}"
    page = tmp_path / "demo.html"
    proc = run_prima(["--db", store, "demo", "--report", str(page)], timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert f"written to {page}" in proc.stderr
    html = page.read_text()
    assert "Demo Madrid" in html and "Lucía" not in html
    shown = run_prima(["--db", store, "report", "--venue", "prima-demo-madrid", "--json"])
    doc = json.loads(shown.stdout)
    assert doc["bookings"]["total"]["bookings"] > 100
    assert doc["sync"]["outcomes"]["covermanager"]["failed"] > 0
    assert doc["status"]["all"]["cancelled"] > 0


def test_plain_demo_writes_its_report_to_a_new_private_file(tmp_path: Path) -> None:
    """Outside the data directory, in a file of its own: a name nobody can guess, readable by
    its owner only; a file or a symlink planted at the old fixed name is left alone."""
    data, temp = tmp_path / "data", tmp_path / "tmp"
    temp.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    (temp / "prima-demo-report.html").symlink_to(victim)
    env = {"PRIMA_DATA_DIR": str(data), "TMPDIR": str(temp)}
    proc = run_prima(["demo"], env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    said = re.search(r"written to (\S+) \(open it", proc.stderr)
    assert said, proc.stderr
    report = Path(said.group(1))
    assert report.parent == temp and re.fullmatch(r"prima-demo-report-\w{8}\.html", report.name)
    assert report.stat().st_size > 10_000 and "Demo Madrid" in report.read_text()
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert victim.read_text() == "not yours"
    assert (temp / "prima-demo-report.html").is_symlink()
    assert not data.exists()
    # a script reads the path from the JSON (the line above is silent with --json)
    again = run_prima(["demo", "--json"], env=env, timeout=180)
    assert again.returncode == 0, again.stderr
    second = Path(json.loads(again.stdout)["report"])
    assert second.parent == temp and second != report and second.stat().st_size > 10_000
    assert stat.S_IMODE(second.stat().st_mode) == 0o600


def _stable(doc: dict[str, object]) -> str:
    """The report without what moves with the clock."""
    text = json.dumps({k: v for k, v in doc.items() if k != "generated_at"}, sort_keys=True)
    return re.sub(r'"age_seconds": \d+', '"age_seconds": 0', text)


def test_migration_0011_fills_what_the_write_path_keeps(any_db_url: str, sandbox: Sandbox) -> None:
    """Bookings written through the real path (a failover, a cancel, a lunch, a sync), then
    the store downgraded below 0011 and upgraded again: the backfill gives the same report as
    the columns every transition kept."""
    import sqlalchemy as sa
    from alembic import command

    from prima_cli.store import migrate, schema
    from prima_cli.store.store import Store
    from prima_cli.store.url import normalise
    from tests.integration.conftest import cm_settings, restoo_settings

    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
           "--country", "ES")  # fmt: skip
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    cli.ok("platforms", "add", "madrid", "restoo", "--priority", "2",
           *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip

    def book(time: str) -> str:
        made = cli("bookings", "create", "madrid", "--date", day(ahead=1), "--time", time,
                   "--party", "4", *SENTINEL, "--json")  # fmt: skip
        assert made.exit_code == 0, made.stderr
        return str(made.json()["reference"])

    cli.ok("bookings", "cancel", book("13:30"), "--reason", "OTHER")
    sandbox.inject("503:covermanager:reserv/reserv:times=5")
    book("21:00")  # CoverManager is down: Restoo takes it
    cli.ok("platforms", "sync", "--days", "2")
    before = cli.ok("report", "--to", day(ahead=2), "--json").json()
    assert before["placement"]["placed_by_failover"] == 1
    assert before["status"]["all"]["cancelled_by"] == {"operator": 1}

    store = Store(normalise(any_db_url))
    below = schema.REVISIONS[schema.REVISIONS.index("0011_report_columns") - 1]
    with store.engine.begin() as conn:
        command.downgrade(migrate._config(conn, []), below)
    store.dispose()
    # 0011 and the revisions after it (0009_credentials landed after it) are applied again
    assert cli.ok("db", "migrate", "--json").json()["applied"] == list(
        schema.REVISIONS[schema.REVISIONS.index("0011_report_columns") :]
    )
    after = cli.ok("report", "--to", day(ahead=2), "--json").json()
    with Store(normalise(any_db_url)).engine.connect() as conn:  # nothing lost on the way
        assert conn.execute(sa.text("SELECT COUNT(*) FROM platform_reservations")).scalar() == 3
    # the sync steps' times were not stored before 0011: nothing to fill them from
    for doc in (before, after):
        doc["sync"].pop("step_latency_ms")
    for part in ("bookings", "status", "placement", "sync", "attention"):
        assert _stable(after[part]) == _stable(before[part]), part
