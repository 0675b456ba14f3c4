"""Row-level counts tables (count_rows: true), date-times, and multi-line records."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from contacts311.cli import main
from contacts311.errors import InputError
from contacts311.pipeline import InputFile
from contacts311.profile import default_profile
from contacts311.sources import counts
from contacts311.sources._base import read_table

DATA = Path(__file__).resolve().parents[1] / "data" / "counts"
SR_MAP = {
    "Phone Call": "phone",
    "Web Portal": "webform",
    "Mobile App": "mobile_app",
    "Email": "email",
    "Internal": None,  # staff-entered requests are not contacts
}
SR_OPTS = {
    "count_rows": True,
    "date_column": "CREATED_DATE",
    "channel_column": "SOURCE",
    "channel_map": SR_MAP,
    "id_column": "SR_NUMBER",
}


def _data(name: str, **options) -> InputFile:
    return InputFile(DATA / name, name, "counts", options)


def _file(tmp_path: Path, name: str, text: str, **options) -> InputFile:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return InputFile(p, name, "counts", options)


def _ledger(result) -> dict[tuple[str, str, str], tuple[int, int]]:
    frame = result.ledger.frame()
    return {(r.source_file, r.bucket, r.reason): (r.rows, r.contacts) for r in frame.itertuples()}


def _per_day(contacts: pd.DataFrame) -> dict[tuple[str, str], int]:
    grouped = contacts.groupby(["contact_date", "channel"])["count"].sum()
    return {(d.date().isoformat(), c): int(n) for (d, c), n in grouped.items()}


def test_socrata_export_of_service_requests(tmp_path):
    name = "socrata_export_service_requests.csv"
    result = counts.read([_data(name, **SR_OPTS)], default_profile())
    # 9 records (one spans two lines): 7 counted; SR15-00000107 is Internal (not counted); the
    # second SR15-00000103 repeats the first (same date and channel).
    assert _ledger(result) == {
        (name, "counted", "counted"): (7, 7),
        (name, "excluded", "channel_not_counted"): (1, 0),
        (name, "duplicate", "duplicate"): (1, 0),
    }
    assert result.ledger.unbalanced() == []
    # 11:59:59 PM stays on 1 Dec; 12:00:01 AM is 2 Dec.
    assert _per_day(result.contacts) == {
        ("2015-12-01", "phone"): 2,
        ("2015-12-01", "webform"): 1,
        ("2015-12-02", "email"): 1,
        ("2015-12-02", "mobile_app"): 1,
        ("2015-12-02", "phone"): 1,
        ("2015-12-03", "webform"): 1,
    }
    c = result.contacts
    assert c["contact_id"].tolist() == [f"SR15-0000010{i}" for i in (1, 2, 3, 4, 5, 6, 8)]
    assert c["queue"].tolist()[:3] == ["Phone Call", "Web Portal", "Phone Call"]
    assert set(c["count"]) == {1} and set(c["source"]) == {"counts"}
    assert result.columns[name][:3] == ["SR_NUMBER", "SR_TYPE", "SOURCE"]
    assert result.notes == [
        f"{name}: 7 rows counted one contact each (email 1, mobile_app 1, phone 3, webform 2), "
        "dated by column 'CREATED_DATE', channels from column 'SOURCE'; 1 channel not counted; "
        "1 duplicate."
    ]


def test_unmapped_channel_values_are_listed_with_their_row_counts():
    options = {
        "count_rows": True,
        "date_column": "created_date",
        "channel_column": "source",
        "channel_map": {"Phone": "phone", "Web": "webform"},
    }
    with pytest.raises(InputError) as err:
        counts.read([_data("soda_api_service_requests.csv", **options)], default_profile())
    text = str(err.value)
    assert text.startswith("soda_api_service_requests.csv, column 'source': 2 channel value(s)")
    assert "'Text Message' (2 rows), (empty) (1 row)" in text
    assert '"*"' in text and len(text.splitlines()) == 1


def test_star_maps_every_other_value_and_case_is_ignored():
    options = {
        "count_rows": True,
        "date_column": "created_date",
        "channel_column": "source",
        "channel_map": {"PHONE": "phone", "web": "webform", "*": "other"},
    }
    result = counts.read([_data("soda_api_service_requests.csv", **options)], default_profile())
    # Floating timestamps (2016-01-04T13:05:30.000) are read on their date part.
    assert _per_day(result.contacts) == {
        ("2016-01-04", "phone"): 2,  # "Phone" and "phone"
        ("2016-01-04", "other"): 1,  # Text Message
        ("2016-01-05", "webform"): 1,
        ("2016-01-05", "other"): 2,  # an empty cell and Text Message
    }
    assert result.contacts["contact_id"].isna().all()  # no id_column: nothing to dedupe on


def test_call_center_log_in_one_channel_with_a_repeated_call():
    name = "socrata_export_call_center.csv"
    f = _data(name, count_rows=True, date_column="CALL_DATE", channel="Phone", id_column="CALL_ID")
    result = counts.read([f], default_profile())
    assert _per_day(result.contacts) == {("2015-12-01", "phone"): 3, ("2015-12-02", "phone"): 1}
    assert _ledger(result) == {
        (name, "counted", "counted"): (4, 4),
        (name, "duplicate", "duplicate"): (1, 0),
    }
    assert result.contacts["queue"].isna().all()


def test_repeated_id_on_another_date_names_both_rows(tmp_path):
    opts = {"count_rows": True, "date_column": "Created", "channel": "phone", "id_column": "ID"}
    a = _file(tmp_path, "a.csv", "ID,Created\nR1,2015-12-01\nR2,2015-12-01 10:00:00\n", **opts)
    b = _file(tmp_path, "b.csv", "ID,Created\nR3,12/02/2015\nR2,12/02/2015 10:00:00 AM\n", **opts)
    with pytest.raises(InputError) as err:
        counts.read([a, b], default_profile())
    text = str(err.value)
    assert text.startswith("b.csv, line 3: id 'R2' is phone on 2015-12-02 here")
    assert "phone on 2015-12-01 in a.csv line 3" in text


def test_repeated_id_on_another_channel_is_an_error(tmp_path):
    f = _file(
        tmp_path,
        "sr.csv",
        "ID,Created,Via\nR1,2015-12-01,Phone\nR1,2015-12-01,Email\n",
        count_rows=True,
        date_column="Created",
        channel_column="Via",
        channel_map={"Phone": "phone", "Email": "email"},
        id_column="ID",
    )
    with pytest.raises(InputError, match=r"sr.csv, line 3: id 'R1' is email .* phone .* line 2"):
        counts.read([f], default_profile())


def test_a_multi_line_record_is_named_by_its_first_line(tmp_path):
    text = (
        "ID,Created,Note\n"
        'R1,2015-12-01,"one\ntwo\nthree"\n'  # lines 2-4
        'R2,2015-12-01,"four\nfive"\n'  # lines 5-6
        "R3,yesterday,six\n"  # line 7
    )
    header, rows = read_table(_file(tmp_path, "n.csv", text).path)
    assert header == ["ID", "Created", "Note"]
    assert [(line, cells[0]) for line, cells in rows] == [(2, "R1"), (5, "R2"), (7, "R3")]
    assert rows[0][1][2] == "one\ntwo\nthree"
    bad = 'ID,Created,Note\nR1,2015-12-01,ok\nR2,"2015-12-\n02",bad\n'  # lines 3-4
    f = _file(tmp_path, "m.csv", bad, count_rows=True, date_column="Created", channel="phone")
    with pytest.raises(InputError) as err:
        counts.read([f], default_profile())
    assert str(err.value).startswith("m.csv, line 3, column 'Created': date '2015-12-\\n02'")
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "12/01/2015 12:00:00 AM",
        "12/01/2015 11:59:59 PM",
        "2015-12-01T00:00:00.000",
        "2015-12-01T23:59:59",
        "2015-12-01 08:15:00",
        "2015-12-01 08:15",
        "12/1/2015 8:15 AM",
    ],
)
def test_date_times_need_no_date_format(tmp_path, text):
    f = _file(
        tmp_path,
        "d.csv",
        f"Date,Calls\n{text},7\n",
        channel="phone",
        date_column="Date",
        count_column="Calls",
    )
    c = counts.read([f], default_profile()).contacts
    assert c["contact_date"].tolist() == [pd.Timestamp("2015-12-01")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/01/2015 13:00:00 PM", "expected YYYY-MM-DD, MM/DD/YYYY (either may have a time"),
        ("2015-12-01T24:00:00", "expected YYYY-MM-DD, MM/DD/YYYY (either may have a time"),
        ("2015-13-01 08:00:00", "expected YYYY-MM-DD, MM/DD/YYYY (either may have a time"),
        ("2015-12-01T08:00:00.000Z", "without a UTC offset"),
        ("2015-12-01T08:00:00-08:00", "without a UTC offset"),
    ],
)
def test_unreadable_or_zoned_date_times_are_one_line_errors(tmp_path, text, expected):
    f = _file(
        tmp_path,
        "d.csv",
        f"Date,Calls\n2015-11-30,1\n{text},7\n",
        channel="phone",
        date_column="Date",
        count_column="Calls",
    )
    with pytest.raises(InputError) as err:
        counts.read([f], default_profile())
    message = str(err.value)
    assert message.startswith(f"d.csv, line 3, column 'Date': date {text!r} is not a date;")
    assert expected in message and len(message.splitlines()) == 1


def test_a_day_counted_as_rows_and_as_a_daily_count_is_an_error(tmp_path):
    rows = _file(
        tmp_path,
        "calls.csv",
        "Created\n2015-12-01 08:00:00\n2015-12-02 09:00:00\n",
        count_rows=True,
        date_column="Created",
        channel="phone",
    )
    daily = _file(
        tmp_path,
        "daily.csv",
        "Date,Calls\n2015-11-30,4\n2015-12-02,1\n",
        channel="phone",
        date_column="Date",
        count_column="Calls",
    )
    with pytest.raises(InputError) as err:
        counts.read([rows, daily], default_profile())
    assert str(err.value) == (
        "calls.csv: phone on 2015-12-02 is counted row by row here and as a daily count in "
        "daily.csv line 3; give each day once, as rows or as a count"
    )
    other = _file(
        tmp_path,
        "email.csv",
        "Date,Calls\n2015-12-02,9\n",
        channel="email",
        date_column="Date",
        count_column="Calls",
    )
    assert counts.read([rows, other], default_profile()).contacts["count"].sum() == 2 + 9


def test_count_rows_false_is_an_ordinary_counts_table(tmp_path):
    f = _file(
        tmp_path,
        "d.csv",
        "Date,Calls\n2015-12-01,5\n",
        count_rows=False,
        channel="phone",
        date_column="Date",
        count_column="Calls",
    )
    assert counts.read([f], default_profile()).contacts["count"].tolist() == [5]


_ROWS = "ID,Created,Via\nR1,2015-12-01,Phone\n"


@pytest.mark.parametrize(
    ("text", "options", "match"),
    [
        (_ROWS, {"count_rows": "yes"}, "count_rows must be true or false"),
        (_ROWS, {"count_column": "Calls"}, "unknown option.*count_column.*each row is one"),
        (_ROWS, {"date_column": ""}, "needs date_column"),
        (_ROWS, {"channel": "phone"}, "either channel .* or channel_column"),
        (_ROWS, {"channel_column": None, "channel": "phone"}, "channel_map needs channel_column"),
        (_ROWS, {"channel_map": None}, "channel_column needs channel_map"),
        (_ROWS, {"channel_map": {"Phone": "3 phones"}}, "must be a name such as phone"),
        (_ROWS, {"channel_map": {"Phone": "phone", "PHONE": "email"}}, "two channels"),
        (_ROWS, {"id_column": "SR_NUMBER"}, "no column 'SR_NUMBER'.*header has: ID, Created, Via"),
        ("ID,Created,Via\n,2015-12-01,Phone\n", {}, r"line 2, column 'ID': empty id"),
        ("ID,Created,Via\nR1,2015-12,Phone\n", {}, r"line 2, column 'Created'.*is a month"),
        ("ID,Created,Via\nR1,,Phone\n", {}, r"line 2, column 'Created': date '' is not a date"),
    ],
)
def test_bad_row_level_input_is_an_input_error(tmp_path, text, options, match):
    base = {
        "count_rows": True,
        "date_column": "Created",
        "channel_column": "Via",
        "channel_map": {"Phone": "phone"},
        "id_column": "ID",
    }
    opts = {k: v for k, v in {**base, **options}.items() if v is not None}
    f = _file(tmp_path, "x.csv", text, **opts)
    with pytest.raises(InputError, match=match):
        counts.read([f], default_profile())


def test_totals_command_reads_a_row_level_profile(tmp_path, capsys):
    shutil.copy(DATA / "socrata_export_service_requests.csv", tmp_path / "requests.csv")
    shutil.copy(DATA / "socrata_export_call_center.csv", tmp_path / "calls.csv")
    profile = tmp_path / "city.yml"
    profile.write_text(
        "sources:\n"
        "  - format: counts\n"
        "    path: requests.csv\n"
        "    count_rows: true\n"
        "    date_column: CREATED_DATE\n"
        "    channel_column: SOURCE\n"
        "    id_column: SR_NUMBER\n"
        "    channel_map:\n"
        "      Phone Call: phone\n"
        "      Web Portal: webform\n"
        "      Internal: null\n"
        '      "*": other\n'
        "  - {format: counts, path: calls.csv, count_rows: true, date_column: CALL_DATE,"
        " channel: phone_line, id_column: CALL_ID}\n",
        encoding="utf-8",
    )
    assert main(["totals", "--profile", str(profile), "--format", "csv"]) == 0
    out = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    # FY 2015-16 (July start) holds every row: requests phone 3, webform 2, other 2 (Mobile
    # App and Email); calls 4 (C-0002 once).
    row = out.iloc[0].to_dict()
    assert len(out) == 1
    assert {k: row[k] for k in ("phone", "webform", "other", "phone_line")} == {
        "phone": 3,
        "webform": 2,
        "other": 2,
        "phone_line": 4,
    }
    assert row["total"] == 11


def test_date_format_with_a_time_in_a_row_level_table():
    f = _data("socrata_export_service_requests.csv", **SR_OPTS, date_format="%m/%d/%Y %I:%M:%S %p")
    result = counts.read([f], default_profile())
    assert result.contacts["contact_date"].min() == pd.Timestamp("2015-12-01")
    assert int(result.contacts["count"].sum()) == 7


def test_a_totals_row_under_the_records_is_excluded(tmp_path):
    f = _file(
        tmp_path,
        "r.csv",
        "Created,Via\n2015-12-01 08:00,Phone\n2015-12-01 09:00,Phone\nTotal:,2\n",
        count_rows=True,
        date_column="Created",
        channel="phone",
    )
    result = counts.read([f], default_profile())
    assert _ledger(result) == {
        ("r.csv", "counted", "counted"): (2, 2),
        ("r.csv", "excluded", "summary_row"): (1, 0),
    }


def test_a_row_level_row_wider_than_the_header_names_its_line(tmp_path):
    # The unquoted comma in 'Pothole, large' moves Phone Call out of SOURCE, into a fifth cell.
    f = _file(
        tmp_path,
        "sr.csv",
        "SR_NUMBER,CREATED_DATE,TYPE,SOURCE\n"
        "SR1,2015-12-01,Graffiti,Web Portal\n"
        "SR2,2015-12-01,Pothole, large,Phone Call\n",
        **{**SR_OPTS, "channel_map": {**SR_MAP, "*": "other"}},
    )
    with pytest.raises(InputError) as err:
        counts.read([f], default_profile())
    assert str(err.value).startswith(
        "sr.csv, line 3: this row has 5 cells but the header has 4; "
        "expected one cell per header column"
    )
