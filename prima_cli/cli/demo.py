"""`prima demo`: migrate, start the simulator, and walk through everything prima does."""

from __future__ import annotations

import typer

from prima_cli.cli.state import current


def demo(
    seed: int = typer.Option(0, help="Simulator seed (same seed, same credentials)."),
    json: bool = typer.Option(False, "--json", help="Print the steps as one JSON document."),
) -> None:
    """Run the whole flow on the chosen store against the built-in simulator (no network)."""
    from prima_cli.core.demo import DemoStep, run_demo
    from prima_cli.sandbox import Sandbox, SandboxConfig
    from prima_cli.store import migrate

    state = current()
    out = state.use_json(json)
    store = state.store(require_schema=False, create=True)
    result = migrate.upgrade(store)
    out.success(f"Database {store.display_url} at {result.to_revision}")

    def show(step: DemoStep) -> None:
        out.success(step.title)
        for line in step.lines:
            out.info(f"  {line}")

    with Sandbox(SandboxConfig(seed=seed)) as sandbox:
        steps = run_demo(store, sandbox, state.http_options(), show)
    if json:
        out.json(
            {
                "database": store.display_url,
                "schema": result.to_revision,
                "steps": [{"title": s.title, "lines": s.lines, "data": s.data} for s in steps],
            }
        )
    else:
        out.success("Demo finished: see `prima venues list` and `prima platforms list`.")
