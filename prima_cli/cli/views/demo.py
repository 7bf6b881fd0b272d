"""How the demo and the simulator's start-up look."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prima_cli.cli.render import View

if TYPE_CHECKING:
    from prima_cli.core.demo import DemoRun
    from prima_cli.sandbox import Sandbox
    from prima_cli.sandbox.background import Running


def _demo(r: DemoRun) -> dict[str, Any]:
    return {
        "database": r.database,
        "schema": r.schema,
        "steps": [{"title": s.title, "lines": s.lines, "data": s.data} for s in r.steps],
    }


#: `prima --db FILE demo` (its steps are printed as they happen; this is the end of it)
DEMO: View[DemoRun] = View(
    json=_demo,
    message=lambda _r: "Demo finished: see `prima venues list` and `prima platforms list`.",
)

#: `prima demo` on its own throwaway store
THROWAWAY_DEMO: View[DemoRun] = View(
    json=_demo,
    message=lambda _r: (
        "Demo finished on a throwaway store, now deleted; to keep one and look around: "
        "prima --db demo.db demo && prima --db demo.db venues list"
    ),
)


def finished(report_file: Path | None, *, throwaway: bool) -> View[DemoRun]:
    """The end of `prima demo`: the line of :data:`DEMO` or :data:`THROWAWAY_DEMO`, then
    where its HTML report went, with its key figures (in the JSON: ``report``, its path)."""
    base = THROWAWAY_DEMO if throwaway else DEMO
    again = ("prima --db demo.db demo && prima --db demo.db report" if throwaway
             else "prima report --venue prima-demo-madrid")  # fmt: skip

    def line(r: DemoRun) -> str:
        done = base.message(r) if base.message else None
        if r.report is None:
            return done or ""
        b, a = r.report.bookings, r.report.attention
        return (f"{done}\nReport of the demo venues ({r.report.filters.date_from} to "
                f"{r.report.filters.date_to}): {b.total.bookings} bookings, {b.total.covers} "
                f"covers, {a.count} needing attention; written to {report_file} (open it in a "
                f"browser; in the terminal: {again})")  # fmt: skip

    def document(r: DemoRun) -> dict[str, Any]:
        # with --json the line above is silent: the report's path is in the document
        shown = report_file if r.report is not None and report_file is not None else None
        return {**_demo(r), "report": str(shown) if shown is not None else None}

    return View(json=document, message=line)


def _serving(sandbox: Sandbox) -> dict[str, Any]:
    return {"base_url": sandbox.base_url, **sandbox.credentials().to_dict()}


def _serving_lines(sandbox: Sandbox) -> Iterator[str]:
    creds = sandbox.credentials()
    cm, restoo = creds.covermanager, creds.restoo
    yield f"CoverManager  base_url={cm.base_url}  api_key={cm.api_key}"
    for r in cm.restaurants:
        rights = "" if r.can_book else "  (read-only key: bookings get 'Action not permited')"
        yield f"  restaurant_id={r.slug}  {r.name}, {r.timezone}{rights}"
    yield (
        f"Restoo        base_url={restoo.base_url}  partner_id={restoo.partner}  "
        f"api_key={restoo.api_key}"
    )
    for a in restoo.accounts:
        yield f"  account={a.account}  {a.name}, {a.timezone}, bookings {a.booking_status}"


#: `prima sandbox serve`: the URLs and credentials of the running simulator
SERVING: View[Sandbox] = View(json=_serving, text=_serving_lines)


def _detached(running: Running) -> dict[str, Any]:
    return {"pid": running.pid, **running.document}


#: `prima sandbox serve --detach`: where the background simulator listens
DETACHED: View[Running] = View(
    json=_detached,
    message=lambda r: (
        f"sandbox running in the background (pid {r.pid}) at {r.base_url}; "
        "`prima sandbox env` prints its settings, `prima sandbox stop` ends it"
    ),
)

#: plain lines for a shell (`prima sandbox env`)
LINES: View[list[str]] = View(json=lambda lines: lines, text=lambda lines: lines)
