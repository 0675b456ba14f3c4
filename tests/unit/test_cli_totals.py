"""``contacts311 totals``: every basis, with the same JSON and CSV columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from contacts311.cli import main

# Two answered-call days: Fri 5 Jan 2024 (100) and Mon 5 Feb 2024 (120).
HSPLIT = "row_date,split,acdcalls,abncalls\n2024-01-05,1,100,7\n2024-02-05,1,120,3\n"
COLUMNS = ["period", "start", "end", "is_partial", "phone", "total"]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "hsplit.csv").write_text(HSPLIT, encoding="utf-8")
    return folder


@pytest.mark.parametrize("basis", ["fiscal", "calendar", "month", "quarter", "week"])
def test_json_and_csv_carry_the_same_columns_for_every_basis(tiny, capsys, basis):
    assert main(["totals", str(tiny), "--basis", basis, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [list(r) for r in records] == [COLUMNS] * len(records)
    assert sum(r["total"] for r in records) == 220
    assert main(["totals", str(tiny), "--basis", basis, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == COLUMNS
    assert len(rows) == len(records) + 1


def test_months_are_labelled_and_the_one_not_covered_to_its_end_is_partial(tiny, capsys):
    assert main(["totals", str(tiny), "--basis", "month", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [(r["period"], r["start"], r["end"], r["total"]) for r in records] == [
        ("2024-01", "2024-01-01", "2024-01-31", 100),
        ("2024-02", "2024-02-01", "2024-02-29", 120),
    ]
    # The data run from 5 January to 5 February: neither month is covered from end to end.
    assert [r["is_partial"] for r in records] == [True, True]


def test_iso_weeks_from_monday(tiny, capsys):
    assert main(["totals", str(tiny), "--basis", "week", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    # Fri 5 Jan 2024 is in 2024-W01 (1-7 Jan); Mon 5 Feb 2024 starts 2024-W06.
    assert records[0]["period"] == "2024-W01"
    assert records[0]["start"] == "2024-01-01"
    assert records[-1]["period"] == "2024-W06"
    assert [r["total"] for r in records] == [100, 0, 0, 0, 0, 120]


def test_as_of_decides_which_periods_have_not_ended(tmp_path, capsys):
    folder = tmp_path / "january"
    folder.mkdir()
    (folder / "hsplit.csv").write_text(
        "row_date,split,acdcalls,abncalls\n2024-01-01,1,10,0\n2024-01-31,1,20,0\n",
        encoding="utf-8",
    )
    assert main(["totals", str(folder), "--basis", "month", "--format", "json"]) == 0
    [january] = json.loads(capsys.readouterr().out)
    assert (january["period"], january["total"], january["is_partial"]) == ("2024-01", 30, False)
    args = ["totals", str(folder), "--basis", "month", "--as-of", "2024-01-30", "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)[0]["is_partial"] is True


def test_monthly_totals_count_by_month_and_refuse_weeks(tmp_path, capsys):
    (tmp_path / "email.csv").write_text("Month,Total\n2024-01,300\n2024-02,280\n", "utf-8")
    profile = tmp_path / "city.yml"
    profile.write_text(
        f"sources:\n  - {{format: counts, path: {tmp_path / 'email.csv'}, channel: email, "
        "date_column: Month, count_column: Total}\n",
        encoding="utf-8",
    )
    args = ["totals", "--profile", str(profile), "--as-of", "2030-01-01", "--format", "json"]
    assert main([*args, "--basis", "month"]) == 0
    records = json.loads(capsys.readouterr().out)
    # February's total covers February to its end: complete.
    assert [(r["period"], r["email"], r["is_partial"]) for r in records] == [
        ("2024-01", 300, False),
        ("2024-02", 280, False),
    ]
    assert main([*args, "--basis", "week"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        "Weekly totals need daily data; email is monthly (2 months, 2024-01 to 2024-02). "
        "Use --basis month, quarter, fiscal or calendar."
    )
    assert "\n" not in err
