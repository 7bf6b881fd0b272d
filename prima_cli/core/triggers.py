"""What started a sync run, as its caller says (``--trigger``), recorded with the run."""

from __future__ import annotations

from enum import StrEnum

from prima_cli.errors import InvalidInput


class Trigger(StrEnum):
    MANUAL = "manual"  # a person at a terminal (the default)
    CRON = "cron"
    SYSTEMD = "systemd"  # a systemd timer
    SCRIPT = "script"  # another program or a CI job
    MONITOR = "monitor"  # a monitoring probe
    WORKER = "worker"  # set by the job engine's sync windows (`prima worker`), not given
    DEMO = "demo"  # set by `prima demo`, not given


#: the triggers a caller may name with --trigger
GIVEN = (Trigger.MANUAL, Trigger.CRON, Trigger.SYSTEMD, Trigger.SCRIPT, Trigger.MONITOR)


def parse(value: str) -> Trigger:
    """``--trigger VALUE`` (exit 2 for a trigger the caller cannot name)."""
    for trigger in GIVEN:
        if trigger.value == value:
            return trigger
    raise InvalidInput(
        f"--trigger must be one of {', '.join(t.value for t in GIVEN)}, not {value!r}"
    )
