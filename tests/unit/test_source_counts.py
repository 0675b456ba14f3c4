import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from contacts311.errors import InputError
from contacts311.pipeline import InputFile, load
from contacts311.profile import default_profile, load_profile
from contacts311.sources import counts

OPTS = {"channel": "phone", "date_column": "Date", "count_column": "Calls"}


def _file(tmp_path: Path, name: str, text: str, **options) -> InputFile:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return InputFile(p, name, "counts", {**OPTS, **options})


def _ledger(result) -> dict[tuple[str, str, str], tuple[int, int]]:
    frame = result.ledger.frame()
    return {(r.source_file, r.bucket, r.reason): (r.rows, r.contacts) for r in frame.itertuples()}


def test_sniff_never_claims_a_file():
    assert counts.sniff("Date,Calls\n2024-01-01,5\n") is False


def test_daily_rows_duplicates_and_totals_row(tmp_path):
    f = _file(
        tmp_path,
        "daily.csv",
        'Date,Calls,Note\n2024-01-01,10,x\n01/02/2024,"1,200",y\n2024-01-01,10,z\nTotal,1220,\n',
    )
    result = counts.read([f], default_profile())
    c = result.contacts
    assert c["contact_date"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert c["count"].tolist() == [10, 1200]
    assert set(c["channel"]) == {"phone"}
    assert set(c["source"]) == {"counts"}
    # 4 data rows: 2 counted (1,210 contacts), 1 repeat of 1 Jan with the same value, 1 totals row.
    assert _ledger(result) == {
        ("daily.csv", "counted", "counted"): (2, 1210),
        ("daily.csv", "duplicate", "same_date_and_value"): (1, 0),
        ("daily.csv", "excluded", "summary_row"): (1, 0),
    }
    assert result.ledger.unbalanced() == []
    assert "Note" not in c.columns


def test_monthly_rows_are_dated_the_first_of_the_month(tmp_path):
    f = _file(
        tmp_path,
        "monthly.csv",
        "Month,Total\n2024-01,300\n02/2024,280\nMar 2024,310\n",
        date_column="Month",
        count_column="Total",
    )
    c = counts.read([f], default_profile()).contacts
    assert (
        c["contact_date"].tolist()
        == pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]).tolist()
    )
    assert c["count"].sum() == 300 + 280 + 310


def test_date_format_option(tmp_path):
    f = _file(tmp_path, "d.csv", "Date,Calls\n15.03.2024,7\n", date_format="%d.%m.%Y")
    c = counts.read([f], default_profile()).contacts
    assert c["contact_date"].iloc[0] == pd.Timestamp("2024-03-15")
    g = _file(tmp_path, "m.csv", "Date,Calls\n2024/03,70\n", date_format="%Y/%m")
    assert counts.read([g], default_profile()).contacts["contact_date"].iloc[0] == pd.Timestamp(
        "2024-03-01"
    )


def test_conflicting_values_name_file_lines_date_and_values(tmp_path):
    a = _file(tmp_path, "a.csv", "Date,Calls\n2024-01-01,10\n2024-01-02,11\n")
    b = _file(tmp_path, "b.csv", "Date,Calls\n2024-01-03,1\n2024-01-02,12\n")
    with pytest.raises(InputError) as err:
        counts.read([a, b], default_profile())
    text = str(err.value)
    assert "b.csv" in text and "line 3" in text  # the second occurrence
    assert "a.csv line 3" in text  # the first occurrence
    assert "2024-01-02" in text and "12" in text and "11" in text


def test_same_value_in_two_files_counts_once(tmp_path):
    a = _file(tmp_path, "a.csv", "Date,Calls\n2024-01-01,10\n")
    b = _file(tmp_path, "b.csv", "Date,Calls\n2024-01-01,10\n2024-01-02,4\n")
    result = counts.read([a, b], default_profile())
    assert result.contacts["count"].sum() == 14
    assert _ledger(result)[("b.csv", "duplicate", "same_date_and_value")] == (1, 0)


def test_daily_and_monthly_for_the_same_month_is_an_error(tmp_path):
    a = _file(tmp_path, "a.csv", "Date,Calls\n2024-01-05,10\n")
    b = _file(tmp_path, "b.csv", "Date,Calls\n2024-01,300\n")
    with pytest.raises(InputError, match="2024-01"):
        counts.read([a, b], default_profile())


