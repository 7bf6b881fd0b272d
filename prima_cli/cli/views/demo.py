"""How the demo and the simulator's start-up look."""

from __future__ import annotations

from collections.abc import Iterator
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
