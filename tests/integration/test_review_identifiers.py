"""Review: an idempotency key that is another booking's reference (PRM-...)."""

from __future__ import annotations

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.test_bookings import book, creates

pytestmark = pytest.mark.usefixtures("instant_retries")


def test_a_key_that_is_another_bookings_reference_is_not_a_second_booking(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """An operator reruns a create, giving the booking's own reference (the one the error
    named) as --reference: it must answer with that booking (or refuse), not book again."""
    first = book(madrid)
    assert first.exit_code == 0, first.stderr
    reference = first.json()["reference"]
    rerun = book(madrid, "--reference", reference)
    # the same details, "the same booking" in the operator's eyes: never a second table
    assert creates(sandbox) == 1, f"a second reservation was made (exit {rerun.exit_code})"


def test_a_key_equal_to_another_reference_is_refused_or_ambiguous(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """`bookings cancel PRM-X` must not pick one of two bookings that PRM-X names."""
    ana = book(madrid)
    assert ana.exit_code == 0, ana.stderr
    ana_ref = ana.json()["reference"]
    bea = book(madrid, "--reference", ana_ref, time="21:00")
    if bea.exit_code != 0:
        return  # refused: fine
    bea_ref = bea.json()["reference"]
    shown = madrid("bookings", "show", ana_ref, "--json")
    # PRM-X is Ana's reference and Bea's key: reading it as one of them silently is the bug
    # item 3 of issue 12 is about (there for ids, here for references)
    assert shown.exit_code == 4, (
        f"{ana_ref} names {ana_ref} and {bea_ref}, and `show` picked "
        f"{shown.json()['reference']} without a word"
    )
