"""Entry point: runs the command tree and maps every error to its exit code, in one place."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from prima_cli import collector
from prima_cli.cli.application import Application
from prima_cli.cli.logs import configure_logging
from prima_cli.cli.terminal import Interrupted, OutputLost, ReaderGone, Terminal
from prima_cli.errors import (
    CommandInterrupted,
    ExitCode,
    InvalidInput,
    OutputNotWritten,
    PrimaError,
)

COMPLETE_VAR = "_PRIMA_COMPLETE"


#: the status of a program that stopped writing because its reader went away (128 + SIGPIPE),
#: as the shell reports `yes | head -1`
CLOSED_PIPE = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests): nothing will flush it
        pass


#: the collector's thresholds for a prima process (see ``prima_cli.collector``; benchmarks
#: reuse them)
GC_THRESHOLDS = collector.THRESHOLDS


def main(argv: Sequence[str] | None = None, terminal: Terminal | None = None) -> int:
    """Run prima with ``argv``; returns the exit code. Tests call this with a fake terminal."""
    # A short-lived process whose imports (SQLAlchemy, pydantic) leave hundreds of thousands
    # of objects that the default collector rescans every 700 allocations, while syncs and
    # long lists allocate millions: collecting less often saves a large share of their CPU.
    collector.use_thresholds()
    import typer
    from typer.main import get_command

    from prima_cli.cli import typer_compat
    from prima_cli.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    terminal = terminal or Terminal.from_system()
    state = Application(terminal)
    json_mode = machine_output(args)
    state.output.json_mode = json_mode
    configure_logging(terminal, verbose=False)  # the root callback raises it for --verbose
    if terminal.stderr_tty:  # "CoverManager, attempt 2 of 4 ..." while a call is slow
        from prima_cli import call_status
        from prima_cli.cli.status_line import StatusLine

        call_status.listen(StatusLine(terminal.stderr))
    if COMPLETE_VAR in os.environ:
        typer_compat.init_completion()
    command = get_command(app)
    usage_error = typer_compat.usage_error_base()
    try:
        refuse_undecodable(args)
        result = command.main(args=args, prog_name="prima", standalone_mode=False, obj=state)
        terminal.stdout.flush()  # a full disk says so now, not at the interpreter's exit
        state.output.end()
        return int(result) if isinstance(result, int) else 0
    except PrimaError as err:
        state.output.error(err)
        return int(err.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        terminal.stderr.write("aborted\n")
        return int(ExitCode.INTERRUPTED)
    except usage_error as exc:
        hint = global_option_hint(exc, args)
        if json_mode:
            state.output.error(InvalidInput(exc.format_message(), hint=hint))  # type: ignore[attr-defined]
        else:
            typer_compat.show_usage_error(exc, terminal.stderr)
            if hint:
                state.output.info(f"hint: {hint}")
        return int(exc.exit_code)  # type: ignore[attr-defined]
    except (KeyboardInterrupt, Interrupted):
        if state.output.json_mode or state.output.structured:  # every stderr line parses
            state.output.error(CommandInterrupted("interrupted"))
        else:
            terminal.stderr.write("interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except (ReaderGone, BrokenPipeError):  # `prima bookings list | head -1`: the reader is done
        _silence_stdout()
        return CLOSED_PIPE
    except OutputLost as lost:  # the work may be done (a booking made): never "report a bug"
        _silence_stdout()
        unwritten = OutputNotWritten(
            f"the command ran, but its output could not be written ({lost.reason})",
            hint="what it did stands: look (`prima bookings list`, `prima platforms history`) "
            "before running it again",
        )
        state.output.error(unwritten)
        return int(unwritten.exit_code)
    except Exception as exc:  # the last resort: one sentence, traceback only with -v
        if state.verbose:
            from prima_cli import redact
            from prima_cli.cli.terminal_text import printable

            # exception messages quote data (a platform's answer): no control reaches the tty
            terminal.stderr.write(printable(redact.scrub(traceback_text(exc)), lines=True))
        shown = last_resort_error(exc, state)
        state.output.error(shown)
        return int(shown.exit_code)
    finally:
        state.close()
        if terminal.stderr_tty:
            from prima_cli import call_status

            call_status.listen(None)


def refuse_undecodable(args: Sequence[str]) -> None:
    """Refuse (exit 2) an argument holding bytes that are not UTF-8 text.

    Python reads such bytes (``Caf\\xe9`` from a Latin-1 export) as lone surrogates, which
    the database, the JSON encoder and URLs refuse: deep in a command, as an internal
    error, or once stored, in every listing of it. The message
    names the argument and the byte, never the text: it may be a secret.
    """
    for number, arg in enumerate(args, start=1):
        if arg.isascii():
            continue
        for index, char in enumerate(arg):
            if "\udc80" <= char <= "\udcff":
                raise InvalidInput(
                    f"argument {number} is not UTF-8 text: byte 0x{ord(char) - 0xDC00:02x} "
                    f"at character {index + 1}",
                    hint="prima reads its arguments as UTF-8: convert the text first (e.g. "
                    "`iconv -f latin1 -t utf-8`), or run it in a UTF-8 locale",
                )


#: the options of `prima` itself, which go before the command
GLOBAL_OPTIONS = ("--db", "--verbose", "-v")


def global_option_hint(exc: BaseException, args: Sequence[str]) -> str | None:
    """Where a global option given after the command goes (``prima --db URL bookings list``)."""
    name = getattr(exc, "option_name", None)
    if name not in GLOBAL_OPTIONS:
        return None
    moved = [name]
    rest = list(args)
    at = rest.index(name) if name in rest else -1
    if at >= 0:
        rest.pop(at)
        if name == "--db" and at < len(rest):
            moved.append(rest.pop(at))
    return f"global options go before the command: prima {' '.join([*moved, *rest])}"


def machine_output(args: Sequence[str]) -> bool:
    """Whether ``args`` ask for data for scripts (--json, --jq, a --format but table): then
    errors, usage errors included, are written as JSON, even before the options are parsed."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("--json", "--jq") or arg.startswith("--jq="):
            return True
        if arg == "--format" and index + 1 < len(args):
            return args[index + 1].lower() != "table"
        if arg.startswith("--format="):
            return arg.partition("=")[2].lower() != "table"
    return False


