"""How `prima report` looks: its JSON document (schema ``prima.report/1``, described in the
README) and its terminal summary. The HTML page is ``report_html.py``; all three are drawn
from one :class:`~prima_cli.core.report_values.Report`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column
from prima_cli.cli.render import Section, View

if TYPE_CHECKING:
    from prima_cli.core.report_values import (
        DayLoad,
        Load,
        LoadSplit,
        Percentiles,
        Report,
        StatusMix,
    )

SCHEMA = "prima.report/1"
SPARKS = "▁▂▃▄▅▆▇█"
STATUSES = (
    "confirmed",
    "requested",
    "pending",
    "waitlisted",
    "queued",
    "rejected",
    "failed",
    "unknown",
    "cancelled",
)
NOT_REPORTED = "not reported"


# --- JSON ----------------------------------------------------------------------------------


def _load(x: Load) -> dict[str, int]:
    return {"bookings": x.bookings, "covers": x.covers}


def _day(d: DayLoad) -> dict[str, Any]:
    return {"date": d.date, "lunch": _load(d.lunch), "dinner": _load(d.dinner)}


def _split(s: LoadSplit, key: str) -> dict[str, Any]:
    return {
        key: s.key,
        "name": s.label,
        "lunch": _load(s.lunch),
        "dinner": _load(s.dinner),
        "total": _load(s.total),
        "daily": [_day(d) for d in s.days],
        "upcoming": [_day(d) for d in s.upcoming],
    }


def _mix(m: StatusMix) -> dict[str, Any]:
    data = {k: v for k, v in asdict(m).items() if k not in ("key", "label")}
    return data


def document(r: Report) -> dict[str, Any]:
    """The whole report as one JSON document."""
    b, p, s = r.bookings, r.placement, r.sync
    return {
        "schema": SCHEMA,
        "generated_at": r.generated_at,
        "filters": {
            "from": r.filters.date_from,
            "to": r.filters.date_to,
            "venues": list(r.filters.venues),
            "platforms": list(r.filters.platforms),
        },
        "venues": [asdict(v) for v in r.venues],
        "platforms": r.platforms,
        "bookings": {
            "lunch": _load(b.lunch),
            "dinner": _load(b.dinner),
            "total": _load(b.total),
            "daily": [_day(d) for d in b.days],
            "upcoming": [_day(d) for d in b.upcoming],
            "by_venue": [_split(x, "venue") for x in b.by_venue],
            "by_platform": [_split(x, "platform_type") for x in b.by_platform],
        },
        "status": {
            "all": _mix(r.status),
            "by_venue": [{"venue": m.key, **_mix(m)} for m in r.status_by_venue],
            "by_platform": [{"platform_type": m.key, **_mix(m)} for m in r.status_by_platform],
        },
        "placement": {
            "by_platform": [{"platform_type": x.key, **_placement(x)} for x in p.by_platform],
            "by_venue": [{"venue": x.key, **_placement(x)} for x in p.by_venue],
            "attempts_per_booking": p.attempts_per_booking,
            "placed": p.placed,
            "placed_by_failover": p.by_failover,
            "failover_share": p.failover_share,
            "time_to_confirm_ms": asdict(p.time_to_confirm),
            "time_to_confirm_ms_by_platform": {
                k: asdict(v) for k, v in p.time_to_confirm_by_platform.items()
            },
        },
        "sync": {
            "runs": [{"date": d.date, "outcomes": d.outcomes} for d in s.runs],
            "connections": [asdict(c) for c in s.grid],
            "failures": [
                {
                    "platform_type": f.platform_type,
                    "date": f.date,
                    "results": f.results,
                    "failed": f.failed,
                    "rate": round(f.rate, 4),
                }
                for f in s.failure_days
            ],
            "top_errors": [asdict(e) for e in s.top_errors],
            "outcomes": s.outcomes,
            "rate_limited": s.rate_limited,
            "skipped": s.skipped,
            "duration_ms": {k: asdict(v) for k, v in s.duration.items()},
            "step_latency_ms": {
                step: {k: asdict(v) for k, v in by.items()} for step, by in s.step_latency.items()
            },
        },
        "attention": {"count": r.attention.count, "items": [asdict(i) for i in r.attention.items]},
    }


def _placement(x: Any) -> dict[str, Any]:
    return {
        "name": x.label,
        "attempts": x.attempts,
        "confirmed": x.confirmed,
        "success_rate": x.success_rate,
        "states": x.states,
        "errors": x.errors,
    }


# --- people --------------------------------------------------------------------------------


def spark(values: Sequence[float]) -> str:
    """A sparkline of ``values`` (empty for none; a flat low line for all zeros)."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(
        SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in values
    )


