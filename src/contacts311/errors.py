"""Errors that name the file, the line or row, the column and what was expected.

The command line turns every :class:`InputError` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "InputError",
    "InputWarning",
    "ProfileError",
    "Stopped",
    "display_path",
    "handling_stop",
    "os_error_message",
    "stop_handled",
    "warn_input",
]

# C0 and C1 control characters: a newline or an escape sequence in a file name must not split a
# one-line message or forge a log line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def display_path(path: str | os.PathLike[str] | None) -> str:
    r"""A path as every message prints it: control characters escaped (``\n``, ``\x1b``).

    Args:
        path: A file or folder name.

    Returns:
        The name on one line, with nothing a terminal or a log reader would act on.
    """
    return _escape_controls(os.fspath(path or ""))


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def os_error_message(exc: OSError) -> str:
    """One line for an error the operating system raised: the path(s) and what failed.

    Args:
        exc: The error, e.g. ``PermissionError`` or ``OSError(ENOSPC)``.

    Returns:
        ``PATH: what failed`` (``PATH -> OTHER: ...`` for a rename or a link).
    """
    what = exc.strerror or type(exc).__name__
    if exc.filename is None:
        return what
    where = display_path(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {display_path(exc.filename2)}"
    return f"{where}: {what}"


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM from systemd, SIGHUP from a terminal).

    It is a ``KeyboardInterrupt``, so it is handled exactly as Ctrl-C is: the same cleanup
    and the same record of the run.

    Attributes:
        signal_number: The signal received; the command exits with ``128 + signal_number``.
    """

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


#: Set once the latest stop (Ctrl-C or a signal) reached the code that handles it (see
#: :func:`handling_stop`): the command line's signal handler then stops repeating it.
_STOP_HANDLED = threading.Event()


def stop_received() -> None:
    """Note a new stop: it is repeated until :func:`handling_stop` is called for it."""
    _STOP_HANDLED.clear()


def handling_stop(exc: BaseException | None = None) -> None:
    """Note that a stop is being handled (``exc``: only when it is a ``KeyboardInterrupt``).

    A signal's exception raised while Python runs a finaliser (``__del__``) is printed as
    "Exception ignored" and lost; the command line repeats it until this is called.
    """
    if exc is None or isinstance(exc, KeyboardInterrupt):
        _STOP_HANDLED.set()


def stop_handled() -> bool:
    """Whether :func:`handling_stop` was called since the latest :func:`stop_received`."""
    return _STOP_HANDLED.is_set()


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
            where.append(display_path(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())  # one line, whatever the data held
        text = _escape_controls(text)
        return f"{prefix}: {text}" if prefix else text


class ProfileError(InputError):
    """A profile that cannot be used (unknown key, missing path, bad value)."""


class InputWarning(UserWarning):
    """A recoverable problem: the row or file was handled in a documented way."""


def warn_input(file: str | Path, message: str, line: int | None = None) -> None:
    """Emit an :class:`InputWarning` naming the file (and line when known)."""
    where = display_path(file) + (f", line {line}" if line is not None else "")
    warnings.warn(f"{where}: {message}", InputWarning, stacklevel=2)
