"""The garbage collector's start-up and settling (prima_cli/collector.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from prima_cli import collector
from prima_cli.store.store import Store


@pytest.fixture
def thresholds() -> Iterator[None]:
    """Whatever a test does to the collector is undone (nothing stays frozen)."""
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settling_ends_the_start_up_once_and_freezes_what_is_alive(thresholds: None) -> None:
    collector.start_up()
    collector.use_thresholds()  # main() keeps the start-up of the console script
    assert collector.starting() and gc.get_threshold() == collector.START_UP
    collector.settle()
    assert gc.get_threshold() == collector.THRESHOLDS
    frozen = gc.get_freeze_count()
    assert frozen > 0
    collector.settle()  # settled: nothing more is frozen
    assert gc.get_freeze_count() == frozen


def test_outside_a_start_up_nothing_is_frozen(thresholds: None) -> None:
    collector.use_thresholds()  # as main() does when tests call it
    collector.settle()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == collector.THRESHOLDS


def test_the_first_store_session_settles(thresholds: None, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}", create=True)
    collector.start_up()
    with store.session():
        assert not collector.starting()
    assert gc.get_freeze_count() > 0
    store.dispose()
