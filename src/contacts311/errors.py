"""Errors that name the file, the line or row, the column and what was expected.

The command line turns every :class:`InputError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = ["InputError", "InputWarning", "ProfileError", "warn_input"]


@dataclass
class InputError(Exception):
    """A problem with an input file that stops the run.

    Attributes:
        file: The file (or profile) at fault.
        message: What was expected, in plain words.
        line: 1-based line (text files) or row (spreadsheets), when known.
        column: The column at fault, when known.
    """

    file: str | Path | None
    message: str
    line: int | str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # Exceptions pickle as cls(*args) = cls(str(self)) by default, which this signature
        # rejects; an error raised in a reader process must arrive whole in the runner.
        return (type(self), (self.file, self.message, self.line, self.column))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())  # one line, whatever the data held
        return f"{prefix}: {text}" if prefix else text


class ProfileError(InputError):
    """A profile that cannot be used (unknown key, missing path, bad value)."""


class InputWarning(UserWarning):
    """A recoverable problem: the row or file was handled in a documented way."""


def warn_input(file: str | Path, message: str, line: int | None = None) -> None:
    """Emit an :class:`InputWarning` naming the file (and line when known)."""
    where = f"{file}, line {line}" if line is not None else str(file)
    warnings.warn(f"{where}: {message}", InputWarning, stacklevel=2)
