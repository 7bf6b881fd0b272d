"""What a use case returns: its value, what it warns of, and how it ended.

Use cases never print and never pick exit codes from context; the command line renders an
:class:`OperationResult` in one place (``prima_cli.cli.render``), which prints the value as a
table, a record or JSON, the warnings and the error, and returns the outcome as the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from prima_cli.errors import ExitCode, PrimaError

T = TypeVar("T")


@dataclass
class OperationResult(Generic[T]):
    value: T
    warnings: list[str] = field(default_factory=list)
    #: the exit code this outcome stands for (OK, or e.g. PARTIAL for a batch)
    outcome: ExitCode | int = ExitCode.OK
    #: the error behind a non-OK outcome, printed after the value
    error: PrimaError | None = None

    @classmethod
    def ok(cls, value: T, warnings: list[str] | None = None) -> OperationResult[T]:
        return cls(value, list(warnings or []))