def bar(share: float | None, width: int = 10) -> str:
    if share is None:
        return ""
    full = round(max(0.0, min(1.0, share)) * width)
    return "█" * full + "░" * (width - full)


def pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def age(seconds: int | None) -> str:
    """How long ago, compactly: 45s, 12m, 5h, 3d."""
    if seconds is None:
        return "never"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def p50_95(p: Percentiles | None) -> str:
    if p is None or p.p50 is None:
        return "-"
    return f"{duration(p.p50)} / {duration(p.p95)}"


def _lc(x: Load) -> str:
    return f"{x.bookings} / {x.covers}"


LOAD_COLUMNS = (
    Column("name", "Venue"),
    Column("lunch", "Lunch bk/cov", "right"),
    Column("dinner", "Dinner bk/cov", "right"),
    Column("total", "Total", "right"),
    Column("daily", "Per day"),
    Column("upcoming", "Next 7 days", "right"),
)


def _load_row(
    name: str, lunch: Load, dinner: Load, days: list[DayLoad], upcoming: list[DayLoad]
) -> dict[str, Any]:
    ahead = sum((d.total for d in upcoming), start=type(lunch)())
    return {
        "name": name,
        "lunch": _lc(lunch),
        "dinner": _lc(dinner),
        "total": _lc(lunch + dinner),
        "daily": spark([d.total.bookings for d in days]),
        "upcoming": _lc(ahead),
    }


def _mix_row(m: StatusMix) -> dict[str, Any]:
    row: dict[str, Any] = {"name": m.label, "total": m.total}
    row.update({k: getattr(m, k) for k in STATUSES})
    row["cancelled"] = f"{m.cancelled}" + (
        f" ({', '.join(f'{k} {v}' for k, v in m.cancelled_by.items())})" if m.cancelled else ""
    )
    row["no_shows"] = NOT_REPORTED if m.no_shows is None else m.no_shows
    return row


