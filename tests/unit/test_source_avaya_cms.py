"""Avaya CMS source: tiny inline exports with expectations worked out by hand."""

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

from contacts311 import cli
from contacts311.errors import InputError, InputWarning
from contacts311.ledger import ledger_wide
from contacts311.pipeline import InputFile, load
from contacts311.profile import Profile
from contacts311.sources import avaya_cms

TAB_REPORT = (
    "311 Multi-Day Multi-Skill\n"
    "Skills: 101; 102\n"
    "Dates: 07/01/2023 - 07/02/2023\n"
    "\n"
    "Date\tSplit/Skill\tSplit/Skill Name\tACD Calls\tAban Calls\tCalls Offered\n"
    "07/01/2023\t101\tGeneral\t120\t10\t130\n"
    "07/01/2023\t102\tSpanish\t15\t3\t18\n"
    "\n"
    "07/02/2023\t101\tGeneral\t90\t5\t95\n"
    "Totals\t\t\t225\t18\t243\n"
)

HSPLIT = (
    "row_date,starttime,intrvl,acd,split,acdcalls,abncalls,callsoffered,acdtime,acwtime,i_stafftime\n"
    "2023-07-03,700,30,1,101,4,1,5,600,120,1800\n"
    "2023-07-03,730,30,1,101,6,0,6,900,180,1800\n"
    "2023-07-03,700,30,1,102,2,3,5,200,40,1800\n"
    "2023-07-04,0,1440,1,101,50,7,57,,,\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _read(
    folder: Path, names: list[str], profile: Profile | None = None, options: dict | None = None
):
    files = [InputFile(folder / n, n, "avaya_cms", dict(options or {})) for n in names]
    return avaya_cms.read(files, profile or Profile())


def _profile(**phone) -> Profile:
    prof = Profile()
    for key, value in phone.items():
        setattr(prof.phone, key, value)
    return prof


def _counts(result) -> dict[tuple[str, str], int]:
    c = result.contacts
    return {
        (d.date().isoformat(), q): int(n)
        for d, q, n in zip(c["contact_date"], c["queue"], c["count"], strict=True)
    }


def _bucket_rows(result, source_file: str) -> dict[tuple[str, str], int]:
    led = result.ledger.frame()
    led = led[led["source_file"] == source_file]
    return {
        (b, r): int(n) for b, r, n in zip(led["bucket"], led["reason"], led["rows"], strict=True)
    }


# --- CMS Supervisor exports --------------------------------------------------------------------


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
        "07/05/2023\t7:30 AM-8:00 AM\t101\t5\t0\t600\t1:00\t\n"
    )
    _write(tmp_path, "iv.txt", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["iv.txt"])
    # "1:00" is neither seconds nor h:mm:ss.
    assert err.value.line == 5
    assert err.value.column == "ACW Time"

    _write(tmp_path, "iv.txt", text.replace("\t1:00\t", "\t0:01:00\t"))
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


def test_date_column_preferred_over_a_day_of_week_column(tmp_path):
    text = "Day\tDate\tSkill\tACD Calls\tAban Calls\nMon\t07/03/2023\t101\t6\t1\n"
    _write(tmp_path, "d.txt", text)
    assert _counts(_read(tmp_path, ["d.txt"])) == {("2023-07-03", "101"): 6}


def test_skill_numbers_compare_as_numbers_across_files(tmp_path):
    _write(tmp_path, "a.csv", "Date,Skill,ACD Calls,Aban Calls\n2023-07-03,0101,6,1\n")
    _write(tmp_path, "b.csv", "row_date,split,acdcalls,abncalls\n2023-07-03,101,6,1\n")
    result = _read(tmp_path, ["a.csv", "b.csv"])
    assert _counts(result) == {("2023-07-03", "101"): 6}
    assert _bucket_rows(result, "b.csv") == {("duplicate", "same_key_same_values"): 1}


def test_single_interval_start_assumes_30_minutes_with_a_warning(tmp_path):
    _write(tmp_path, "one.csv", "Date,Time,Skill,ACD Calls,Aban Calls\n2023-07-05,0700,101,1,0\n")
    with pytest.warns(InputWarning, match="one.csv: interval length unknown"):
        iv = _read(tmp_path, ["one.csv"]).tables["intervals"]
    assert list(iv["interval_minutes"]) == [30]


# --- hsplit dumps ---------------------------------------------------------------------------


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


def test_skill_names_from_a_report_name_hsplit_queues(tmp_path):
    _write(tmp_path, "a_report.txt", TAB_REPORT)
    _write(tmp_path, "b_hsplit.csv", HSPLIT)
    result = _read(tmp_path, ["a_report.txt", "b_hsplit.csv"])
    assert _counts(result)[("2023-07-03", "General")] == 10
    assert _counts(result)[("2023-07-03", "Spanish")] == 2


