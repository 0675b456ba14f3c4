"""Avaya CMS ``intervals``: interval starts and lengths."""

from __future__ import annotations

import pytest
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputWarning


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
