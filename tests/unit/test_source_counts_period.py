"""Daily or monthly counts tables: ``period: day|month`` and its inference (sources.counts)."""

from pathlib import Path

import pandas as pd
import pytest

from contacts311.errors import InputError
from contacts311.pipeline import InputFile, load
from contacts311.profile import default_profile
from contacts311.sources import counts

OPTS = {"channel": "email", "date_column": "Date", "count_column": "Emails"}


def _read(tmp_path: Path, text: str, **options):
    (tmp_path / "email.csv").write_text(text, encoding="utf-8")
    f = InputFile(tmp_path / "email.csv", "email.csv", "counts", {**OPTS, **options})
    return counts.read([f], default_profile())


def test_every_date_the_first_of_a_month_at_midnight_is_read_as_monthly(tmp_path):
    result = _read(tmp_path, "Date,Emails\n2024-01-01,300\n2024-02-01 00:00:00,280\n")
    assert result.contacts["is_monthly"].tolist() == [True, True]
    assert result.contacts["count"].tolist() == [300, 280]
    assert "email.csv: 2 monthly email counts from column 'Emails'" in result.notes[0]
    assert result.notes[1] == (
        "email.csv: every date is the first of a month, so each row is read as a month's total "
        "(period: day in the profile reads them as days)."
    )


def test_socrata_midnight_timestamps_on_the_first_are_monthly(tmp_path):
    text = "Date,Emails\n2015-12-01T00:00:00.000,40\n01/01/2016 12:00:00 AM,41\n"
    assert _read(tmp_path, text).contacts["is_monthly"].tolist() == [True, True]


@pytest.mark.parametrize(
    "text",
    [
        # One mid-month date: days, of which two happen to be the 1st.
        "Date,Emails\n2024-01-01,10\n2024-02-01,12\n2024-02-14,9\n",
        # A time of day other than midnight: a day's contacts, stamped.
        "Date,Emails\n2024-01-01 08:15:00,10\n2024-02-01,12\n",
        "Date,Emails\n01/01/2024 12:00:00 PM,10\n02/01/2024,12\n",
        # A single first of a month says nothing about the table's grain.
        "Date,Emails\n2024-01-01,10\n",
    ],
)
def test_daily_tables_stay_daily(tmp_path, text):
    result = _read(tmp_path, text)
    assert not result.contacts["is_monthly"].any()
    assert not any("every date is the first" in n for n in result.notes)


def test_period_day_keeps_firsts_of_months_as_days(tmp_path):
    result = _read(tmp_path, "Date,Emails\n2024-01-01,10\n2024-02-01,12\n", period="day")
    assert result.contacts["is_monthly"].tolist() == [False, False]
    assert "2 daily email counts" in result.notes[0]
    assert len(result.notes) == 1


def test_period_month_marks_every_row_without_a_note_on_inference(tmp_path):
    result = _read(tmp_path, "Date,Emails\n2024-01-01,300\n", period=" Month ")
    assert result.contacts["is_monthly"].tolist() == [True]
    assert result.notes == [
        "email.csv: 1 monthly email counts from column 'Emails'; monthly rows are dated the "
        "first day of their month."
    ]


@pytest.mark.parametrize(
    ("text", "period", "message"),
    [
        (
            "Date,Emails\n2024-01-01,300\n",
            "weekly",
            "email.csv: period 'weekly' (period in the profile) must be day or month, or left out",
        ),
        (
            "Date,Emails\n2024-01-01,300\n2024-02-14,280\n",
            "month",
            "email.csv, column 'Date': date 2024-02-14 is not the first of a month; with period: "
            "month every row is a month's total, dated YYYY-MM or YYYY-MM-01",
        ),
        (
            "Date,Emails\n2024-01,300\n",
            "day",
            "email.csv, column 'Date': date 2024-01 is a month but period is day; give whole "
            "dates or period: month",
        ),
    ],
)
def test_bad_period_is_a_one_line_error(tmp_path, text, period, message):
    with pytest.raises(InputError) as error:
        _read(tmp_path, text, period=period)
    assert str(error.value) == message


def test_an_inferred_month_and_days_of_the_same_month_are_refused(tmp_path):
    (tmp_path / "months.csv").write_text("Date,Emails\n2024-01-01,300\n2024-02-01,280\n")
    (tmp_path / "days.csv").write_text("Date,Emails\n2024-02-05,9\n")
    files = [InputFile(tmp_path / n, n, "counts", OPTS) for n in ("months.csv", "days.csv")]
    with pytest.raises(InputError, match=r"^days.csv: email for 2024-02 has daily rows here"):
        counts.read(files, default_profile())


def test_monthly_rows_reach_the_core_table(tmp_path):
    (tmp_path / "email.csv").write_text("Date,Emails\n2023-07-01,300\n2023-08-01,280\n")
    (tmp_path / "city.yml").write_text(
        "sources:\n  - {format: counts, path: email.csv, channel: email, date_column: Date, "
        "count_column: Emails}\n"
    )
    data = load(None, tmp_path / "city.yml")
    assert data.contacts["is_monthly"].tolist() == [True, True]
    assert data.contacts["contact_date"].tolist() == [
        pd.Timestamp("2023-07-01"),
        pd.Timestamp("2023-08-01"),
    ]
