"""Errors: one line naming file, line and column; whole again after a trip through pickle."""

from __future__ import annotations

import pickle

import pytest

from contacts311.errors import InputError, ProfileError


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
