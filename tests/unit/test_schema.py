"""The core table's grain: days' counts and months' totals (contacts311.schema)."""

import pandas as pd
import pytest

from contacts311.errors import InputError
from contacts311.schema import daily_rows, last_day_covered, validate_contacts


def _core(dates, channels, counts, monthly) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime(dates),
            "channel": channels,
            "count": counts,
            "source": "counts",
            "source_file": "x.csv",
            "is_monthly": monthly,
        }
    )


def test_daily_rows_split_months_off_with_a_sentence_per_channel_in_report_order():
    contacts = _core(
        ["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-09", "2024-03-01"],
        ["webform", "email", "email", "phone", "phone"],
        [50, 300, 280, 7, 900],
        [True, True, True, False, True],
    )
    daily, notes = daily_rows(contacts, "Spikes need")
    assert daily["count"].tolist() == [7]
    assert notes == [
        "Spikes need daily data; phone's 1 monthly row (2024-03) is left out.",
        "Spikes need daily data; email is monthly (2 months, 2024-01 to 2024-02).",
        "Spikes need daily data; webform is monthly (1 month, 2024-01).",
    ]
    _, stopped = daily_rows(contacts, "Weekly totals need", left_out=False)
    assert (
        stopped[0]
        == "Weekly totals need daily data; phone has monthly totals for 1 month (2024-03)."
    )


def test_a_table_without_the_column_is_all_days():
    days = _core(["2024-01-01"], ["phone"], [4], [False]).drop(columns="is_monthly")
    daily, notes = daily_rows(days, "Spikes need")
    assert daily is days and notes == []
    assert last_day_covered(days) == pd.Timestamp("2024-01-01")


def test_last_day_covered_runs_a_months_total_to_the_months_end():
    contacts = _core(["2024-02-01", "2024-02-10"], ["email", "phone"], [1, 1], [True, False])
    assert last_day_covered(contacts) == pd.Timestamp("2024-02-29")
    with pytest.raises(ValueError, match="no contacts"):
        last_day_covered(contacts.iloc[0:0])


def test_validation_fills_the_grain_and_refuses_a_month_off_the_first():
    days = _core(["2024-01-05"], ["phone"], [4], [False]).drop(columns="is_monthly")
    assert validate_contacts(days)["is_monthly"].tolist() == [False]
    off = _core(["2024-01-05"], ["phone"], [4], [True])
    with pytest.raises(InputError, match="first"):
        validate_contacts(off)