# --- formulas ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # hsplit 07-03 skill 101: ACD 4+6=10, aban 1+0=1, offered 5+6=11; skill 102: 2, 3, 5.
        ("acd_calls", {("2023-07-03", "101"): 10, ("2023-07-03", "102"): 2}),
        ("calls_offered", {("2023-07-03", "101"): 11, ("2023-07-03", "102"): 5}),
    ],
)
def test_formulas_on_interval_sums(tmp_path, formula, expected):
    _write(tmp_path, "h.csv", HSPLIT.rsplit("2023-07-04", 1)[0])
    assert _counts(_read(tmp_path, ["h.csv"], _profile(formula=formula))) == expected


def test_acd_minus_abandoned_is_taken_on_skill_day_sums(tmp_path):
    text = (
        "row_date,starttime,intrvl,split,acdcalls,abncalls\n"
        "2023-07-03,700,30,101,1,3\n"  # more abandoned than answered in one interval: allowed
        "2023-07-03,730,30,101,9,2\n"
    )
    _write(tmp_path, "h.csv", text)
    profile = _profile(formula="acd_minus_abandoned")
    result = _read(tmp_path, ["h.csv"], profile)
    assert _counts(result) == {("2023-07-03", "101"): 5}  # (1 + 9) - (3 + 2)
    assert int(result.ledger.frame()["contacts"].sum()) == 5
    assert any("SUM(ACD Calls) - SUM(Abandoned Calls)" in n for n in profile.rules_text())


def test_acd_minus_abandoned_negative_skill_day_is_an_error(tmp_path):
    text = "row_date,split,acdcalls,abncalls\n2023-07-03,101,2,5\n"
    _write(tmp_path, "h.csv", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["h.csv"], _profile(formula="acd_minus_abandoned"))
    assert err.value.file == "h.csv"
    assert err.value.line == "2"
    assert "-3" in err.value.message and "skill 101" in err.value.message


def test_calls_offered_formula_needs_the_column(tmp_path):
    _write(tmp_path, "h.csv", "row_date,split,acdcalls,abncalls\n2023-07-03,101,2,1\n")
    with pytest.raises(InputError, match="calls offered"):
        _read(tmp_path, ["h.csv"], _profile(formula="calls_offered"))


def test_per_file_option_overrides_the_profile_formula(tmp_path):
    _write(tmp_path, "report.txt", TAB_REPORT)
    result = _read(tmp_path, ["report.txt"], options={"formula": "calls_offered"})
    # Calls Offered column: 130, 18, 95.
    assert sorted(_counts(result).values()) == [18, 95, 130]
    assert any("report.txt: per-file rules" in n for n in result.notes)
    with pytest.raises(InputError, match="unknown avaya_cms option"):
        _read(tmp_path, ["report.txt"], options={"fomula": "acd_calls"})


# --- skills ------------------------------------------------------------------------------------


def test_skill_filter_and_exclusion_by_number_or_name(tmp_path):
    _write(tmp_path, "report.txt", TAB_REPORT)
    only_101 = _read(tmp_path, ["report.txt"], _profile(skills=["101"]))
    assert _counts(only_101) == {("2023-07-01", "General"): 120, ("2023-07-02", "General"): 90}
    assert _bucket_rows(only_101, "report.txt")[("excluded", "skill_not_counted")] == 1

    no_general = _read(tmp_path, ["report.txt"], _profile(exclude_skills=["general"]))
    assert _counts(no_general) == {("2023-07-01", "Spanish"): 15}
    assert _bucket_rows(no_general, "report.txt") == {
        ("counted", ""): 1,
        ("excluded", "skill_not_counted"): 2,
        ("excluded", "summary_row"): 1,
    }
    assert no_general.ledger.unbalanced() == []


# --- duplicates ----------------------------------------------------------------------------


def test_overlapping_exports_same_values_are_duplicates(tmp_path):
    _write(tmp_path, "a.txt", TAB_REPORT)
    later = (
        "Date\tSplit/Skill\tACD Calls\tAban Calls\n"
        "07/02/2023\t101\t90\t5\n"  # same as a.txt line 9
        "07/03/2023\t101\t80\t4\n"
    )
    _write(tmp_path, "b.txt", later)
    result = _read(tmp_path, ["b.txt", "a.txt"])  # order given does not matter: sorted by name
    assert _counts(result) == {
        ("2023-07-01", "General"): 120,
        ("2023-07-01", "Spanish"): 15,
        ("2023-07-02", "General"): 90,
        ("2023-07-03", "General"): 80,
    }
    assert _bucket_rows(result, "b.txt") == {
        ("counted", ""): 1,
        ("duplicate", "same_key_same_values"): 1,
    }
    wide = ledger_wide(result.ledger.frame()).set_index("source_file")
    assert wide.loc["b.txt", "duplicate"] == 1
    assert wide.loc["a.txt", "contacts"] == 225  # 120 + 15 + 90
    assert wide.loc["b.txt", "contacts"] == 80
    assert (wide["rows_read"] == wide["counted"] + wide["excluded"] + wide["duplicate"]).all()


