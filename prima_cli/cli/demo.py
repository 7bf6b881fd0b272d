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
        help="Where the demo's HTML report goes (default: a new "
        "prima-demo-report-XXXXXXXX.html in the system's temporary folder, readable by you "
        "only).",
    ),
) -> int:
    """Run the whole flow against the built-in simulator on a throwaway store (no network).

    The store is deleted afterwards; with `prima --db FILE demo` the demo runs on that store
    instead. PRIMA_DATABASE_URL is never used: a demo never writes a store it was not
    pointed at.
    """
    import tempfile

    from prima_cli.core import demo as core
    from prima_cli.sandbox import Sandbox, SandboxConfig

    app_ = application(ctx)
    out = app_.use_json(json)
    scratch = None
    if app_.db is None:
        scratch = tempfile.TemporaryDirectory(prefix="prima-demo-")
        app_.db = str(Path(scratch.name) / "demo.db")
    try:
        store = app_.store(require_schema=False, create=True)
        run = core.run(store, app_.http_options(), lambda: Sandbox(SandboxConfig(seed=seed)),
                       _printer(out))  # fmt: skip
        if run.value.report is not None:
            from prima_cli.cli.views import report_html

            if report_file is None:
                # a fixed name in a shared folder is another user's to take first
                report_file = report_html.write_new(run.value.report, prefix="prima-demo-report-")
            else:
                report_html.write(report_file, run.value.report)
        return app_.render(run, view.finished(report_file, throwaway=scratch is not None),
                           json=json)  # fmt: skip
    finally:
        if scratch is not None:
            app_.close()  # the store lets go of the file before its folder goes
            scratch.cleanup()
