"""Durations as operators type them, the health rules and the metrics file's carry-over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prima_cli.core import metrics
from prima_cli.core.durations import parse_duration, parse_since
from prima_cli.core.health import ConnectionFacts, SyncFacts, evaluate
from prima_cli.errors import InvalidInput

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("30d", 2592000), ("1w", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, option="--x") == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0m", "15", "m", "1.5h", "-2h", "2 hours", "1y"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="--max-sync-age must be a positive duration"):
        parse_duration(text, option="--max-sync-age")


def test_since_takes_a_duration_or_a_date() -> None:
    assert parse_since("2h", option="--since", now=NOW) == NOW - dt.timedelta(hours=2)
    assert parse_since("2026-12-01", option="--since", now=NOW) == dt.datetime(
        2026, 12, 1, tzinfo=dt.UTC
    )
    offset = parse_since("2026-12-01T08:00+01:00", option="--since", now=NOW)
    assert offset == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="--since"):
        parse_since("yesterday", option="--since", now=NOW)


def facts(*connections: ConnectionFacts, attention: int = 0) -> SyncFacts:
    return SyncFacts(None, None, None, None, list(connections), attention)


def conn(venue: str, ago: dt.timedelta | None, *, enabled: bool = True) -> ConnectionFacts:
    synced = NOW - ago if ago is not None else None
    return ConnectionFacts(1, venue, "covermanager", enabled, synced, "ok" if synced else None)


def test_health_counts_only_enabled_connections_and_the_threshold() -> None:
    fresh, stale = conn("fresh", dt.timedelta(minutes=5)), conn("stale", dt.timedelta(hours=3))
    off = conn("off", dt.timedelta(days=30), enabled=False)
    [check] = evaluate(facts(fresh, off), now=NOW, max_sync_age=dt.timedelta(minutes=15))
    assert check.ok and "every enabled connection (1)" in check.detail
    [check] = evaluate(facts(fresh, stale, conn("new", None)), now=NOW,
                       max_sync_age=dt.timedelta(hours=1))  # fmt: skip
    assert not check.ok and "stale/covermanager" in check.detail and "fresh" not in check.detail
    assert "new/covermanager (never synced)" in check.detail
    [check] = evaluate(facts(attention=3), now=NOW, max_attention=2)
    assert not check.ok and check.name == "attention"
    assert evaluate(facts(attention=2), now=NOW, max_attention=2)[0].ok
    assert evaluate(facts(), now=NOW) == []


def test_a_metrics_file_someone_else_broke_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "prima.prom"
    path.write_text("this is { not the exposition format\n")
    metrics.write(path, metrics.RunMetrics(NOW, NOW + dt.timedelta(seconds=3), 75), None)
    names = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    assert set(names) == set(metrics.RUN_FAMILIES)
    assert names["prima_sync_last_run_duration_seconds"].samples[0].value == 3
