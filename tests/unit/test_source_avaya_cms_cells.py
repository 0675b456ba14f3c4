"""Avaya CMS ``cells``: summary rows, dates, skills, counts and durations."""

from __future__ import annotations

import pandas as pd
import pytest
from avaya_cms_helpers import TAB_REPORT
from avaya_cms_helpers import bucket_rows as _bucket_rows
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import profile as _profile
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError


def test_comma_report_with_quoted_thousands_and_date_formats(tmp_path):
    text = (
        '"311 Multi-Day Multi-Skill"\n'
        '"Date","Skill","ACD Calls","Abandoned Calls"\n'
        '"2023-07-01","101","1,234","12"\n'
        '"7/2/23","101","2,000","1,001"\n'
        '"Summary","","3,234","1,013"\n'
    )
    _write(tmp_path, "r.csv", text)
    result = _read(tmp_path, ["r.csv"], _profile(formula="acd_minus_abandoned"))
    # No name column: the queue is the skill number. 1234 - 12 = 1222; 2000 - 1001 = 999.
    assert _counts(result) == {("2023-07-01", "101"): 1222, ("2023-07-02", "101"): 999}
    assert _bucket_rows(result, "r.csv")[("excluded", "summary_row")] == 1


def test_interval_report_with_totals_first_and_hms_durations(tmp_path):
    text = (
        "Split/Skill Interval\n"
        "Date\tInterval\tSplit/Skill\tACD Calls\tAban Calls\tACD Time\tACW Time\tStaffed Time\n"
        "Totals\t\t\t9\t1\t0:20:00\t\t\n"
        "07/05/2023\t7:00 AM-7:30 AM\t101\t4\t1\t0:10:00\t120\t1:00:00\n"
        "07/05/2023\t7:30 AM-8:00 AM\t101\t5\t0\t600\t1:60\t\n"
    )
    _write(tmp_path, "iv.txt", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["iv.txt"])
    # "1:60" is neither seconds, mm:ss nor h:mm:ss.
    assert err.value.line == 5
    assert err.value.column == "ACW Time"
    assert "expected a duration in seconds, mm:ss or h:mm:ss, got '1:60'" in err.value.message

    _write(tmp_path, "iv.txt", text.replace("\t1:60\t", "\t1:00\t"))  # mm:ss: 60 seconds
    result = _read(tmp_path, ["iv.txt"])
    assert _counts(result) == {("2023-07-05", "101"): 9}  # 4 + 5 ACD calls
    iv = result.tables["intervals"]
    assert list(iv["interval_start"]) == [420, 450]  # 7:00 and 7:30 in minutes after midnight
    assert list(iv["interval_minutes"]) == [30, 30]
    assert list(iv["acd_time_seconds"]) == [600, 600]  # 0:10:00 and 600
    assert list(iv["acw_time_seconds"]) == [120, 60]
    assert iv["staffed_seconds"].iloc[0] == 3600
    assert pd.isna(iv["staffed_seconds"].iloc[1])  # empty duration cell is missing
    assert _bucket_rows(result, "iv.txt") == {("counted", ""): 2, ("excluded", "summary_row"): 1}


def test_skill_numbers_compare_as_numbers_across_files(tmp_path):
    _write(tmp_path, "a.csv", "Date,Skill,ACD Calls,Aban Calls\n2023-07-03,0101,6,1\n")
    _write(tmp_path, "b.csv", "row_date,split,acdcalls,abncalls\n2023-07-03,101,6,1\n")
    result = _read(tmp_path, ["a.csv", "b.csv"])
    assert _counts(result) == {("2023-07-03", "101"): 6}
    assert _bucket_rows(result, "b.csv") == {("duplicate", "same_key_same_values"): 1}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("N/A", "whole number of calls"), ("", "whole number of calls"), ("-4", "not negative")],
)
def test_bad_count_cells_are_errors_with_line_and_column(tmp_path, cell, expected):
    _write(tmp_path, "r.txt", TAB_REPORT.replace("\t15\t3\t18", f"\t15\t{cell}\t18"))
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["r.txt"])
    assert err.value.file == "r.txt"
    assert err.value.line == 7
    assert err.value.column == "Aban Calls"
    assert expected in err.value.message


