"""Odd text in a platform's answers, through the real commands on every store: what the
platform says is stored and shown, never a crash (exit 1) of the command that read it.

A scripted CoverManager (a loopback HTTP server answering each path with a fixed body)
sends what the simulator never does: control characters, lone surrogates (a JSON escape
that no encoder writes) and texts longer than the columns that keep them.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.conftest import CLI

#: a platform's words with what no store or terminal takes as it is: NUL (PostgreSQL refuses
#: it in text), a lone surrogate (no encoder writes it) and a terminal escape sequence
ODD = "bad\u0000thing \ud800 \u001b[2Jred"


class _Platform(BaseHTTPRequestHandler):
    """CoverManager as a script: the answer of the longest key of ``answers`` in the path."""

    protocol_version = "HTTP/1.1"
    answers: ClassVar[dict[str, Any]] = {}

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        keys = sorted(self.answers, key=len, reverse=True)  # the most specific first
        found = next((self.answers[k] for k in keys if k in self.path), {"resp": 0})
        body = json.dumps(found).encode()  # ASCII: a lone surrogate as its \u escape
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


RESTAURANTS = {"resp": 1, "restaurants": [{"restaurant": "r1", "name": "R"}]}


@pytest.fixture
def platform() -> Iterator[str]:
    """The scripted platform's base URL; its answers are ``_Platform.answers``."""
    _Platform.answers = {"restaurant/list": RESTAURANTS}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def connected(any_db_url: str, platform: str) -> CLI:
    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
           "--country", "ES")  # fmt: skip
    cli.ok("platforms", "add", "madrid", "covermanager", "--set", "restaurant_id=r1",
           "--set", "api_key=literal:k-0123456789", "--set", f"base_url={platform}")  # fmt: skip
    return cli


def test_a_refusal_in_odd_text_is_stored_and_shown_not_a_crash(connected: CLI) -> None:
    """A sync whose platform refuses in such words crashed while storing its outcome (exit 1,
    an internal error: PostgreSQL's DataError on NUL, every driver's UnicodeEncodeError on
    the surrogate), and wrote nothing of the run's connections."""
    _Platform.answers["availability_calendar"] = {"resp": 0, "error": ODD}
    result = connected("platforms", "sync", "--days", "1", "--json")
    assert result.exit_code == 6, result.stderr  # rejected, as any refusal
    error = json.loads(result.stdout)["results"][0]["error"]["message"]
    assert error == "CoverManager refused: bad\ufffdthing \ufffd \ufffd[2Jred"
    shown = connected.ok("platforms", "show", "madrid", "covermanager").stdout
    assert "bad\ufffdthing" in shown and "\u001b" not in shown


@pytest.mark.parametrize("status", ["confirmed by the manager at the door, table 12", "3\u0000"])
def test_a_booking_whose_status_is_odd_text_is_recorded(connected: CLI, status: str) -> None:
    """The platform made the booking; a status text longer than the store keeps (40) or
    holding NUL failed the write of its id (exit 8: "the platform may have it"), and every
    reconcile of it failed alike: a real booking prima could never record."""
    _Platform.answers.update({
        "reserv/availability": {"resp": 1, "availability": {"people": {"2": {"20:00": {}}}}},
        "reserv/reserv": {"resp": 1, "id_reserv": "778899", "status": status},
    })  # fmt: skip
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    result = _create(connected, day)
    assert result.exit_code == 0, result.stderr
    booked = result.json()
    assert booked["status"] == "confirmed"
    shown = connected.ok("bookings", "show", "ref-1", "--json").json()
    assert "778899" in json.dumps(shown)
    # a sync reads the same status in the platform's list of the day (its statuses step)
    _Platform.answers["get_reservs"] = {"resp": 1, "reservs": [
        {"id_reserv": "778899", "date": day, "time": "20:00", "for": 2, "first_name": "Ana",
         "last_name": "Gil", "status": status}]}  # fmt: skip
    today = dt.date.today()
    around = [(today + dt.timedelta(days=n)).isoformat() for n in range(-1, 3)]
    _Platform.answers["availability_calendar"] = {"resp": 1, "calendar": {d: [] for d in around}}
    synced = connected("platforms", "sync", "--days", "1", "--json")
    assert synced.exit_code == 0, synced.stdout


def test_a_booking_whose_answer_holds_odd_text_is_recorded(connected: CLI) -> None:
    """The platform's answer is kept whole (``raw_response``, a JSON column): a lone
    surrogate in it is a JSON escape that MariaDB's JSON check refuses."""
    _Platform.answers.update({
        "reserv/availability": {"resp": 1, "availability": {"people": {"2": {"20:00": {}}}}},
        "reserv/reserv": {"resp": 1, "id_reserv": "778899", "status": "1",
                          "commentary": ODD},
    })  # fmt: skip
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    result = _create(connected, day)
    assert result.exit_code == 0, result.stderr


def _create(connected: CLI, day: str) -> Any:
    """``bookings create ref-1`` for two at 20:00 on ``day``, as the scripted platform answers."""
    return connected("bookings", "create", "madrid", "--date", day, "--time", "20:00",
                     "--party", "2", "--name", "Ana Gil", "--email", "a@example.org",
                     "--phone", "+34612483907", "--reference", "ref-1", "--json")  # fmt: skip
