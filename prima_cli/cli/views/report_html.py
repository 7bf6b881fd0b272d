"""`prima report --html FILE`: the report as one self-contained page.

Offline by construction: no script, no external resource, charts as inline SVG
(``views/svg.py``), a Content-Security-Policy that forbids loading anything (the one style
block is allowed by its hash). Every value from the store is escaped. The page reflows to a
phone's width and prints on A4 without cutting a table or a chart in two.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prima_cli.cli.views import svg
from prima_cli.cli.views.report import NOT_REPORTED, STATUSES, age, duration, p50_95, pct
from prima_cli.errors import ConfigError

if TYPE_CHECKING:
    from prima_cli.core.report_values import LoadSplit, Report

STYLE = """
:root{--ink:#222;--muted:#666;--line:#ddd;--accent:#2f5d8a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
margin:0 auto;max-width:1100px;padding:16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;
border-bottom:2px solid var(--accent);padding-bottom:2px}
.meta{color:var(--muted);margin:0 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card b{display:block;font-size:22px}.card span{color:var(--muted);font-size:12px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{width:100%;height:auto;display:block;max-width:100%}
td svg.chart{width:120px}
.nr{color:var(--muted);font-style:italic}
section{break-inside:avoid;page-break-inside:avoid}
@media (max-width:600px){body{padding:8px;font-size:13px}h1{font-size:18px}
.card b{font-size:18px}}
@media print{body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}
.scroll{overflow:visible}a{color:inherit}@page{size:A4;margin:12mm}}
"""


def csp() -> str:
    """Nothing may load or run; the style block is allowed by its hash alone."""
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()
) -> str:
    """Cells are escaped here unless marked safe (wrapped in :class:`_Raw`)."""
    head = "".join(
        f'<th class="{"n" if i in numeric else ""}">{_e(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="{"n" if i in numeric else ""}">'
            f"{c.html if isinstance(c, _Raw) else _e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}" class="nr">none</td></tr>')
    rows_html = "".join(body)
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows_html}</tbody></table></div>"
    )


class _Raw:
    """Markup this module made (an SVG chart), not to be escaped again."""

    def __init__(self, html: str) -> None:
        self.html = html


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{''.join(parts)}</section>"


def _load_rows(splits: Sequence[LoadSplit]) -> list[list[Any]]:
    return [
        [
            s.label,
            s.lunch.bookings,
            s.lunch.covers,
            s.dinner.bookings,
            s.dinner.covers,
            s.total.covers,
            sum(d.total.covers for d in s.upcoming),
            _Raw(svg.sparkline([d.total.bookings for d in s.days], f"{s.label} per day")),
        ]
        for s in splits
    ]


def page(r: Report) -> str:
    """The whole HTML document."""
    b, p, s, a = r.bookings, r.placement, r.sync, r.attention
    period = f"{r.filters.date_from} to {r.filters.date_to}"
    filters = (
        ", ".join(
            [
                *(f"venue {v}" for v in r.filters.venues),
                *(f"platform {x}" for x in r.filters.platforms),
            ]
        )
        or "all venues and platforms"
    )
    cards = "".join(
        f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>'
        for k, v in (
            ("bookings", b.total.bookings),
            ("covers", b.total.covers),
            ("lunch covers", b.lunch.covers),
            ("dinner covers", b.dinner.covers),
            ("covers next 7 days", sum(d.total.covers for d in b.upcoming)),
            ("placed by failover", pct(p.failover_share)),
            ("time to confirm p50", duration(p.time_to_confirm.p50)),
            ("need attention", a.count),
        )
    )
    days = [d.date.strftime("%d %b") for d in b.days]
    daily = svg.stacked_columns(
        days,
        [
            ("lunch covers", [d.lunch.covers for d in b.days]),
            ("dinner covers", [d.dinner.covers for d in b.days]),
        ],
        f"covers per day, {period}",
    )
    ahead = svg.stacked_columns(
        [d.date.strftime("%a %d") for d in b.upcoming],
        [
            ("lunch covers", [d.lunch.covers for d in b.upcoming]),
            ("dinner covers", [d.dinner.covers for d in b.upcoming]),
        ],
        "covers in the coming days",
        height=180,
    )
    load_head = (
        "",
        "Lunch bookings",
        "Lunch covers",
        "Dinner bookings",
        "Dinner covers",
        "Covers",
        "Covers next 7 days",
        "Per day",
    )
    mixes = [*r.status_by_platform, *r.status_by_venue, r.status]
    mix_rows = [
        [
            m.label,
            m.total,
            *(getattr(m, k) for k in STATUSES),
            ", ".join(f"{k} {v}" for k, v in m.cancelled_by.items()),
            _Raw(f'<span class="nr">{NOT_REPORTED}</span>') if m.no_shows is None else m.no_shows,
        ]
        for m in mixes
    ]
    success = svg.bars(
        [
            (x.label, x.success_rate or 0.0, pct(x.success_rate))
            for x in [*p.by_platform, *p.by_venue]
        ],
        "placement success rate",
        maximum=1.0,
    )
    place_rows = [
        [
            x.label,
            x.attempts,
            x.confirmed,
            pct(x.success_rate),
            p50_95(p.time_to_confirm_by_platform.get(x.key)),
            ", ".join(f"{k} {v}" for k, v in x.errors.items()),
        ]
        for x in p.by_platform
    ]
    tries = ", ".join(f"{k}: {v}" for k, v in p.attempts_per_booking.items()) or "none"
    sync_rows = []
    for platform, outcomes in s.outcomes.items():
        total = sum(outcomes.values())
        rates = [f.rate for f in s.failure_days if f.platform_type == platform]
        sync_rows.append(
            [
                platform,
                total,
                pct(outcomes.get("failed", 0) / total if total else None),
                _Raw(svg.sparkline(rates, f"{platform} failure rate per day")),
                s.rate_limited.get(platform, 0),
                s.skipped.get(platform, 0),
                p50_95(s.duration.get(platform)),
                *(
                    p50_95(s.step_latency.get(step, {}).get(platform))
                    for step in ("auth", "availability", "statuses")
                ),
            ]
        )
    platforms = sorted({c.platform_type for c in s.grid})
    grid: dict[str, dict[str, str]] = {}
    for c in s.grid:
        grid.setdefault(c.venue, {})[c.platform_type] = age(c.age_seconds) + (
            "" if c.enabled else " (off)"
        )
    runs = svg.stacked_columns(
        [d.date.strftime("%d %b") for d in s.runs],
        [
            (k, [d.outcomes.get(k, 0) for d in s.runs])
            for k in sorted({k for d in s.runs for k in d.outcomes})
        ],
        "sync runs per day by outcome",
        height=180,
    )
    body = [
        f'<h1>prima report</h1><p class="meta">{_e(period)} (venue-local days) &middot; '
        f"{_e(filters)} &middot; generated {_e(r.generated_at.isoformat(timespec='seconds'))}</p>",
        f'<div class="cards">{cards}</div>',
        _section("Covers per day (lunch and dinner)", daily),
        _section("Coming days", ahead),
        _section(
            "Bookings and covers by venue", _table(load_head, _load_rows(b.by_venue), range(1, 7))
        ),
        _section(
            "Bookings and covers by platform",
            _table(("Platform", *load_head[1:]), _load_rows(b.by_platform), range(1, 7)),
        ),
        _section(
            "Status mix",
            _table(
                ("", "Total", *(k.capitalize() for k in STATUSES), "Cancelled by", "No-shows"),
                mix_rows,
                range(1, 10),
            ),
        ),
        _section(
            "Placement",
            success,
            _table(
                ("Platform", "Attempts", "Placed", "Success", "To confirm p50/p95", "Errors"),
                place_rows,
                (1, 2, 3),
            ),
            f"<p>Attempts per booking: {_e(tries)} &middot; placed by failover: "
            f"{_e(p.by_failover)} of {_e(p.placed)} ({_e(pct(p.failover_share))})</p>",
        ),
        _section(
            "Sync health",
            runs,
            _table(
                (
                    "Platform",
                    "Results",
                    "Failed",
                    "Failure rate per day",
                    "Rate-limited",
                    "Skipped",
                    "Sync p50/p95",
                    "Auth p50/p95",
                    "Availability p50/p95",
                    "Statuses p50/p95",
                ),
                sync_rows,
                (1, 2, 4, 5),
            ),
        ),
        _section(
            "Time since last successful sync",
            _table(
                ("Venue", *platforms),
                [[v, *(cells.get(x, "-") for x in platforms)] for v, cells in grid.items()],
            ),
        ),
        _section(
            "Top sync errors",
            _table(
                ("Platform", "Error", "Count", "First seen", "Last seen"),
                [
                    [
                        e.platform_type,
                        e.error_type,
                        e.count,
                        e.first_seen.isoformat(timespec="minutes"),
                        e.last_seen.isoformat(timespec="minutes"),
                    ]
                    for e in s.top_errors
                ],
                (2,),
            ),
        ),
        _section(
            f"Needs attention ({a.count})",
            _table(
                ("Booking", "Venue", "Platform", "Why", "Status", "Age"),
                [
                    [i.reference, i.venue, i.platform_type, i.reason, i.status, age(i.age_seconds)]
                    for i in a.items
                ],
            ),
        ),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>prima report {_e(period)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write(path: Path, r: Report) -> None:
    """Write the page to ``path`` whole or not at all (a temporary file renamed over it)."""
    target = path.expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".prima-report-", suffix=".html", dir=folder)
    except OSError as exc:
        raise _unwritable(target, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page(r))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _unwritable(target, exc) from None


def write_new(r: Report, *, prefix: str) -> Path:
    """Write the page to a new file of the system's temporary folder; its path.

    The name is unpredictable and the file is created, readable by its owner only, by this
    call (``mkstemp``): on a shared machine nobody can have put a file or a symlink there
    before, nor read the report after.
    """
    folder = Path(tempfile.gettempdir())
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".html", dir=folder)
    except OSError as exc:
        raise _unwritable(folder / f"{prefix}*.html", exc, _TMPDIR) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page(r))
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise _unwritable(Path(name), exc, _TMPDIR) from None
    return Path(name)


_TMPDIR = "set TMPDIR to a folder you can write"


def _unwritable(
    target: Path, exc: OSError, hint: str = "give --html a file in a folder you can write"
) -> ConfigError:
    return ConfigError(f"cannot write {target}: {exc.strerror}", hint=hint)
