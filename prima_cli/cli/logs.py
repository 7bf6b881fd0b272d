"""The one logging setup: every ``prima.*`` logger (the HTTP trace included) writes to the
invocation's stderr, scrubbed of secrets."""

from __future__ import annotations

import logging

from prima_cli.cli.terminal import Terminal


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from prima_cli import redact
        from prima_cli.cli.terminal_text import printable

        return printable(redact.scrub(super().format(record)), lines=True)


def configure_logging(terminal: Terminal, verbose: bool) -> None:
    """Route ``prima.*`` logs to the terminal's stderr: warnings always, steps with -v."""
    logger = logging.getLogger("prima")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(terminal.stderr)
    handler.setFormatter(_ScrubbingFormatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False
