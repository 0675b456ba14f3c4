"""Avaya CMS ``file_cells``: reading one file (encodings, workbooks, row shapes)."""

from __future__ import annotations

import gzip

import pytest
from avaya_cms_helpers import TAB_REPORT
from avaya_cms_helpers import bucket_rows as _bucket_rows
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError


def test_crlf_bom_and_gzip(tmp_path):
    raw = b"\xef\xbb\xbf" + TAB_REPORT.replace("\n", "\r\n").encode("utf-8")
    (tmp_path / "crlf.txt").write_bytes(raw)
    (tmp_path / "zipped.txt.gz").write_bytes(gzip.compress(TAB_REPORT.encode("utf-8")))
    for name in ("crlf.txt", "zipped.txt.gz"):
        result = _read(tmp_path, [name])
        assert int(result.contacts["count"].sum()) == 225  # 120 + 15 + 90
        assert result.ledger.rows_read == {name: 4}
        assert result.columns[name][0] == "Date"


def test_xlsx_report(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["311 Multi-Day Multi-Skill"])
    ws.append(["Date", "Split/Skill", "ACD Calls", "Aban Calls"])
    ws.append(["07/01/2023", 101, 7, 1])
    ws.append(["07/02/2023", 101, 8, 2])
    ws.append(["Totals", None, 15, 3])
    wb.save(tmp_path / "r.xlsx")
    result = _read(tmp_path, ["r.xlsx"])
    assert _counts(result) == {("2023-07-01", "101"): 7, ("2023-07-02", "101"): 8}
    assert _bucket_rows(result, "r.xlsx") == {("counted", ""): 2, ("excluded", "summary_row"): 1}


def test_xlsx_durations_of_a_day_or_more(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Interval", "Split/Skill", "ACD Calls", "Aban Calls", "Staffed Time"])
    # Excel shows 39:00:00 and 1:15:12 (the second is 4,511.6 seconds, a sum of fractions of a
    # day, rounded for display); openpyxl reads both cells as timedeltas.
    staffed = [39 / 24, 4511.6 / 86400]
    for interval, value in zip(["7:00 AM-7:30 AM", "7:30 AM-8:00 AM"], staffed, strict=True):
        ws.append(["07/05/2023", interval, 101, 4, 1, value])
        ws.cell(ws.max_row, 6).number_format = "[h]:mm:ss"
    wb.save(tmp_path / "r.xlsx")
    iv = _read(tmp_path, ["r.xlsx"]).tables["intervals"]
    # As a text export's 39:00:00 and 1:15:12: 39 * 3600 and 3600 + 15 * 60 + 12 seconds.
    assert list(iv["staffed_seconds"]) == [140400, 4512]


def test_header_only_file_reads_no_rows(tmp_path):
    _write(tmp_path, "empty.csv", "row_date,split,acdcalls,abncalls\n")
    result = _read(tmp_path, ["empty.csv"])
    assert result.contacts.empty
    assert result.ledger.rows_read == {"empty.csv": 0}
    assert list(result.ledger.frame()["reason"]) == ["no_data_rows"]


def test_trailing_delimiter_short_row_and_missing_column(tmp_path):
    # A trailing delimiter (an extra empty cell) right of the header's columns is ignored.
    _write(tmp_path, "r.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90\t5\t95\t"))
    assert int(_read(tmp_path, ["r.txt"]).contacts["count"].sum()) == 225  # 120 + 15 + 90
    _write(tmp_path, "r2.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90\t5\t95\t\t"))  # two
    assert int(_read(tmp_path, ["r2.txt"]).contacts["count"].sum()) == 225

    _write(tmp_path, "s.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90"))  # short row
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["s.txt"])
    assert (err.value.line, err.value.column) == (9, "Aban Calls")

    _write(tmp_path, "m.csv", "Date,Skill,ACD Calls\n2023-07-01,101,5\n")
    with pytest.raises(InputError, match="Aban Calls"):
        _read(tmp_path, ["m.csv"])


@pytest.mark.parametrize(
    ("name", "text", "line", "cells", "width"),
    [
        # An unquoted 1,234 in the first row: its counts would shift one column right.
        (
            "first.csv",
            "Date,Split/Skill,ACD Calls,Aban Calls\n07/01/2023,101,1,234,5\n",
            2,
            5,
            4,
        ),
        # A comma in a skill name, in a later row.
        (
            "later.csv",
            "Date,Split/Skill,Split/Skill Name,ACD Calls,Aban Calls\n"
            "07/01/2023,101,General,7,1\n\n07/02/2023,102,Line 2, 3,100,5\n",
            4,
            6,
            5,
        ),
        # An hsplit dump with an extra cell and a trailing delimiter on the row.
        ("dump.csv", "row_date,split,acdcalls,abncalls\n2023-07-01,1,1,234,5,\n", 2, 5, 4),
        # A tab-delimited report whose extra cell follows an empty one.
        ("tabs.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90\t5\t95\t\t7"), 9, 8, 6),
    ],
)
def test_a_row_wider_than_the_header_is_an_error_naming_its_line(
    tmp_path, name, text, line, cells, width
):
    _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, [name])
    assert err.value.line == line
    assert f"this row has {cells} cells but the header has {width}" in str(err.value)


def test_quotes_in_a_tab_delimited_report_are_text(tmp_path):
    # CMS does not quote tab-delimited cells: an opening quote must not swallow the next rows.
    _write(
        tmp_path,
        "r.txt",
        "Date\tSplit/Skill\tSplit/Skill Name\tACD Calls\tAban Calls\n"
        '07/01/2023\t101\t"Callback\t10\t1\n'
        "07/01/2023\t102\tGeneral\t20\t1\n"
        '07/01/2023\t103\tThe "VIP" line\t30\t1\n'
        '07/01/2023\t104\t"Saved ""quoted"""\t"40"\t1\n',
    )
    result = _read(tmp_path, ["r.txt"])
    assert result.ledger.rows_read == {"r.txt": 4}
    assert _counts(result) == {  # keyed by skill name
        ("2023-07-01", '"Callback'): 10,
        ("2023-07-01", "General"): 20,
        ("2023-07-01", 'The "VIP" line'): 30,
        ("2023-07-01", 'Saved "quoted"'): 40,  # cells a spreadsheet wrapped in quotes lose them
    }
