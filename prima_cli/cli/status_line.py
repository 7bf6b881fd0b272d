"""The status line of slow platform calls on a terminal's stderr: written in place while a
call is slow, erased when it ends, so that the next message starts on a clean line."""

from __future__ import annotations

import threading
from typing import TextIO

from prima_cli.cli.terminal_text import printable

_ERASE = "\r\x1b[2K"  # to the start of the line, and clear it


class StatusLine:
    """A :data:`prima_cli.call_status.Listener` writing to ``stream`` (a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._shown = False

    def __call__(self, text: str | None) -> None:
        with self._lock:
            if text is None and not self._shown:
                return
            line = _ERASE + (printable(text) if text is not None else "")
            self._shown = text is not None
            try:
                self._stream.write(line)
                self._stream.flush()
            except (OSError, ValueError):  # a terminal gone away: nothing left to tell
                pass
