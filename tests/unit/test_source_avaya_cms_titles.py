"""Avaya CMS ``titles``: the report date on a title line of a report with no date column."""

from __future__ import annotations

import datetime as dt

import pytest
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError
from contacts311.sources.avaya_cms import sniff
from contacts311.sources.avaya_cms.titles import TitleDate, find_title_dates

HEADER = "Interval\tSplit/Skill\tACD Calls\tAban Calls\n"
ROWS = "7:00 AM-7:30 AM\t101\t4\t1\n7:30 AM-8:00 AM\t101\t5\t0\n"


@pytest.mark.parametrize(
    ("titles", "line", "day"),
    [
        ("Date: 3/5/2024\n", 1, "2024-03-05"),
        ("date:3/5/24\n", 1, "2024-03-05"),
        ("DATE: 2024-03-05\n", 1, "2024-03-05"),
        ("Date: Tuesday, 03/05/2024\n", 1, "2024-03-05"),
        ("Dates: 3/5/2024 - 3/5/2024\n", 1, "2024-03-05"),  # a range of one day
        ("Date:\t3/5/2024\n", 1, "2024-03-05"),  # label and date in two cells
        # Report name lines above it, other title lines around it.
        (
            "Split/Skill Interval\nPDX311 General\nDate: 3/5/2024\nTimes: 7:00 AM - 8:00 PM\n\n",
            3,
            "2024-03-05",
        ),
    ],
)
def test_title_date_dates_every_row(tmp_path, titles, line, day):
    _write(tmp_path, "iv.txt", titles + HEADER + ROWS)
    result = _read(tmp_path, ["iv.txt"])
    assert _counts(result) == {(day, "101"): 9}  # 4 + 5 ACD calls
    assert list(result.tables["intervals"]["interval_start"]) == [420, 450]
    assert any(
        n.startswith(f"iv.txt: no date column; every row is dated {day} from title line {line} ")
        for n in result.notes
    )


def test_a_date_column_wins_over_the_title(tmp_path):
    text = (
        "Date: 3/5/2024\nDate\t"
        + HEADER
        + "03/06/2024\t"
        + ROWS.replace("\n7:30", "\n03/06/2024\t7:30")
    )
    _write(tmp_path, "iv.txt", text)
    result = _read(tmp_path, ["iv.txt"])
    assert _counts(result) == {("2024-03-06", "101"): 9}
    assert not any("no date column" in n for n in result.notes)


@pytest.mark.parametrize(
    ("titles", "line", "expected"),
    [
        (
            "Split/Skill Interval\nDates: 3/1/2024 - 3/31/2024\n",
            2,
            "the title says 'Dates: 3/1/2024 - 3/31/2024' (31 days) but the header has no date "
            "column, so which day each row belongs to is unknown",
        ),
        ("Dates: 3/5/2024 to 3/6/2024\n", 1, "(2 days)"),
        ("Date: 3/5/2024\nDate: 3/6/2024\n", 2, "title lines 1 ('Date: 3/5/2024') and 2"),
        ("Date: March 5, 2024\n", 1, "got 'Date: March 5, 2024'"),
        ("Date: 13/5/2024\n", 1, "expected a date as MM/DD/YYYY"),
        ("Date: 3/5/2024 Times: 7:00 AM\n", 1, "expected a date as MM/DD/YYYY"),
        ("Dates: 3/1/2024 - 3/15/2024 - 3/31/2024\n", 1, "expected a date as MM/DD/YYYY"),
        ("Split/Skill Interval\n\n", 3, "no title line above it gives the report's date"),
        ("", 1, "expected a Date column or a title line such as 'Date: 3/5/2024'"),
    ],
)
def test_no_single_day_title_is_an_error(tmp_path, titles, line, expected):
    _write(tmp_path, "iv.txt", titles + HEADER + ROWS)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["iv.txt"])
    assert (err.value.file, err.value.line) == ("iv.txt", line)
    assert expected in err.value.message


def test_find_title_dates_reads_spreadsheet_cells():
    found = find_title_dates(
        [
            (1, ["311 Multi-Day Multi-Skill", "", ""]),
            (2, ["Dates:", "3/1/2024", "-", "3/31/2024"]),
            (3, ["Skills: 1; 2"]),
            (4, ["Date: 2024-03-05 00:00:00", ""]),  # an xlsx date cell as text
        ]
    )
    assert found == [
        TitleDate(2, "Dates: 3/1/2024 - 3/31/2024", (dt.date(2024, 3, 1), dt.date(2024, 3, 31))),
        TitleDate(4, "Date: 2024-03-05 00:00:00", (dt.date(2024, 3, 5),)),
    ]


def test_only_supervisor_interval_headers_may_lack_the_date():
    assert sniff("Date: 3/5/2024\n" + HEADER)
    assert sniff("Time,Skill,ACD Calls,Aban Calls\n")
    assert not sniff("Split/Skill,ACD Calls,Aban Calls\n")  # daily, no date: not a CMS export
    assert not sniff("starttime,split,acdcalls,abncalls\n")  # hsplit needs row_date


def test_xlsx_title_date(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Split/Skill Interval"])
    ws.append(["Date:", dt.datetime(2024, 3, 5)])  # Excel turned the date into a date cell
    ws.append(["Interval", "Split/Skill", "ACD Calls", "Aban Calls"])
    ws.append(["7:00 AM-7:30 AM", 101, 4, 1])
    ws.append([None, None, None, None])
    ws.append(["7:30 AM-8:00 AM", 101, 5, 0])
    wb.save(tmp_path / "iv.xlsx")
    result = _read(tmp_path, ["iv.xlsx"])
    assert _counts(result) == {("2024-03-05", "101"): 9}
    assert result.ledger.rows_read == {"iv.xlsx": 2}  # the blank row is not a row
