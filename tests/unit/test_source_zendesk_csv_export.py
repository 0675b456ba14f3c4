"""Zendesk Support CSV (and .xlsx) export: columns, cells, tags and errors.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from zendesk_helpers import CSV_HEADER
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import profile as _profile

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.sources import zendesk
from contacts311.sources.zendesk import csv_export


def test_csv_contact_type_column_without_list_suffix_and_custom_name(tmp_path):
    text = (
        "ID,Status,Tags,Created at,Updated at,Channel Kind\n"
        "1,Solved,,2024-03-05 09:00:00,2024-03-05 09:00:00,Email\n"
    )
    files = _files(tmp_path, {"a.csv": text})
    result = zendesk.read(files, _profile(contact_type_field="Channel Kind"))
    assert result.contacts["contact_id"].tolist() == ["1"]


def test_missing_required_column_names_file_line_and_column(tmp_path):
    text = "ID,Requester,Status,Tags,Updated at,Contact Type [list]\n1,Ann,Open,,2024-03-05 09:00:00,Email\n"
    files = _files(tmp_path, {"bad.csv": text})
    with pytest.raises(InputError) as info:
        zendesk.read(files, _profile())
    err = info.value
    assert (err.file, err.line, err.column) == ("bad.csv", 1, "Created at")
    assert "account's time zone" in err.message


def test_missing_contact_type_column_is_an_error(tmp_path):
    text = "ID,Status,Tags,Created at,Updated at\n1,Open,,2024-03-05 09:00:00,2024-03-05 09:00:00\n"
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"bad.csv": text}), _profile())
    assert info.value.column == "Contact Type [list]"
    assert info.value.line == 1


def test_bad_csv_timestamp_names_the_physical_line(tmp_path):
    # The quoted description of ticket 1 spans two lines, so ticket 2 starts on line 4.
    text = (
        CSV_HEADER
        + '\n1,Ann,a@x.org,Hi,,Open,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,Email,"two\nlines"'
        + "\n2,Bo,b@x.org,Hi,,Open,Mail,yesterday,2024-03-05 09:00:00,0,311,Email,d\n"
    )
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.csv": text}), _profile())
    err = info.value
    assert (err.line, err.column) == (4, "Created at")
    assert "'yesterday'" in err.message and "YYYY-MM-DD HH:MM:SS" in err.message


def test_xlsx_support_export(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "ID",
            "Requester",
            "Status",
            "Tags",
            "Created at",
            "Updated at",
            "Replies",
            "Contact Type [list]",
        ]
    )
    ws.append([11, "Ann", "Solved", "", "2024-03-05 09:00:00", "2024-03-05 09:00:00", 0, "Email"])
    ws.append([12, "Bo", "Open", "", "2024-03-05 09:00:00", "2024-03-05 09:00:00", 0, "Email"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    result = zendesk.read([InputFile(path, "export.xlsx", "zendesk")], _profile())
    # 11 is solved (fallback passes); 12 is open with no reply
    assert result.contacts["contact_id"].tolist() == ["11"]
    assert _ledger(result)[("export.xlsx", "excluded", "not_handled")] == 1


def test_arrow_cells_agree_with_pandas_cells_and_refuse_other_widths():
    ok = 'ID,Subject,Status\n1,"two\nlines, and a comma",solved\r\n2,"say ""hi""",open\n\n3,,\n'
    header = ["ID", "Subject", "Status"]
    fast = csv_export._arrow_cells(ok, header, [0, 1, 2])
    slow = csv_export._pandas_cells(ok, "f.csv", header, [0, 1, 2])
    for pos in (0, 1, 2):
        assert list(fast[pos]) == list(slow[pos])
        assert str(fast[pos].dtype) == "str"
    assert list(fast[1]) == ["two\nlines, and a comma", 'say "hi"', ""]
    assert list(fast[0]) == ["1", "2", "3"]  # text, never numbers: ids keep leading zeros
    assert csv_export._arrow_cells("ID,Subject,Status\n1,a,b,c\n", header, [0]) is None  # wider
    assert csv_export._arrow_cells("ID,Subject,Status\n1,a\n", header, [0]) is None  # narrower
    # A header with a quoted line end is not skipped by skipping one line: left to pandas.
    assert csv_export._arrow_cells('ID,"Sub\nject",Status\n1,a,b\n', header, [0]) is None


def test_pandas_cells_pad_a_narrower_row_and_name_a_wider_one():
    header = ["ID", "Subject", "Status"]
    cells = csv_export._pandas_cells("ID,Subject,Status\n1,a\n2,b,open\n", "f.csv", header, [0, 2])
    assert list(cells[2]) == ["", "open"]
    with pytest.raises(InputError, match=r"line 3.*4 cells but the header has 3"):
        csv_export._pandas_cells("ID,Subject,Status\n1,a,b\n2,x,y,z\n", "f.csv", header, [0])


def test_tags_split_on_commas_and_any_unicode_whitespace_like_python():
    raw = ["VIP, Noise\tGraffiti", " a\u00a0b\u2003c\x1fd\x85e ", "", "x,,  y"]
    got = csv_export._normalise_tags(pd.Series(raw, dtype="str"))
    # What the tags were before Arrow did it: Python's re and str.strip.
    expected = [re.sub(r"[\s,]+", " ", r.lower()).strip() for r in raw]
    assert list(got) == expected == ["vip noise graffiti", "a b c d e", "", "x y"]


_REPLIES_HEADER = "ID,Tags,Status,Created at,Updated at,Replies,Contact Type [list]\n"


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_replies_that_are_not_a_whole_number_name_their_line(tmp_path, value):
    # Read as no reply, ticket 2 was quietly not_handled (exit 0).
    text = (
        _REPLIES_HEADER
        + "1,,Open,2024-03-01 10:00:00,,2,Email\n"
        + f"2,,Open,2024-03-01 10:00:00,,{value},Email\n"
    )
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.csv": text}), _profile())
    err = info.value
    assert (err.file, err.line, err.column) == ("t.csv", 3, "Replies")
    assert f"replies {value!r} is not a whole number >= 0" in err.message


def test_empty_replies_is_no_reply(tmp_path):
    text = (
        _REPLIES_HEADER
        + "1,,Open,2024-03-01 10:00:00,,,Email\n"  # no reply: not handled
        + "2,,Open,2024-03-01 10:00:00,,0,Email\n"  # no reply: not handled
        + "3,,Open,2024-03-01 10:00:00,, 3 ,Email\n"  # three replies: handled
    )
    result = zendesk.read(_files(tmp_path, {"t.csv": text}), _profile())
    assert result.contacts["contact_id"].tolist() == ["3"]
    assert _ledger(result)[("t.csv", "excluded", "not_handled")] == 2
