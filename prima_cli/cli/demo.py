"""`prima demo`: migrate, start the simulator, and walk through everything prima does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from prima_cli.cli.application import application
from prima_cli.cli.views import demo as view

if TYPE_CHECKING:
    from prima_cli.cli.output import Output
    from prima_cli.core.demo import DemoStep


def _printer(out: Output) -> Callable[[DemoStep], None]:
    """Print each step as it completes (informational: silent with --json)."""

    def show(step: DemoStep) -> None:
        out.success(step.title)
        for line in step.lines:
            out.info(f"  {line}")

    return show


def demo(
    ctx: typer.Context,
    seed: int = typer.Option(0, help="Simulator seed (same seed, same credentials)."),
    json: bool = typer.Option(False, "--json", help="Print the steps as one JSON document."),
    report_file: Path | None = typer.Option(
        None,
        "--report",
        metavar="FILE",
        help="Where the demo's HTML report goes (default: demo-report.html in the data directory).",
    ),
) -> int:
    """Run the whole flow on the chosen store against the built-in simulator (no network)."""
    from prima_cli.core import demo as core
    from prima_cli.sandbox import Sandbox, SandboxConfig

    app_ = application(ctx)
    out = app_.use_json(json)
    store = app_.store(require_schema=False, create=True)
    run = core.run(store, app_.http_options(), lambda: Sandbox(SandboxConfig(seed=seed)),
                   _printer(out))  # fmt: skip
    if run.value.report is not None:
        from prima_cli.cli.views.report_html import write
        from prima_cli.store.url import data_dir

        report_file = report_file or data_dir() / "demo-report.html"
        write(report_file, run.value.report)
        return app_.render(run, view.finished(report_file), json=json)
    return app_.render(run, view.DEMO, json=json)
