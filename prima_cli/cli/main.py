"""Entry point: runs the command tree and maps every error to its exit code, in one place."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Sequence

from prima_cli.cli.state import AppState, set_current
from prima_cli.cli.terminal import Terminal
from prima_cli.errors import ExitCode, InvalidInput, PrimaError

COMPLETE_VAR = "_PRIMA_COMPLETE"


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from prima_cli import redact

        return redact.scrub(super().format(record))


def configure_logging(terminal: Terminal, verbose: bool) -> None:
    """Route every ``prima.*`` log (HTTP trace included) to the terminal's stderr, scrubbed."""
    logger = logging.getLogger("prima")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(terminal.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


#: the collector's thresholds for a prima process (see ``main``; benchmarks reuse them)
GC_THRESHOLDS = (100_000, 50, 100)


def main(argv: Sequence[str] | None = None, terminal: Terminal | None = None) -> int:
    """Run prima with ``argv``; returns the exit code. Tests call this with a fake terminal."""
    # A short-lived process whose imports (SQLAlchemy, pydantic) leave ~500k objects that the
    # default collector rescans every 700 allocations; sync and long lists allocate millions.
    # Collecting less often cut a 1,000-connection sync from 10.4 s to 7.1 s (bench/sync.py).
    gc.set_threshold(*GC_THRESHOLDS)
    import typer
    from typer._click.exceptions import ClickException  # typer vendors click since 0.26
    from typer.main import get_command

    from prima_cli.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    terminal = terminal or Terminal.from_system()
    state = AppState(terminal)
    set_current(state)
    json_mode = "--json" in args
    state.output.json_mode = json_mode
    configure_logging(terminal, verbose=False)  # the root callback raises it for --verbose
    if COMPLETE_VAR in os.environ:
        from typer._completion_classes import completion_init

        completion_init()
    command = get_command(app)
    try:
        result = command.main(args=args, prog_name="prima", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except PrimaError as err:
        state.output.error(err)
        return int(err.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        terminal.stderr.write("aborted\n")
        return int(ExitCode.INTERRUPTED)
    except ClickException as exc:
        if json_mode:
            state.output.error(InvalidInput(exc.format_message()))
        else:
            exc.show(file=terminal.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        terminal.stderr.write("interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # the last resort: one sentence, traceback only with -v
        if state.verbose:
            import traceback

            from prima_cli import redact

            terminal.stderr.write(redact.scrub(traceback.format_exc()))
        internal = PrimaError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="rerun with --verbose for the traceback and report it",
        )
        state.output.error(internal)
        return int(ExitCode.INTERNAL)
    finally:
        state.close()
        set_current(None)


def run() -> None:
    """Console script ``prima``."""
    if sys.argv[1:] == ["--version"]:  # answered before Typer is even imported
        from prima_cli import VERSION_LINE

        sys.stdout.write(VERSION_LINE + "\n")
        sys.exit(0)
    code = main()
    # At shutdown the collector makes a last full pass over every object the imports and the
    # command left: 61 ms after `venues list --json` of 1,000 venues, 180 ms after a
    # 1,000-connection sync, all spent after the output was written. Nothing of prima relies
    # on that pass (files, locks and connections are closed by now; atexit handlers still
    # run, objects are still freed by reference counting), so the survivors skip it.
    gc.freeze()
    sys.exit(code)
