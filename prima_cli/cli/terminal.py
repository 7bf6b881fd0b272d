"""The terminal environment (streams and TTY flags), injected so tests can be a TTY or a pipe.

``PRIMA_FORCE_TTY=1`` makes prima behave as on a terminal whatever the streams are.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TextIO


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
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_tty=forced or _isatty(sys.stdin),
            stdout_tty=forced or _isatty(sys.stdout),
            stderr_tty=forced or _isatty(sys.stderr),
            no_color="NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "",
        )

    @property
    def can_prompt(self) -> bool:
        """Prompts need a person at both ends: stdin and stdout are terminals."""
        return self.stdin_tty and self.stdout_tty and not os.environ.get("PRIMA_NO_PROMPT")