def sections(r: Report) -> Iterator[Section]:
    b = r.bookings
    period = f"{r.filters.date_from} to {r.filters.date_to}"
    rows = [_load_row(s.label, s.lunch, s.dinner, s.days, s.upcoming) for s in b.by_venue]
    rows.append(_load_row("All venues", b.lunch, b.dinner, b.days, b.upcoming))
    yield Section(f"Bookings and covers, {period} (venue-local days)", LOAD_COLUMNS, rows)
    yield Section(
        "By platform",
        (Column("name", "Platform"), *LOAD_COLUMNS[1:]),
        [_load_row(s.label, s.lunch, s.dinner, s.days, s.upcoming) for s in b.by_platform],
    )
    mix_columns = (
        Column("name", "Platform"),
        Column("total", "Total", "right"),
        *(Column(k, k.capitalize(), "right") for k in STATUSES),
        Column("no_shows", "No-shows", "right"),
    )
    yield Section(
        "Status mix", mix_columns, [_mix_row(m) for m in (*r.status_by_platform, r.status)]
    )
    p = r.placement
    placement = [
        {
            "name": x.label,
            "attempts": x.attempts,
            "rate": pct(x.success_rate),
            "bar": bar(x.success_rate),
            "confirm": p50_95(p.time_to_confirm_by_platform.get(x.key)),
            "errors": ", ".join(f"{k} {v}" for k, v in list(x.errors.items())[:3]),
        }
        for x in p.by_platform
    ]
    placement.append(
        {
            "name": "All",
            "attempts": sum(x.attempts for x in p.by_platform),
            "rate": f"failover {pct(p.failover_share)}",
            "bar": " ".join(f"{k}:{v}" for k, v in p.attempts_per_booking.items()),
            "confirm": p50_95(p.time_to_confirm),
            "errors": "",
        }
    )
    yield Section(
        "Placement",
        (
            Column("name", "Platform"),
            Column("attempts", "Attempts", "right"),
            Column("rate", "Success", "right"),
            Column("bar", "", "left"),
            Column("confirm", "To confirm p50/p95", "right"),
            Column("errors", "Top errors"),
        ),
        placement,
    )
    yield from _sync_sections(r)
    a = r.attention
    yield Section(
        f"Needs attention: {a.count} booking(s)",
        (
            Column("reference", "Booking"),
            Column("venue", "Venue"),
            Column("platform_type", "Platform"),
            Column("reason", "Why"),
            Column("age", "Age", "right"),
        ),
        [
            {
                "reference": i.reference,
                "venue": i.venue,
                "platform_type": i.platform_type,
                "reason": i.reason,
                "age": age(i.age_seconds),
            }
            for i in a.items
        ],
        empty="nothing",
    )


def _sync_sections(r: Report) -> Iterator[Section]:
    s = r.sync
    days: dict[str, list[float]] = {}
    for f in s.failure_days:
        days.setdefault(f.platform_type, []).append(f.rate)
    rows = []
    for platform, outcomes in s.outcomes.items():
        total = sum(outcomes.values())
        rows.append(
            {
                "name": platform,
                "results": total,
                "failed": pct(outcomes.get("failed", 0) / total if total else None),
                "trend": spark(days.get(platform, [])),
                "limited": s.rate_limited.get(platform, 0),
                "skipped": s.skipped.get(platform, 0),
                "duration": p50_95(s.duration.get(platform)),
                "request": p50_95(s.step_latency.get("auth", {}).get(platform)),
            }
        )
    yield Section(
        "Sync health",
        (
            Column("name", "Platform"),
            Column("results", "Results", "right"),
            Column("failed", "Failed", "right"),
            Column("trend", "Failures per day"),
            Column("limited", "Rate-limited", "right"),
            Column("skipped", "Skipped", "right"),
            Column("duration", "Sync p50/p95", "right"),
            Column("request", "Auth request p50/p95", "right"),
        ),
        rows,
        empty="no sync results in this period",
    )
    platforms = sorted({c.platform_type for c in s.grid})
    grid: dict[str, dict[str, Any]] = {}
    for c in s.grid:
        cell = age(c.age_seconds) + ("" if c.enabled else " (off)")
        grid.setdefault(c.venue, {"venue": c.venue})[c.platform_type] = cell
    yield Section(
        "Time since last successful sync",
        (Column("venue", "Venue"), *(Column(p, p, "right") for p in platforms)),
        list(grid.values()),
        empty="no connections",
    )
    yield Section(
        "Top sync errors",
        (
            Column("platform_type", "Platform"),
            Column("error_type", "Error"),
            Column("count", "Count", "right"),
            Column("first_seen", "First seen"),
            Column("last_seen", "Last seen"),
        ),
        [asdict(e) for e in s.top_errors],
        empty="none",
    )


#: `prima report`: the terminal summary, or the JSON document
REPORT: View[Report] = View(json=document, sections=sections)


def written(path: Path) -> View[Report]:
    """`prima report --html FILE`: a line saying where the page went."""
    return View(
        json=document,
        message=lambda r: (
            f"report written to {path} ({r.bookings.total.bookings} "
            f"bookings, {r.filters.date_from} to {r.filters.date_to})"
        ),
    )
