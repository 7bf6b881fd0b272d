"""How the demo and the simulator's start-up look."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prima_cli.cli.render import View

if TYPE_CHECKING:
    from prima_cli.core.demo import DemoRun
    from prima_cli.sandbox import Sandbox


def _demo(r: DemoRun) -> dict[str, Any]:
    return {
        "database": r.database,
        "schema": r.schema,
        "steps": [{"title": s.title, "lines": s.lines, "data": s.data} for s in r.steps],
    }


#: `prima demo` (its steps are printed as they happen; this is the end of it)
DEMO: View[DemoRun] = View(
    json=_demo,
    message=lambda _r: "Demo finished: see `prima venues list` and `prima platforms list`.",
)


def finished(report_file: Path) -> View[DemoRun]:
    """The end of `prima demo` once its HTML report is written: where, and its key figures."""

    def line(r: DemoRun) -> str:
        done = "Demo finished: see `prima venues list` and `prima platforms list`."
        if r.report is None:
            return done
        b, a = r.report.bookings, r.report.attention
        return (f"{done}\nReport of the demo venues ({r.report.filters.date_from} to "
                f"{r.report.filters.date_to}): {b.total.bookings} bookings, {b.total.covers} "
                f"covers, {a.count} needing attention; written to {report_file} (open it in a "
                f"browser; `prima report --venue prima-demo-madrid` shows it here)")  # fmt: skip

    return View(json=_demo, message=line)


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
