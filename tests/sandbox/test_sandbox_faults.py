"""Fault injection: the spec grammar and every fault kind over real HTTP."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from prima_cli.sandbox import FaultRule, Sandbox, SandboxConfig, parse_fault
from tests.sandbox.sandbox_support import CM, MADRID, Restoo, client, future_day

# --- grammar -----------------------------------------------------------------------


def test_parse_full_spec() -> None:
    rule = parse_fault("reset:covermanager:reserv/reserv:times=1")
    assert rule == FaultRule(kind="reset", platform="covermanager", path="reserv/reserv", times=1)
    assert rule.effective_phase == "after"


def test_parse_options_and_wildcards() -> None:
    rule = parse_fault("429:*::retry_after=5:rate=0.25")
    assert (rule.kind, rule.platform, rule.path, rule.retry_after, rule.rate) == (
        "429",
        None,
        None,
        5,
        0.25,
    )
    assert rule.effective_phase == "before"
    assert parse_fault("html:restoo:/booking:post:status=200").method == "POST"
    assert parse_fault("hang:restoo:method=GET:seconds=0.5").seconds == 0.5
    assert parse_fault("500").platform is None


@pytest.mark.parametrize(
    "spec",
    [
        "reset:covermanager:reserv/reserv:*:times=1",
        "429:restoo:*:*:rate=0.2:retry_after=3",
        "html:*:*:POST:status=200:phase=before",
    ],
)
def test_spec_round_trips(spec: str) -> None:
    assert parse_fault(parse_fault(spec).to_spec()) == parse_fault(spec)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty"),
        ("boom", "unknown kind 'boom'"),
        ("500:stripe", "unknown platform 'stripe'"),
        ("500:restoo::times=0", "times must be a positive integer"),
        ("500:restoo::times=x", "times must be a number"),
        ("500:restoo::rate=1.5", "rate must be in (0, 1]"),
        ("500:restoo::colour=red", "unknown option 'colour'"),
        ("500:times=1:restoo", "positional field 'restoo' after an option"),
        ("500:restoo:/x:GET:extra", "too many fields"),
        ("hang:restoo::phase=during", "phase must be before or after"),
    ],
)
def test_parse_errors(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_fault(spec)


# --- behaviour -----------------------------------------------------------------------


def test_reset_after_processing_loses_the_response_not_the_booking(
    sb: Sandbox, cm: CM, http: httpx.Client
) -> None:
    sb.inject("reset:covermanager:reserv/reserv:times=1")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        cm.book()
    (made,) = sb.state.reservations("covermanager")
    assert made.venue == MADRID
    assert sb.requests_log[-1].status is None and sb.requests_log[-1].fault == "reset"
    # used up: the next identical request gets an answer (the duplicate quirk returns the id)
    assert cm.book().json()["id_reserv"] == made.id
    assert sb.faults == []


def test_reset_before_processing_books_nothing(sb: Sandbox, restoo: Restoo) -> None:
    sb.inject("reset:restoo:/booking:phase=before:times=1")
    with pytest.raises(httpx.TransportError):
        restoo.book()
    assert sb.state.reservations() == []


def test_hang_past_the_client_timeout(sb: Sandbox, cm: CM) -> None:
    sb.inject("hang:covermanager:restaurant/list:seconds=1:times=1")
    with client(timeout=0.3) as short, pytest.raises(httpx.ReadTimeout):
        short.get(f"{cm.base}/restaurant/list/{cm.key}/")
    assert cm.get("restaurant/list").status_code == 200


def test_hang_is_cut_short_by_stop(http: httpx.Client) -> None:
    sb = Sandbox(SandboxConfig(faults=["hang:::seconds=30"])).start()
    started = time.monotonic()
    try:
        with pytest.raises(httpx.TransportError):
            http.get(sb.base_url + "/restoo/partners/prima/v3/status", timeout=0.2)
    finally:
        sb.stop()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("platform_path", "body"),
    [
        ("/covermanager/api/restaurant/list/x/", {"resp": 0, "error": "Too Many Requests"}),
        ("/restoo/partners/prima/v3/status", {"message": "Too Many Requests"}),
    ],
)
def test_429_with_retry_after(
    sb: Sandbox, http: httpx.Client, platform_path: str, body: dict
) -> None:
    sb.inject(FaultRule(kind="429", retry_after=7, times=1))
    r = http.get(sb.base_url + platform_path)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.json() == body


def test_500_and_503(sb: Sandbox, cm: CM, restoo: Restoo) -> None:
    sb.inject("500:covermanager::times=1")
    sb.inject("503:restoo::retry_after=2:times=1")
    r = cm.get("restaurant/list")
    assert (r.status_code, r.json()) == (500, {"resp": 0, "error": "Internal Server Error"})
    r = restoo.status(headers=restoo.headers())
    assert (r.status_code, r.headers["Retry-After"]) == (503, "2")
    assert restoo.status(headers=restoo.headers()).status_code == 200


def test_malformed_body_after_processing(sb: Sandbox, restoo: Restoo) -> None:
    sb.inject("malformed:restoo:/booking:times=1")
    r = restoo.book()
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert len(sb.state.reservations("restoo")) == 1


@pytest.mark.parametrize(
    ("spec", "status"), [("html:::times=1", 502), ("html:::status=200:times=1", 200)]
)
def test_html_error_page(sb: Sandbox, cm: CM, spec: str, status: int) -> None:
    sb.inject(spec)
    r = cm.post("reserv/availability", {"restaurant": MADRID, "date": future_day().isoformat()})
    assert r.status_code == status
    assert r.headers["Content-Type"] == "text/html"
    assert r.text.startswith("<html>")


def test_rules_target_platform_path_and_method(sb: Sandbox, cm: CM, restoo: Restoo) -> None:
    sb.inject("500:restoo:/cancel:POST")
    assert cm.get("restaurant/list").status_code == 200
    assert restoo.status(headers=restoo.headers()).status_code == 200
    booked = restoo.book().json()["uuid"]
    assert restoo.cancel(booked, {"cancelReason": "OTHER"}).status_code == 500
    assert restoo.cancel(booked, {"cancelReason": "OTHER"}).status_code == 500  # no times: always
    sb.clear_faults()
    assert restoo.cancel(booked, {"cancelReason": "OTHER"}).status_code == 200


def _pattern(seed: int) -> list[int]:
    config = SandboxConfig(seed=seed, faults=["503:covermanager::rate=0.5"])
    with Sandbox(config) as sb, client() as http:
        cm = CM(sb, http)
        return [cm.get("restaurant/list").status_code for _ in range(24)]


def test_rate_faults_are_deterministic_for_a_seed() -> None:
    first, again, other = _pattern(0), _pattern(0), _pattern(1)
    assert first == again
    assert first != other
    assert 4 <= first.count(503) <= 20


def test_faults_from_config_and_latency() -> None:
    config = SandboxConfig(latency_ms=150, faults=["500:restoo::times=1"])
    with Sandbox(config) as sb, client() as http:
        restoo = Restoo(sb, http)
        started = time.monotonic()
        assert restoo.status(headers=restoo.headers()).status_code == 500
        assert restoo.status(headers=restoo.headers()).status_code == 200
        assert time.monotonic() - started >= 0.3
