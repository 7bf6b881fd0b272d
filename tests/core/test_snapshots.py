"""The stored form of an availability snapshot (core/snapshots.py)."""

from __future__ import annotations

import datetime as dt

from prima_cli.core import snapshots


def test_encode_writes_sizes_in_order_and_times_as_hh_mm_each_in_a_list_of_its_own() -> None:
    times = [dt.time(20, 0), dt.time(20, 15), dt.time(21, 0, 30)]
    day = {4: list(times), 2: list(times), 10: [dt.time(9, 5)]}
    first = snapshots.encode(day)
    assert first == {"2": ["20:00", "20:15", "21:00"], "4": ["20:00", "20:15", "21:00"],
                     "10": ["09:05"]}  # fmt: skip
    assert list(first) == ["2", "4", "10"]
    # the same times encoded again are not the same list: changing one changes no other
    first["2"].append("23:00")
    assert first["4"] == ["20:00", "20:15", "21:00"]
    assert snapshots.encode(day)["2"] == ["20:00", "20:15", "21:00"]