def _database_error(exc: BaseException) -> bool:
    # SQLAlchemy is loaded by then if it raised: never imported here just to check
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


def _database_url(state: Application) -> str:
    if state.store_url is not None:
        return state.store_url
    from prima_cli.store.url import resolve

    try:
        return resolve(state.db)[0]
    except PrimaError:
        return "--db"


def last_resort_error(exc: Exception, state: Application) -> PrimaError:
    """The error to show for an exception that no layer mapped.

    A database that is unreachable or busy is still "try again later" (exit 75), wherever
    the call was made. Anything else is an internal error (exit 1), named by its class and
    its first line; for database errors the driver's first line, since SQLAlchemy's own
    message carries the SQL statement and its parameters (guests' details).
    """
    if _database_error(exc):
        from prima_cli.store.engine import connect_error, describe, is_busy, is_unavailable

        if is_unavailable(exc) or is_busy(exc):  # type: ignore[arg-type]
            mapped = connect_error(_database_url(state), exc)  # type: ignore[arg-type]
            mapped.__cause__ = exc
            return mapped
        summary = describe(exc)
    else:
        summary = f"{type(exc).__name__}: {exc}"
    return PrimaError(
        f"internal error: {summary}",
        hint="rerun with --verbose for the traceback and report it",
    )


def traceback_text(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes, as Python prints it, except that database
    errors show the driver's first line instead of the SQL statement and its parameters."""
    import traceback

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        cause = current.__cause__
        current = (
            cause if cause is not None or current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for position, item in enumerate(reversed(chain)):
        if position:
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if item.__cause__ is not None
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        if _database_error(item):
            from prima_cli.store.engine import driver_message

            message = driver_message(item)
        else:
            message = str(item)
        kind = type(item)
        parts.append(f"{kind.__module__}.{kind.__qualname__}: {message}\n")
    return "".join(parts)


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command-line tool, which prima never runs.

    ``import httpx`` imports ``httpx._main`` whenever click is installed (pipx's userpath
    brings it), and with it pygments and rich's syntax and progress modules: 45 ms of CPU
    at the start of every command that calls a platform. A ``None`` entry in
    ``sys.modules`` makes that import fail, which httpx takes as its CLI extra not being
    installed (``httpx.main`` then says so if anyone calls it).
    """
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm_as_on_ctrl_c() -> None:
    """SIGTERM (systemd stopping a unit or ending one past its timeout, `kill`) ends a
    command as Ctrl-C does: the sync records its run as interrupted and lets go of its
    lock, monitoring is told, and stderr says so (exit 130), where the default killed the
    process silently. Commands with their own handling (`worker run`, `sandbox serve`)
    install theirs over this one; a SIGTERM the parent ignores stays ignored."""
    import signal

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminated)


def run() -> None:
    """Console script ``prima``."""
    if sys.argv[1:] == ["--version"]:  # answered before Typer is even imported
        from prima_cli import VERSION_LINE

        try:
            sys.stdout.write(VERSION_LINE + "\n")
            sys.stdout.flush()
        except OSError as exc:
            _silence_stdout()
            sys.stderr.write(f"error: the version could not be written ({exc.strerror})\n")
            sys.exit(int(ExitCode.OUTPUT_LOST))
        sys.exit(0)
    collector.start_up()
    skip_httpx_cli()
    _stop_on_sigterm_as_on_ctrl_c()
    code = main()
    # At shutdown the collector makes a last full pass over every object the imports and the
    # command left, all of it spent after the output was written. Nothing of prima relies
    # on that pass (files, locks and connections are closed by now; atexit handlers still
    # run, objects are still freed by reference counting), so the survivors skip it.
    gc.freeze()
    sys.exit(code)
