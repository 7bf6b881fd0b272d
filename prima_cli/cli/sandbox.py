"""`prima sandbox serve|env|stop`: run the platform simulator (in the foreground or in the
background) and hand its settings to a shell."""

from __future__ import annotations

import secrets
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from prima_cli.cli import completers
from prima_cli.cli.application import application
from prima_cli.cli.options import group
from prima_cli.cli.views import demo as view
from prima_cli.errors import Conflict, InvalidInput, NotFound, TryAgainLater

if TYPE_CHECKING:
    from prima_cli.core.result import OperationResult
    from prima_cli.sandbox import Sandbox, SandboxConfig

app = group("A local simulator of the booking platforms.")


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(
        8765, envvar="PRIMA_SANDBOX_PORT", help="Port to bind (0 picks a free one)."
    ),
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
    detach: bool = typer.Option(
        False, "--detach", "-d", help="Run in the background; `prima sandbox stop` ends it."
    ),
    json: bool = typer.Option(False, "--json", help="Print URLs and credentials as JSON."),
) -> int:
    """Serve CoverManager under /covermanager/api and Restoo under /restoo until Ctrl-C
    (or `prima sandbox stop`). Its settings are kept in the data directory for
    `prima sandbox env`.
    """
    from prima_cli.sandbox import SandboxConfig, Switches, background, parse_fault

    app_ = application(ctx)
    running = background.read(run_file())
    if running is not None:
        raise Conflict(
            f"a sandbox is already running (pid {running.pid}, {running.base_url})",
            hint="`prima sandbox env` prints its settings; `prima sandbox stop` ends it",
        )
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
        # without a state file, ids start again at each start: a salt keeps them new
        id_salt="" if state_file else secrets.token_hex(4),
    )
    if detach:
        argv = ["--host", host, "--port", str(port), "--seed", str(seed),
                "--latency-ms", str(latency_ms)]  # fmt: skip
        argv += [f"--fault={spec}" for spec in fault] + [f"--switch={s}" for s in switch]
        argv += (["--state", state_file] if state_file else []) + (
            ["--log-requests"] if log_requests else []
        )
        return _detach(ctx, argv, json=json)
    started = start(config)
    code = app_.render(started, view.SERVING, json=json)
    out = app_.output
    out.info("sandbox running; Ctrl-C to stop")
    background.write(run_file(), view.SERVING.json(started.value))
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `sandbox stop` ends it as Ctrl-C
    try:
        started.value.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, previous)
        background.remove(run_file())
    out.info("sandbox stopped")
    return code


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_file() -> Path:
    """Where a running sandbox records its URLs and credentials (in the data directory)."""
    from prima_cli.store.url import data_dir

    return data_dir() / "sandbox.json"


def _detach(ctx: typer.Context, argv: list[str], *, json: bool) -> int:
    from prima_cli.core.result import OperationResult
    from prima_cli.sandbox import background

    log = run_file().with_name("sandbox.log")
    try:
        running = background.detach(argv, run_file(), log)
    except RuntimeError as exc:
        raise InvalidInput(f"the sandbox did not start: {exc}", hint=f"see {log}") from None
    app_ = application(ctx)
    return app_.render(OperationResult.ok(running), view.DETACHED, json=json)


@app.command("env")
def env(
    ctx: typer.Context,
    shell: str = typer.Option(
        "sh",
        "--shell",
        metavar="sh|fish",
        help="Syntax of the lines (sh also suits bash, zsh).",
        autocompletion=completers.shells,
    ),
) -> int:
    """Print `export` lines for the running sandbox (base URLs, keys, a venue per platform)
    and, as comments, the `--set` values that connect a venue to each platform.
    """
    from prima_cli.core.result import OperationResult
    from prima_cli.sandbox import background

    if shell not in ("sh", "fish"):
        raise InvalidInput("--shell must be sh or fish")
    running = background.read(run_file())
    if running is None:
        raise NotFound(
            "no sandbox is running for this data directory",
            hint="start one with `prima sandbox serve --detach`",
        )
    lines = list(background.shell_lines(running, shell))
    return application(ctx).render(OperationResult.ok(lines), view.LINES)


@app.command("stop")
def stop(ctx: typer.Context) -> int:
    """Stop the sandbox started with `prima sandbox serve` (none running is a success)."""
    from prima_cli.sandbox import background

    out = application(ctx).output
    running = background.read(run_file())
    if running is None:
        out.info("no sandbox is running")
        return 0
    if not background.stop(running):
        raise TryAgainLater(
            f"the sandbox (pid {running.pid}) did not stop within {background.STOP_TIMEOUT:.0f} s",
            hint=f"kill {running.pid}",
        )
    run_file().unlink(missing_ok=True)
    out.success(f"sandbox stopped (pid {running.pid})")
    return 0


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
