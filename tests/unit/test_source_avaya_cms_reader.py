"""Avaya CMS ``reader``: all files together, through the pipeline and the CLI."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from avaya_cms_helpers import HSPLIT, TAB_REPORT
from avaya_cms_helpers import bucket_rows as _bucket_rows
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import profile as _profile
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311 import cli
from contacts311.errors import InputWarning
from contacts311.pipeline import load


def test_tab_report_with_title_lines_and_totals_row(tmp_path):
    _write(tmp_path, "report.txt", TAB_REPORT)
    result = _read(tmp_path, ["report.txt"])
    assert _counts(result) == {
        ("2023-07-01", "General"): 120,
        ("2023-07-01", "Spanish"): 15,
        ("2023-07-02", "General"): 90,
    }
    c = result.contacts
    assert set(c["channel"]) == {"phone"}
    assert set(c["source"]) == {"avaya_cms"}
    assert c["contact_id"].isna().all()
    assert c["contact_date"].dtype == "datetime64[ns]"
    # 3 skill-day rows plus the totals row; title and blank lines are not rows.
    assert result.ledger.rows_read == {"report.txt": 4}
    assert _bucket_rows(result, "report.txt") == {
        ("counted", ""): 3,
        ("excluded", "summary_row"): 1,
    }
    assert result.ledger.unbalanced() == []
    assert result.columns["report.txt"] == [
        "Date",
        "Split/Skill",
        "Split/Skill Name",
        "ACD Calls",
        "Aban Calls",
        "Calls Offered",
    ]


def test_hsplit_daily_and_interval_rows(tmp_path):
    _write(tmp_path, "hsplit.csv", HSPLIT)
    result = _read(tmp_path, ["hsplit.csv"])
    # Skill 101 on 07-03: 4 + 6 = 10; skill 102: 2; skill 101 on 07-04 (daily row): 50.
    assert _counts(result) == {
        ("2023-07-03", "101"): 10,
        ("2023-07-03", "102"): 2,
        ("2023-07-04", "101"): 50,
    }
    iv = result.tables["intervals"]
    assert list(iv.columns) == [
        "contact_date",
        "interval_start",
        "interval_minutes",
        "queue",
        "calls_offered",
        "acd_calls",
        "abandoned_calls",
        "acd_time_seconds",
        "acw_time_seconds",
        "staffed_seconds",
        "answer_wait_seconds",
        "abandon_wait_seconds",
    ]
    assert iv["answer_wait_seconds"].isna().all()  # no anstime column in this dump
    assert len(iv) == 3  # the daily row is not an interval
    first = iv[(iv["queue"] == "101") & (iv["interval_start"] == 420)].iloc[0]
    assert first["interval_minutes"] == 30
    assert (first["calls_offered"], first["acd_calls"], first["abandoned_calls"]) == (5, 4, 1)
    assert (first["acd_time_seconds"], first["acw_time_seconds"], first["staffed_seconds"]) == (
        600,
        120,
        1800,
    )
    assert list(iv.loc[iv["queue"] == "101", "interval_start"]) == [420, 450]


def test_hsplit_wait_times_feed_the_intervals_table(tmp_path):
    _write(
        tmp_path,
        "waits.csv",
        "row_date,starttime,intrvl,split,acdcalls,abncalls,anstime,abntime\n"
        "2023-07-03,700,30,101,4,1,80,45\n"
        "2023-07-03,730,30,101,6,2,120,30\n",
    )
    iv = _read(tmp_path, ["waits.csv"]).tables["intervals"]
    assert list(iv["answer_wait_seconds"]) == [80, 120]
    assert list(iv["abandon_wait_seconds"]) == [45, 30]


def test_pipeline_and_cli_totals(tmp_path, capsys):
    _write(tmp_path, "a_report.txt", TAB_REPORT)
    _write(tmp_path, "b_hsplit.csv", HSPLIT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)  # clean exports: no recoveries taken
        data = load(tmp_path)
    # Report: 120 + 15 + 90 = 225; hsplit: 10 + 2 + 50 = 62; all in FY 2023-24.
    assert int(data.contacts["count"].sum()) == 287
    assert set(data.inputs["format"]) == {"avaya_cms"}
    assert dict(zip(data.inputs["source_file"], data.inputs["rows_read"], strict=True)) == {
        "a_report.txt": 4,
        "b_hsplit.csv": 4,
    }
    assert len(data.tables["intervals"]) == 3

    assert cli.main(["totals", str(tmp_path), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[0].split(",")
    row = dict(zip(header, out[1].split(","), strict=True))
    assert row["period"] == "FY 2023-24"
    assert row["phone"] == "287"
    assert row["total"] == "287"


def test_dash_cells_are_counted_per_file_in_the_notes_and_the_ledger_command(tmp_path, capsys):
    _write(tmp_path, "a.txt", TAB_REPORT.replace("\t15\t3\t18", "\t15\t-\t--"))  # 2 cells
    _write(
        tmp_path,
        "b.csv",
        "Date,Interval,Skill,ACD Calls,Aban Calls,ACD Time,ACW Time\n"
        "2023-07-05,7:00 AM,101,--,--,--,-\n"  # 2 count cells, 2 time cells
        "2023-07-05,7:30 AM,101,3,--,300,45\n"  # 1 count cell
        "Totals,,,3,-,300,45\n",  # a totals row is not read: its dash is not counted
    )
    _write(tmp_path, "c.csv", HSPLIT)  # no dashes: no note
    result = _read(tmp_path, ["a.txt", "b.csv", "c.csv"])
    dash_notes = [n for n in result.notes if "dash" in n]
    assert dash_notes == [
        "a.txt: 2 cell(s) written as a dash ('-' or '--': no calls in CMS) read as 0: "
        "2 in call-count columns, 0 in time columns.",
        "b.csv: 5 cell(s) written as a dash ('-' or '--': no calls in CMS) read as 0: "
        "3 in call-count columns, 2 in time columns.",
    ]
    # a.txt 120 + 15 + 90, b.csv 0 + 3, c.csv 10 + 2 + 50
    assert int(result.contacts["count"].sum()) == 290

    assert cli.main(["ledger", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "note: a.txt: 2 cell(s) written as a dash" in err
    assert "note: b.csv: 5 cell(s) written as a dash" in err


DATA = Path(__file__).resolve().parents[1] / "data" / "avaya_cms"


def test_excel_saved_single_day_interval_report():
    result = _read(
        DATA, ["split_skill_interval_excel.csv"], _profile(formula="acd_minus_abandoned")
    )
    # General: ACD 12 + 18 + 21 = 51, abandoned 1 + 2 + 0 = 3; Espanol: 0 + 3 + 0 = 3, 0 + 0 + 1.
    assert _counts(result) == {
        ("2024-03-05", "PDX311 General"): 48,
        ("2024-03-05", "PDX311 Espanol"): 2,
    }
    name = "split_skill_interval_excel.csv"
    # 6 interval rows and the totals row; title, padding and blank lines are not rows.
    assert result.ledger.rows_read == {name: 7}
    assert _bucket_rows(result, name) == {("counted", ""): 6, ("excluded", "summary_row"): 1}
    iv = result.tables["intervals"]
    general = iv[iv["queue"] == "PDX311 General"]
    assert list(general["interval_start"]) == [420, 450, 480]
    assert list(general["interval_minutes"]) == [30, 30, 30]
    assert list(general["acd_time_seconds"]) == [2710, 4512, 4512]  # 45:10, 75:12, 1:15:12
    assert list(general["acw_time_seconds"]) == [485, 760, 3000]  # 8:05, 12:40, 50:00
    espanol = iv[iv["queue"] == "PDX311 Espanol"]
    assert list(espanol["acd_calls"]) == [0, 3, 0]
    assert list(espanol["calls_offered"]) == [0, 3, 1]
    assert list(espanol["acd_time_seconds"]) == [0, 570, 0]
    assert list(espanol["acw_time_seconds"]) == [0, 75, 0]
    assert f"{name}: no date column; every row is dated 2024-03-05 from title line 3 " in "".join(
        result.notes
    )
    assert (
        f"{name}: 10 cell(s) written as a dash ('-' or '--': no calls in CMS) read as 0: "
        "6 in call-count columns, 4 in time columns." in result.notes
    )


def test_tab_exported_interval_starts_dated_by_a_split_title_line():
    name = "split_skill_interval_tab.txt"
    result = _read(DATA, [name])
    assert _counts(result) == {("2024-03-06", "1"): 24}  # 10 + 0 + 14
    iv = result.tables["intervals"]
    assert list(iv["interval_start"]) == [420, 450, 480]
    assert list(iv["interval_minutes"]) == [30, 30, 30]  # the gap between starts
    assert _bucket_rows(result, name) == {("counted", ""): 3, ("excluded", "summary_row"): 1}
    assert any(n.startswith(f"{name}: 3 cell(s) written as a dash") for n in result.notes)


def test_range_title_without_a_date_column_is_refused_by_the_command(capsys, tmp_path):
    shutil.copy(DATA / "interval_range_title.csv", tmp_path / "interval_range_title.csv")
    assert cli.main(["totals", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "interval_range_title.csv, line 3" in err
    assert "'Dates: 3/1/2024 - 3/31/2024,,,,'" not in err  # the padding is not part of the title
    assert "'Dates: 3/1/2024 - 3/31/2024' (31 days)" in err
