"""Questions to the operator, asked only when a person is at the terminal."""

from __future__ import annotations

import typer

from prima_cli.cli.terminal import Terminal
from prima_cli.errors import InvalidInput


def confirm(terminal: Terminal, question: str, *, yes: bool, flag: str = "--yes") -> None:
    """Return when confirmed; otherwise raise InvalidInput (exit 2), nothing done.

    Without a terminal nobody can answer, so ``flag`` must have been given.
    """
    if yes:
        return
    if not terminal.can_prompt:
        raise InvalidInput(
            f"{question.rstrip('?')}: needs confirmation", hint=f"pass {flag} to confirm"
        )
    if not typer.confirm(question, default=False, err=True):
        raise InvalidInput("not confirmed; nothing was changed")


class TerminalSecretInput:
    """Secrets from stdin (``-``) or a hidden prompt, never echoed."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    def read_stdin(self, field: object) -> str:
        name = getattr(field, "name", "value")
        stdin = self.terminal.stdin
        if self.terminal.stdin_tty:
            return typer.prompt(f"{name}", hide_input=True, err=True)
        data = stdin.read()
        if not data.strip():
            raise InvalidInput(f"{name}: nothing was read from stdin")
        return data

    def prompt(self, field: object) -> str:
        name = getattr(field, "name", "value")
        if not self.terminal.can_prompt:
            raise InvalidInput(
                f"missing required secret {name}",
                hint=f"pass --set {name}=env:NAME (read from the environment when used) "
                f"or --set {name}=- (read from stdin)",
            )
        return typer.prompt(f"{name}", hide_input=True, err=True)
