"""How sync runs look: a run's results as a table, the run record and its JSON, the history
and the plan of a dry run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column
from prima_cli.cli.render import View
from prima_cli.cli.views import stored_error
from prima_cli.core.phrases import named

if TYPE_CHECKING:
    from prima_cli.core.paging import Page
    from prima_cli.core.sync_estimate import CredentialEstimate
    from prima_cli.core.sync_values import (
        ConnectionOutcome,
        Planned,
        ResultInfo,
        RunInfo,
        SyncPlan,
        SyncReport,
        SyncSteps,
    )


def steps(s: SyncSteps) -> dict[str, Any]:
    """The steps that ran, each with the fields it set (the stored record's shape)."""
    data: dict[str, Any] = {}
    if (au := s.auth) is not None:
        data["auth"] = _set({"status": au.status, "detail": au.detail})
    if (a := s.availability) is not None:
        data["availability"] = _set({"status": a.status, "detail": a.detail, "days": a.days,
                                     "slots": a.slots})  # fmt: skip
    if (r := s.reconcile) is not None:
        data["reconcile"] = {"settled": r.settled, "manual": r.manual, "in_flight": r.in_flight,
                             "errors": r.errors, "pushed": r.pushed}  # fmt: skip
        if r.queued is not None:  # a worker's sync hands its outbox to push jobs
            data["reconcile"]["queued"] = r.queued
    if (st := s.statuses) is not None:
        data["statuses"] = _set({"status": st.status, "listed": st.listed, "changed": st.changed})
    return data


def _set(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def result(r: ResultInfo) -> dict[str, Any]:
    """One connection's outcome as the run stored it."""
    return {
        "venue": r.venue_slug,
        "platform_type": r.platform_type,
        "status": r.status,
        "steps": steps(r.steps),
        "error": stored_error(None, r.error_type, r.error_message),
        "duration_ms": r.duration_ms,
    }


def run(r: RunInfo) -> dict[str, Any]:
    """A stored run, with its results (none where runs are listed)."""
    return {
        "id": r.id,
        "status": r.status,
        "trigger": r.trigger,
        "worker": r.worker,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "counts": r.counts,
        "results": [result(x) for x in r.results],
    }


RESULT_COLUMNS = (
    Column("venue", "Venue", identifier=True),
    Column("platform_type", "Type", identifier=True),
    Column("status", "Status"),
    Column("availability", "Availability"),
    Column("reconcile", "Reconciled/pushed"),
    Column("statuses", "Status changes"),
    Column("message", "Message"),
)


def _row(venue: str, platform_type: str, status: str, s: SyncSteps, message: str) -> dict[str, Any]:
    avail, rec, st = s.availability, s.reconcile, s.statuses
    return {
        "venue": venue,
        "platform_type": platform_type,
        "status": status,
        "availability": "" if avail is None
        else f"{avail.days or 0} day(s)" if avail.status == "ok" else avail.status,
        "reconcile": f"{rec.settled}/{rec.pushed}" if rec is not None else "",
        "statuses": "" if st is None
        else (st.changed if st.changed is not None else "") if st.status == "ok" else st.status,
        "message": message,
    }  # fmt: skip


def outcome_row(o: ConnectionOutcome) -> dict[str, Any]:
    return _row(o.venue_slug, o.platform_type, o.status, o.steps,
                o.error.message if o.error else "")  # fmt: skip


def result_row(r: ResultInfo) -> dict[str, Any]:
    return _row(r.venue_slug, r.platform_type, r.status, r.steps,
                (r.error_message or "") if r.error_type else "")  # fmt: skip


def _run_failed(report: SyncReport) -> tuple[str, str | None]:
    failed = [f"{o.venue_slug}/{o.platform_type}" for o in report.outcomes if o.error]
    parts = [f"{len(failed)} of {len(report.outcomes)} connection(s) failed: {named(failed)}"
             ] if failed else []  # fmt: skip
    if report.counts["attention"]:
        parts.append(f"{report.counts['attention']} booking(s) need the operator "
                     "(`prima bookings reconcile`)")  # fmt: skip
    return (f"sync run {report.run_id}: {report.status}; " + "; ".join(parts),
            f"`prima platforms history {report.run_id}` shows each connection's error")  # fmt: skip


#: a run on a terminal: each connection's outcome as it ended; JSON: the stored record
RUN_TABLE: View[SyncReport] = View(
    json=run,
    document=lambda report: run(report.record),
    columns=RESULT_COLUMNS,
    items=lambda report: report.outcomes,
    row=outcome_row,
    empty="no enabled connections to sync",
    failed=_run_failed,
)
#: an unattended run prints no data (its summary line says what happened); JSON as above
RUN_UNATTENDED: View[SyncReport] = View(json=lambda report: run(report.record),
                                        failed=_run_failed)  # fmt: skip


RUN_COLUMNS = (
    Column("id", "Run", "right", identifier=True),
    Column("started_at", "Started"),
    Column("trigger", "Trigger"),
    Column("status", "Status"),
    Column("connections", "Connections", "right"),
    Column("failed", "Failed", "right"),
    Column("seconds", "Seconds", "right"),
)


def run_row(r: RunInfo) -> dict[str, Any]:
    seconds = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
    return {
        "id": r.id,
        "started_at": r.started_at,
        "trigger": r.trigger,
        "status": r.status,
        "connections": r.counts.get("connections", ""),
        "failed": r.counts.get("failed", ""),
        "seconds": f"{seconds:.1f}" if seconds is not None else "",
    }


HISTORY: View[Page[RunInfo]] = View(json=run, columns=RUN_COLUMNS, row=run_row,
                                    empty="no sync runs")  # fmt: skip


def connection_run_row(r: RunInfo) -> dict[str, Any]:
    """A run as one connection saw it: its own status, time and error."""
    mine = r.results[0] if r.results else None
    return {**run_row(r), "status": mine.status if mine else r.status,
            "seconds": f"{mine.duration_ms / 1000:.1f}" if mine else "",
            "error": f"{mine.error_type}: {mine.error_message}" if mine and mine.error_type
            else ""}  # fmt: skip


#: `history --connection`: one row per run with that connection's outcome
CONNECTION_HISTORY: View[Page[RunInfo]] = View(
    json=run,
    columns=(*(c for c in RUN_COLUMNS if c.key not in ("connections", "failed")),
             Column("error", "Error")),
    row=connection_run_row,
    empty="no sync runs for that connection",
)  # fmt: skip
#: one run: its record, then a row per connection
RUN: View[RunInfo] = View(
    json=run,
    document=run,
    record=lambda r: [*run_row(r).items(), ("counts", r.counts)],
    columns=RESULT_COLUMNS,
    items=lambda r: r.results,
    row=result_row,
)


def planned(p: Planned) -> dict[str, Any]:
    return {"venue": p.venue_slug, "platform_type": p.platform_type, "steps": list(p.steps),
            "problem": p.problem}  # fmt: skip


def _estimate(c: CredentialEstimate) -> dict[str, Any]:
    return {"credential": c.credential, "connections": c.connections, "requests": c.requests,
            "rate_limit": c.rate_limit, "seconds": c.seconds}  # fmt: skip


def _plan_note(plan: SyncPlan) -> str:
    lines = [f"dry run: {len(plan.planned)} connection(s) would be synced"]
    if plan.credentials:
        lines.append(f"estimated duration under the budgets: at least "
                     f"{_duration(plan.estimated_seconds)}")  # fmt: skip
    lines += [f"  credential {c.credential}: {c.connections} connection(s), about {c.requests} "
              f"request(s) at {c.rate_limit}: {_duration(c.seconds)}"
              for c in plan.credentials]  # fmt: skip
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


PLAN: View[SyncPlan] = View(
    json=planned,
    document=lambda plan: {
        "status": "dry_run",
        "planned": [planned(p) for p in plan.planned],
        "credentials": [_estimate(c) for c in plan.credentials],
        "estimated_seconds": plan.estimated_seconds,
    },
    columns=(
        Column("venue", "Venue", identifier=True),
        Column("platform_type", "Type", identifier=True),
        Column("problem", "Problem"),
    ),
    items=lambda plan: plan.planned,
    row=planned,
    empty="no enabled connections to sync",
    note=_plan_note,
)
