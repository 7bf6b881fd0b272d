"""What a sync run leaves for the operator: one problem per connection that failed or left
bookings to settle by hand, each naming its connection once and with a hint that can be
pasted as it is (the connection is known, so the command names it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prima_cli.core.sync_values import ConnectionOutcome, SyncReport
    from prima_cli.errors import PrimaError

#: error types a later run may get past by itself (the platform or network was down)
_TRANSIENT = frozenset(
    {"platform_unavailable", "platform_rate_limited", "platform_malformed_response",
     "try_again_later", "database_busy", "database_unavailable"}
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One thing the operator must look at: where, what, and what to run."""

    connection: str  # venue/platform_type
    message: str
    hint: str
    error_type: str | None = None
    connection_id: int | None = None

    def fields(self) -> dict[str, object]:
        """The problem's context, for structured logs."""
        venue, _, platform = self.connection.partition("/")
        return {"venue": venue, "platform": platform, "connection_id": self.connection_id,
                "error_type": self.error_type, "hint": self.hint}  # fmt: skip

    def line(self) -> str:
        return f"{self.connection}: {self.message}; hint: {self.hint}"


def problems(report: SyncReport) -> list[Problem]:
    """The run's problems, in the order the connections ended."""
    found: list[Problem] = []
    for outcome in report.outcomes:
        where = f"{outcome.venue_slug}/{outcome.platform_type}"
        if outcome.error is not None:
            found.append(
                Problem(where, _without_prefix(outcome.error.message, where),
                        _hint(outcome, outcome.error), outcome.error.type,
                        outcome.connection_id)
            )  # fmt: skip
        manual = outcome.steps.reconcile.manual if outcome.steps.reconcile else 0
        if manual:
            found.append(
                Problem(
                    where,
                    f"{manual} booking(s) whose outcome on the platform is unknown need the "
                    "operator",
                    f"`prima bookings list --venue {outcome.venue_slug} --status unknown` lists "
                    "them; check each on the platform and record it with `prima bookings resolve`",
                    "attention",
                    outcome.connection_id,
                )
            )
    return found


def _without_prefix(message: str, where: str) -> str:
    """The message without the connection's name when the error already starts with it."""
    prefix = f"{where}: "
    while message.startswith(prefix):
        message = message[len(prefix) :]
    return message


def _secret_field(platform_type: str) -> str:
    from prima_cli.platforms import registry

    adapter = registry.available().get(platform_type)
    fields = sorted(adapter.secret_fields()) if adapter is not None else []
    return fields[0] if fields else "api_key"


def _hint(outcome: ConnectionOutcome, err: PrimaError) -> str:
    venue, kind = outcome.venue_slug, outcome.platform_type
    test = f"`prima platforms test {venue} {kind}`"
    if err.type == "platform_auth_failed":
        key = _secret_field(kind)
        return (f"give the right key with `prima platforms edit {venue} {kind} --store-secret "
                f"--set {key}=-` (read from stdin), then {test}")  # fmt: skip
    if err.type in _TRANSIENT:
        return f"the next run tries again; {test} shows whether the platform answers now"
    if err.hint and "..." not in err.hint:
        return err.hint
    return f"{test}; `prima platforms history --failed --connection {venue}/{kind}`"
