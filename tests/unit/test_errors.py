"""Errors: one line naming file, line and column; whole again after a trip through pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from contacts311.errors import (
    InputError,
    InputWarning,
    ProfileError,
    Stopped,
    display_path,
    os_error_message,
    warn_input,
)


def test_message_is_one_line_naming_file_line_and_column():
    err = InputError("a.csv", "expected a number,\n  got 'x'", line=3, column="acdcalls")
    assert str(err) == "a.csv, line 3, column 'acdcalls': expected a number, got 'x'"


@pytest.mark.parametrize(
    "err",
    [
        InputError("a.csv", "expected a number", line=3, column="acdcalls"),
        InputError(None, "no data folder"),
        ProfileError("profile.yml", "unknown key 'timezon'"),
    ],
)
def test_errors_survive_pickling(err):
    """The report runner reads the exports in a child process and re-raises its error."""
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert (back.file, back.message, back.line, back.column) == (
        err.file,
        err.message,
        err.line,
        err.column,
    )
    assert str(back) == str(err)


def test_display_path_escapes_control_characters_only():
    assert display_path("a\nb\x1b[31m\tc.csv") == "a\\nb\\x1b[31m\\tc.csv"
    assert display_path(Path("données/été.csv")) == "données/été.csv"


def test_error_and_warning_lines_escape_the_file_name():
    err = InputError("x\nforged: line", "expected a number", line=2)
    assert str(err) == "x\\nforged: line, line 2: expected a number"
    with pytest.warns(InputWarning, match=r"^x\\rA, line 3: odd$"):
        warn_input("x\rA", "odd", line=3)


def test_os_error_message_names_the_paths_and_what_failed():
    assert os_error_message(PermissionError(13, "Permission denied", "/r/x")) == (
        "/r/x: Permission denied"
    )
    assert os_error_message(OSError(28, "No space left on device", "a", None, "b\n")) == (
        "a -> b\\n: No space left on device"
    )
    assert os_error_message(OSError("bare")) == "OSError"


def test_stopped_is_an_interrupt_carrying_its_signal():
    stop = Stopped(15)
    assert isinstance(stop, KeyboardInterrupt)
    assert stop.signal_number == 15