def test_conflicting_duplicate_names_files_lines_key_and_values(tmp_path):
    _write(tmp_path, "a.txt", TAB_REPORT)
    _write(
        tmp_path, "b.txt", "Date\tSplit/Skill\tACD Calls\tAban Calls\n\n07/02/2023\t101\t91\t5\n"
    )
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["a.txt", "b.txt"])
    text = str(err.value)
    assert "skill 101, 2023-07-02" in text
    assert "a.txt line 9" in text and "b.txt line 3" in text
    assert "is 90 in" in text and "but 91 in" in text


def test_daily_row_equal_to_interval_sum_is_a_duplicate(tmp_path):
    text = HSPLIT + "2023-07-03,0,1440,1,101,10,1,11,,,\n"  # 4+6, 1+0, 5+6
    _write(tmp_path, "h.csv", text)
    result = _read(tmp_path, ["h.csv"])
    assert _counts(result)[("2023-07-03", "101")] == 10
    assert _bucket_rows(result, "h.csv") == {
        ("counted", ""): 4,
        ("duplicate", "daily_row_equals_intervals"): 1,
    }


def test_daily_row_different_from_interval_sum_is_an_error(tmp_path):
    _write(tmp_path, "h.csv", HSPLIT + "2023-07-03,0,1440,1,101,12,1,13,,,\n")
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["h.csv"])
    assert err.value.line == 6
    assert "acd_calls 12" in err.value.message and "sum to 10" in err.value.message
    assert "lines 2-3" in err.value.message


# --- bad cells -------------------------------------------------------------------------------


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


def test_bad_date_trailing_delimiter_and_missing_column(tmp_path):
    _write(tmp_path, "d.txt", TAB_REPORT.replace("07/02/2023", "13/02/2023"))
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["d.txt"])
    assert (err.value.line, err.value.column) == (9, "Date")

    # A trailing delimiter (an extra empty cell) right of the header's columns is ignored.
    _write(tmp_path, "r.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90\t5\t95\t"))
    assert int(_read(tmp_path, ["r.txt"]).contacts["count"].sum()) == 225  # 120 + 15 + 90

    _write(tmp_path, "s.txt", TAB_REPORT.replace("\t90\t5\t95", "\t90"))  # short row
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["s.txt"])
    assert (err.value.line, err.value.column) == (9, "Aban Calls")

    _write(tmp_path, "m.csv", "Date,Skill,ACD Calls\n2023-07-01,101,5\n")
    with pytest.raises(InputError, match="Aban Calls"):
        _read(tmp_path, ["m.csv"])


# --- encodings, sniffing -----------------------------------------------------------------------


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


def test_sniff():
    assert avaya_cms.sniff(TAB_REPORT)
    assert avaya_cms.sniff(HSPLIT)
    assert avaya_cms.sniff("\ufeffDay,Split,Split/Skill Name,ACD Calls,Aban Calls\r\n")
    zendesk = (
        "ID,Requester,Requester ID,Requester external id,Requester email,Requester domain,Submitter,"
        "Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,Updated at\n"
        "101,Ann,5,,ann@example.org,example.org,Ann,Bob,311,Pothole,,Solved,Normal,Web form,,"
        "2024-03-11 09:15:02,2024-03-11 10:00:00\n"
    )
    assert not avaya_cms.sniff(zendesk)
    assert not avaya_cms.sniff('{"tickets": [{"id": 1}]}')
    assert not avaya_cms.sniff("")
    assert not avaya_cms.sniff("date,skill,calls\n2023-07-01,101,5\n")  # no ACD Calls column


def test_header_only_file_reads_no_rows(tmp_path):
    _write(tmp_path, "empty.csv", "row_date,split,acdcalls,abncalls\n")
    result = _read(tmp_path, ["empty.csv"])
    assert result.contacts.empty
    assert result.ledger.rows_read == {"empty.csv": 0}
    assert list(result.ledger.frame()["reason"]) == ["no_data_rows"]


def test_no_header_is_an_error(tmp_path):
    _write(tmp_path, "x.txt", "just a note\nnothing here\n")
    with pytest.raises(InputError, match="no column header"):
        _read(tmp_path, ["x.txt"])


# --- through the pipeline and the command line ----------------------------------------------


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