def test_bad_date_is_an_error_with_line_and_column(tmp_path):
    _write(tmp_path, "d.txt", TAB_REPORT.replace("07/02/2023", "13/02/2023"))
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["d.txt"])
    assert (err.value.line, err.value.column) == (9, "Date")


@pytest.mark.parametrize(
    ("cell", "seconds"),
    [
        ("75:12", 4512),  # mm:ss with minutes above 59: 75 * 60 + 12
        ("0:07", 7),
        ("12:05", 725),
        ("1:15:12", 4512),  # h:mm:ss: 3600 + 15 * 60 + 12
        ("39:00:00", 140400),  # a staffed total over a day
        ("4512", 4512),
        ("4,512", 4512),
        ("4511.6", 4512),
        ("", None),
    ],
)
def test_durations_in_seconds_mm_ss_and_h_mm_ss(tmp_path, cell, seconds):
    text = (
        "Date,Interval,Skill,ACD Calls,Aban Calls,ACD Time\n"
        f'2024-03-05,7:00 AM-7:30 AM,101,4,1,"{cell}"\n'
    )
    _write(tmp_path, "d.csv", text)
    value = _read(tmp_path, ["d.csv"]).tables["intervals"]["acd_time_seconds"].iloc[0]
    assert (None if pd.isna(value) else int(value)) == seconds


@pytest.mark.parametrize("cell", ["75:60", "1:5", "1:75:00", "1:00:00:00", "12m", "-5", "N/A"])
def test_bad_durations_are_errors_with_line_and_column(tmp_path, cell):
    text = (
        "Date,Interval,Skill,ACD Calls,Aban Calls,ACD Time\n"
        "2024-03-05,7:00 AM-7:30 AM,101,4,1,600\n"
        f"2024-03-05,7:30 AM-8:00 AM,101,5,0,{cell}\n"
    )
    _write(tmp_path, "d.csv", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["d.csv"])
    assert (err.value.file, err.value.line, err.value.column) == ("d.csv", 3, "ACD Time")
    assert f"expected a duration in seconds, mm:ss or h:mm:ss, got {cell!r}" in err.value.message


def test_dash_count_and_time_cells_are_no_calls(tmp_path):
    text = (
        "Split/Skill Interval\n"
        "Date\tInterval\tSplit/Skill\tACD Calls\tAban Calls\tCalls Offered\tACD Time\n"
        "03/05/2024\t7:00 AM-7:30 AM\t101\t4\t1\t5\t10:00\n"
        "03/05/2024\t7:30 AM-8:00 AM\t101\t--\t - \t--\t--\n"  # no calls at all
        "03/05/2024\t8:00 AM-8:30 AM\t101\t6\t-\t6\t12:30\n"
    )
    _write(tmp_path, "iv.txt", text)
    result = _read(tmp_path, ["iv.txt"], _profile(formula="acd_minus_abandoned"))
    assert _counts(result) == {("2024-03-05", "101"): 9}  # (4 + 0 + 6) - (1 + 0 + 0)
    iv = result.tables["intervals"]
    assert list(iv["acd_calls"]) == [4, 0, 6]
    assert list(iv["abandoned_calls"]) == [1, 0, 0]
    assert list(iv["calls_offered"]) == [5, 0, 6]
    assert list(iv["acd_time_seconds"]) == [600, 0, 750]
    assert _bucket_rows(result, "iv.txt") == {("counted", ""): 3}


@pytest.mark.parametrize("cell", ["---", "- -", "-0-", "n/a"])
def test_other_placeholders_in_count_cells_are_errors(tmp_path, cell):
    _write(tmp_path, "r.txt", TAB_REPORT.replace("\t15\t3\t18", f"\t15\t{cell}\t18"))
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["r.txt"])
    assert (err.value.line, err.value.column) == (7, "Aban Calls")
    assert f"expected a whole number of calls (0 or more), got {cell!r}" in err.value.message
