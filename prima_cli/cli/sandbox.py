"""`prima sandbox serve`: run the platform simulator in the foreground."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import group
from prima_cli.cli.views import demo as view
from prima_cli.errors import InvalidInput

if TYPE_CHECKING:
    from prima_cli.core.result import OperationResult
    from prima_cli.sandbox import Sandbox, SandboxConfig

app = group("A local simulator of the booking platforms.")


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8765, help="Port to bind (0 picks a free one)."),
    seed: int = typer.Option(0, help="Seed for keys and venues (same seed, same output)."),
    latency_ms: int = typer.Option(0, "--latency-ms", help="Delay added to every request."),
    fault: list[str] = typer.Option(
        [],
        "--fault",
        metavar="SPEC",
        help="Inject a fault, e.g. reset:covermanager:reserv/reserv:times=1 (repeatable).",
    ),
    switch: list[str] = typer.Option(
        [], "--switch", metavar="NAME=on|off", help="Flip a guessed platform behaviour."
    ),
    state_file: str | None = typer.Option(
        None, "--state", metavar="FILE", help="Keep reservations in this JSON file."
    ),
    log_requests: bool = typer.Option(False, "--log-requests", help="One line per request."),
    json: bool = typer.Option(False, "--json", help="Print URLs and credentials as JSON."),
) -> int:
    """Serve CoverManager under /covermanager/api and Restoo under /restoo until Ctrl-C."""
    from prima_cli.sandbox import SandboxConfig, Switches, parse_fault

    app_ = application(ctx)
    if latency_ms < 0 or not 0 <= port <= 65535:
        raise InvalidInput("--latency-ms must be >= 0 and --port between 0 and 65535")
    try:
        faults = [parse_fault(spec) for spec in fault]
        switches = Switches().with_specs(switch)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    config = SandboxConfig(
        seed=seed,
        host=host,
        port=port,
        latency_ms=latency_ms,
        faults=faults,
        switches=switches,
        state_path=state_file,
        log_requests=log_requests,
    )
    started = start(config)
    code = app_.render(started, view.SERVING, json=json)
    out = app_.output
    out.info("sandbox running; Ctrl-C to stop")
    started.value.serve_forever()
    out.info("sandbox stopped")
    return code


def start(config: SandboxConfig) -> OperationResult[Sandbox]:
    """The simulator of ``config``, listening; what it cannot do is an input error that
    names the option to change."""
    from prima_cli.core.result import OperationResult
    from prima_cli.sandbox import Sandbox

    try:
        sandbox = Sandbox(config)
    except ValueError as exc:  # a state file that cannot be read or written
        raise InvalidInput(str(exc), hint="pass another --state FILE") from None
    try:
        sandbox.start()
    except OSError as exc:
        raise InvalidInput(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror}",
            hint="choose another --port (0 picks a free one)",
        ) from None
    return OperationResult.ok(sandbox)
