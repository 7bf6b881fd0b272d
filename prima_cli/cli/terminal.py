"""The terminal environment (streams and TTY flags), injected so tests can be a TTY or a pipe.

``PRIMA_FORCE_TTY=1`` makes prima behave as on a terminal whatever the streams are.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, TextIO


class ReaderGone(Exception):
    """stdout's reader closed the pipe (``prima bookings list | head -1``).

    Not an OSError, so that no layer in between (Click turns EPIPE into exit 1) takes it for
    a failure; ``main`` ends quietly with the shell's status for it."""


class OutputLost(Exception):
    """stdout could not be written (a full disk, an I/O error) for a reason other than its
    reader leaving: the command's work may be done (a booking made), so ``main`` says that
    the output, not the work, was lost."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Interrupted(Exception):
    """Ctrl-C, carried past Typer (which turns KeyboardInterrupt into a silent exit 130) to
    ``main``, which says "interrupted"."""


class _PipeGuard:
    """stdout, with a closed pipe raised as :class:`ReaderGone` and any other failure to
    write it as :class:`OutputLost`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise ReaderGone from None
        except OSError as exc:
            raise OutputLost(exc.strerror or str(exc)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise ReaderGone from None
        except OSError as exc:
            raise OutputLost(exc.strerror or str(exc)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _DiagnosticsGuard:
    """stderr, whose failure to be written (its reader gone, a full disk) loses the
    diagnostics but neither stops the command nor changes its exit status, which is then
    all that tells a caller what happened (a failed write stopped a sync halfway and turned
    every exit code into 1)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self._stream.write(text)
            except OSError:
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self._stream.flush()
            except OSError:
                self._lose()

    def _lose(self) -> None:
        """Stop writing, and point the descriptor at /dev/null so that the interpreter's
        last flush of what is still buffered does not fail (and set the status to 120)."""
        self.lost = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file: nothing flushes it
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Terminal:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_tty: bool
    stdout_tty: bool
    stderr_tty: bool
    no_color: bool

    @classmethod
    def from_system(cls) -> Terminal:
        forced = os.environ.get("PRIMA_FORCE_TTY", "") not in ("", "0")
        return cls(
            stdin=sys.stdin,
            stdout=_PipeGuard(sys.stdout),  # type: ignore[arg-type]
            stderr=_DiagnosticsGuard(sys.stderr),  # type: ignore[arg-type]
            stdin_tty=forced or _isatty(sys.stdin),
            stdout_tty=forced or _isatty(sys.stdout),
            stderr_tty=forced or _isatty(sys.stderr),
            no_color="NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "",
        )

    @property
    def can_prompt(self) -> bool:
        """Prompts need a person at both ends: stdin and stdout are terminals."""
        return self.stdin_tty and self.stdout_tty and not os.environ.get("PRIMA_NO_PROMPT")
