import datetime as dt

import pandas as pd

from contacts311.calendar import assign_periods, period_bounds, period_label, periods_table


def test_labels():
    assert period_label(2024) == "FY 2023-24"
    assert period_label(2000) == "FY 1999-00"
    assert period_label(2024, style="ending-year") == "2024"
    assert period_label(2024, basis="calendar") == "2024"
    assert period_label(2024, start_month=1) == "FY 2024"


def test_bounds():
    assert period_bounds(2024) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    assert period_bounds(2024, start_month=10) == (dt.date(2023, 10, 1), dt.date(2024, 9, 30))
    assert period_bounds(2024, basis="calendar") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def test_assign_periods_fiscal_and_calendar():
    dates = pd.Series(pd.to_datetime(["2023-06-30", "2023-07-01", "2024-06-30", "2024-07-01"]))
    assert list(assign_periods(dates)) == [2023, 2024, 2024, 2025]
    assert list(assign_periods(dates, basis="calendar")) == [2023, 2023, 2024, 2024]
    assert list(assign_periods(dates, start_month=10)) == [2023, 2023, 2024, 2024]


def _contacts(dates):
    return pd.DataFrame({"contact_date": pd.to_datetime(dates), "channel": "phone", "count": 1})


def test_partial_when_month_missing_or_not_over():
    # FY 2022-23 has every month; FY 2023-24 lacks March 2024; FY 2024-25 is not over on 2024-09-30.
    months = pd.date_range("2022-07-01", "2024-09-01", freq="MS")
    dates = [d for d in months if d != pd.Timestamp("2024-03-01")]
    table = periods_table(_contacts(dates), as_of=dt.date(2024, 9, 30))
    assert list(table["period"]) == ["FY 2022-23", "FY 2023-24", "FY 2024-25"]
    assert list(table["is_partial"]) == [False, True, True]
    assert table.loc[1, "months_missing"] == ["2024-03"]
    assert table.loc[2, "months_missing"] == [
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
        "2025-06",
    ]


def test_gap_year_is_listed_as_partial():
    table = periods_table(_contacts(["2020-08-01", "2022-08-01"]), as_of=dt.date(2030, 1, 1))
    assert list(table["period"]) == ["FY 2020-21", "FY 2021-22", "FY 2022-23"]
    assert table["is_partial"].all()


def test_federal_holidays_include_observed_days_of_every_year_in_the_span():
    import datetime as dt

    from contacts311.calendar import federal_holidays

    days = federal_holidays(dt.date(2023, 12, 15), dt.date(2024, 1, 15))
    # New Year's Day 2023 fell on a Sunday: observed Monday 2 January; whole years are covered.
    assert dt.date(2023, 1, 2) in days and dt.date(2023, 7, 4) in days
    assert dt.date(2024, 11, 28) in days  # Thanksgiving 2024
    assert dt.date(2024, 6, 19) in days  # Juneteenth
    assert dt.date(2025, 1, 1) not in days and dt.date(2024, 3, 11) not in days
