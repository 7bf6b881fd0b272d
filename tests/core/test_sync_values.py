"""Sync steps are typed values; their stored record and their JSON are the same mappings."""

from __future__ import annotations

import pytest

from prima_cli.cli.views.sync import steps
from prima_cli.core.sync_values import (
    AuthStep,
    AvailabilityStep,
    ReconcileStep,
    StatusesStep,
    SyncSteps,
)

EXAMPLES = [
    SyncSteps(),
    SyncSteps(auth=AuthStep("failed")),
    SyncSteps(
        auth=AuthStep("ok", "API key accepted"),
        availability=AvailabilityStep("ok", days=7, slots=120),
        reconcile=ReconcileStep(settled=1, manual=2, in_flight=0, errors=0, pushed=3),
        statuses=StatusesStep("ok", listed=4, changed=1),
    ),
    SyncSteps(
        auth=AuthStep("ok", "ok"),
        availability=AvailabilityStep("unsupported", detail="no calendar"),
        reconcile=ReconcileStep(),
        statuses=StatusesStep("unsupported"),
    ),
    SyncSteps(
        auth=AuthStep("ok", "ok"),
        availability=AvailabilityStep("refused", days=0),
        statuses=StatusesStep("failed"),
    ),
    SyncSteps(auth=AuthStep("ok", "ok"), availability=AvailabilityStep("failed")),
]


@pytest.mark.parametrize("value", EXAMPLES)
def test_the_view_prints_the_stored_record_and_reads_back_alike(value: SyncSteps) -> None:
    record = value.to_record()
    assert steps(value) == record
    assert list(steps(value)) == list(record)  # the same keys in the same order
    assert SyncSteps.from_record(record) == value


def test_the_record_keeps_the_keys_each_step_set() -> None:
    record = EXAMPLES[3].to_record()
    assert record == {
        "auth": {"status": "ok", "detail": "ok"},
        "availability": {"status": "unsupported", "detail": "no calendar"},
        "reconcile": {"settled": 0, "manual": 0, "in_flight": 0, "errors": 0, "pushed": 0},
        "statuses": {"status": "unsupported"},
    }
    assert list(EXAMPLES[2].to_record()["availability"]) == ["status", "days", "slots"]


def test_runs_recorded_before_typed_steps_read_their_auth_prose() -> None:
    assert SyncSteps.from_record({"auth": "API key accepted"}).auth == AuthStep(
        "ok", "API key accepted"
    )
    assert SyncSteps.from_record({"auth": "failed"}).auth == AuthStep("failed")