@pytest.mark.parametrize(
    ("text", "options", "match"),
    [
        ("Date,Calls\n2024-01-01,10\n", {"channel": ""}, "needs channel"),
        ("Date,Calls\n2024-01-01,10\n", {"count_column": "Answered"}, "no column 'Answered'"),
        ("Date,Calls\nsoon,10\n", {}, "not a date"),
        ("Date,Calls\n2024-01-01,-3\n", {}, "whole number"),
        ("Date,Calls\n2024-01-01,10\n", {"colour": "red"}, "unknown counts option"),
    ],
)
def test_bad_input_is_an_input_error(tmp_path, text, options, match):
    f = _file(tmp_path, "x.csv", text, **options)
    with pytest.raises(InputError, match=match):
        counts.read([f], default_profile())


def test_xlsx_summary_spreadsheet(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Calls"])
    ws.append([dt.datetime(2024, 1, 1), 5])
    ws.append([dt.datetime(2024, 1, 2), 6])
    wb.save(tmp_path / "s.xlsx")
    f = InputFile(tmp_path / "s.xlsx", "s.xlsx", "counts", OPTS)
    c = counts.read([f], default_profile()).contacts
    assert c["count"].tolist() == [5, 6]


def test_profile_with_only_counts_sources_is_valid_and_loads(tmp_path):
    (tmp_path / "phone.csv").write_text(
        "Date,Calls\n2023-07-01,3\n2023-07-02,4\n", encoding="utf-8"
    )
    (tmp_path / "email.csv").write_text("day,n\n2023-07,20\n", encoding="utf-8")
    prof = tmp_path / "city.yml"
    prof.write_text(
        "sources:\n"
        "  - {format: counts, path: phone.csv, channel: phone, date_column: Date, count_column: Calls}\n"
        "  - {format: counts, path: email.csv, channel: Email, date_column: day, count_column: n}\n",
        encoding="utf-8",
    )
    profile = load_profile(prof)
    assert profile.fiscal_year_start_month == 7
    assert profile.timezone == "America/Los_Angeles"
    data = load(None, prof)
    assert data.contacts.groupby("channel")["count"].sum().to_dict() == {"email": 20, "phone": 7}
    assert set(data.ledger["format"]) == {"counts"}


@pytest.mark.parametrize(
    "text, line",
    [
        # 5 + 1 were counted (6): the 234 of an unquoted 1,234 fell past the header.
        ("Date,Calls\n03/01/2024,5\n03/02/2024,1,234\n", 3),
        ("Date,Calls\n03/01/2024,1,234\n03/02/2024,5\n", 2),  # the first row alike
    ],
)
def test_a_row_wider_than_the_header_names_its_line(tmp_path, text, line):
    f = _file(tmp_path, "phone_daily.csv", text)
    with pytest.raises(InputError) as err:
        counts.read([f], default_profile())
    assert str(err.value).startswith(
        f"phone_daily.csv, line {line}: this row has 3 cells but the header has 2; "
        "expected one cell per header column"
    )


def test_empty_cells_right_of_the_header_are_padding(tmp_path):
    # A trailing delimiter, and a spreadsheet's "Save as CSV" padding, hold no value.
    f = _file(tmp_path, "phone_daily.csv", "Date,Calls\n03/01/2024,5,\n03/02/2024,7,,\n")
    c = counts.read([f], default_profile()).contacts
    assert c["count"].tolist() == [5, 7]


def test_xlsx_value_beside_the_table_names_its_cell(tmp_path):
    # A count typed in column C, which has no header, would be left out unseen.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Calls"])
    ws.append([dt.datetime(2024, 1, 1), 5])
    ws.append([dt.datetime(2024, 1, 2), 6, 7])
    ws.append([dt.datetime(2024, 1, 3), 8, None])  # an empty cell there is no value
    wb.save(tmp_path / "s.xlsx")
    f = InputFile(tmp_path / "s.xlsx", "s.xlsx", "counts", OPTS)
    with pytest.raises(InputError) as caught:
        counts.read([f], default_profile())
    assert caught.value.line == 3
    assert caught.value.column == "C"
    assert "a value in column C, which has no header" in caught.value.message


def test_xlsx_value_past_column_z_is_named_by_its_letters(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Date", "Calls"])
    ws.append([dt.datetime(2024, 1, 1), 5, *[None] * 25, 9])  # the 28th column: AB
    wb.save(tmp_path / "s.xlsx")
    f = InputFile(tmp_path / "s.xlsx", "s.xlsx", "counts", OPTS)
    with pytest.raises(InputError) as caught:
        counts.read([f], default_profile())
    assert (caught.value.line, caught.value.column) == (2, "AB")
