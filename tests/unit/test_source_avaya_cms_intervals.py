"""Avaya CMS ``intervals``: interval starts and lengths."""

from __future__ import annotations

import pytest
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError, InputWarning


def test_interval_starts_only_take_the_smallest_gap_as_length(tmp_path):
    text = (
        "Date,Time,Skill,ACD Calls,Aban Calls\n"
        "2023-07-05,0700,101,1,0\n"
        "2023-07-05,0715,101,2,0\n"
        "2023-07-05,0745,101,3,0\n"
    )
    _write(tmp_path, "t.csv", text)
    iv = _read(tmp_path, ["t.csv"]).tables["intervals"]
    assert list(iv["interval_start"]) == [420, 435, 465]
    assert list(iv["interval_minutes"]) == [15, 15, 15]


def test_single_interval_start_assumes_30_minutes_with_a_warning(tmp_path):
    _write(tmp_path, "one.csv", "Date,Time,Skill,ACD Calls,Aban Calls\n2023-07-05,0700,101,1,0\n")
    with pytest.warns(InputWarning, match="one.csv: interval length unknown"):
        iv = _read(tmp_path, ["one.csv"]).tables["intervals"]
    assert list(iv["interval_minutes"]) == [30]


@pytest.mark.parametrize(
    ("first", "second", "starts", "minutes"),
    [
        # Starts and ends as CMS Supervisor writes them, and as people retype them.
        ("7:00 AM-7:30 AM", "7:30 AM-8:00 AM", [420, 450], [30, 30]),
        ("7:00AM-7:30AM", "7:30AM-8:00AM", [420, 450], [30, 30]),
        ("7:00 AM - 7:15 AM", "7:15 AM - 7:30 AM", [420, 435], [15, 15]),
        ("7:00 a.m.-7:30 a.m.", "7:30 a.m.-8:00 a.m.", [420, 450], [30, 30]),
        ("7:00-7:30", "7:30-8:00", [420, 450], [30, 30]),
        ("07:00-07:30", "13:00-13:30", [420, 780], [30, 30]),
        ("7:00\u20137:30", "7:30\u20138:00", [420, 450], [30, 30]),  # en dash
        # AM/PM after the end only: the start takes the one that makes the interval shortest.
        ("11:30-12:00 PM", "1:00-1:30 PM", [690, 780], [30, 30]),
        ("11:00-11:30 PM", "11:30-12:00 AM", [1380, 1410], [30, 30]),  # the day's last interval
        # Starts only: the length is the smallest gap between starts.
        ("7:00 AM", "7:30 AM", [420, 450], [30, 30]),
        ("07:00", "07:15", [420, 435], [15, 15]),
        ("1:00 PM", "2:00 PM", [780, 840], [60, 60]),
        ("7:00:00 AM", "7:30:00 AM", [420, 450], [30, 30]),  # an Excel time cell saved as CSV
        ("0700", "0730", [420, 450], [30, 30]),
    ],
)
def test_interval_cells_as_written(tmp_path, first, second, starts, minutes):
    text = (
        "Date\tInterval\tSplit/Skill\tACD Calls\tAban Calls\n"
        f"03/05/2024\t{first}\t101\t4\t1\n"
        f"03/05/2024\t{second}\t101\t5\t0\n"
    )
    _write(tmp_path, "iv.txt", text)
    iv = _read(tmp_path, ["iv.txt"]).tables["intervals"]
    assert list(iv["interval_start"]) == starts
    assert list(iv["interval_minutes"]) == minutes
    assert list(iv["acd_calls"]) == [4, 5]


@pytest.mark.parametrize("cell", ["7:60 AM", "13:00 PM", "25:00", "7:00:30", "7 AM", "noon"])
def test_unreadable_interval_is_an_error_with_line_and_column(tmp_path, cell):
    text = (
        "Date\tInterval\tSplit/Skill\tACD Calls\tAban Calls\n"
        "03/05/2024\t7:00 AM-7:30 AM\t101\t4\t1\n"
        f"03/05/2024\t{cell}\t101\t5\t0\n"
    )
    _write(tmp_path, "iv.txt", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["iv.txt"])
    assert (err.value.file, err.value.line, err.value.column) == ("iv.txt", 3, "Interval")
    assert "expected an interval such as" in err.value.message
