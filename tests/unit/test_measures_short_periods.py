import datetime as dt

import pandas as pd
import pytest
from measures_helpers import contacts_frame

from contacts311.measures.short_periods import assign_short_periods, short_periods_table


def test_iso_weeks_start_on_monday_and_take_the_iso_year():
    # Sunday 29 Dec 2024 ends 2024-W52; Monday 30 Dec 2024 starts 2025-W01.
    dates = pd.Series(pd.to_datetime(["2024-12-29", "2024-12-30", "2025-01-05"]))
    keys = assign_short_periods(dates, "week")
    assert [p.start_time.date() for p in keys] == [
        dt.date(2024, 12, 23),
        dt.date(2024, 12, 30),
        dt.date(2024, 12, 30),
    ]
    table = short_periods_table(contacts_frame([(d, "phone", 1) for d in dates]), "week")
    assert list(table["period"]) == ["2024-W52", "2025-W01"]
    assert list(table["end"]) == [dt.date(2024, 12, 29), dt.date(2025, 1, 5)]


def test_week_labels_pad_the_week_number():
    table = short_periods_table(contacts_frame([("2024-01-29", "phone", 1)]), "week")
    assert list(table["period"]) == ["2024-W05"]


def test_month_and_quarter_labels_and_bounds():
    contacts = contacts_frame([("2024-01-01", "phone", 1), ("2024-04-30", "phone", 1)])
    months = short_periods_table(contacts, "month", as_of=dt.date(2030, 1, 1))
    assert list(months["period"]) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert months["start"].iloc[1] == dt.date(2024, 2, 1)
    assert months["end"].iloc[1] == dt.date(2024, 2, 29)  # leap year
    quarters = short_periods_table(contacts, "quarter", as_of=dt.date(2030, 1, 1))
    assert list(quarters["period"]) == ["2024-Q1", "2024-Q2"]
    assert list(quarters["end"]) == [dt.date(2024, 3, 31), dt.date(2024, 6, 30)]


def test_a_period_the_data_do_not_cover_to_its_last_day_is_partial():
    # Data from Mon 1 Jan to Wed 14 Feb 2024: February ends after the data's last day.
    contacts = contacts_frame([("2024-01-01", "phone", 1), ("2024-02-14", "phone", 1)])
    months = short_periods_table(contacts, "month", as_of=dt.date(2030, 1, 1))
    assert list(months["is_partial"]) == [False, True]
    weeks = short_periods_table(contacts, "week", as_of=dt.date(2030, 1, 1))
    # 2024-W01 (1-7 Jan) .. 2024-W07 (12-18 Feb): only the last week runs past 14 Feb.
    assert (weeks["period"].iloc[0], weeks["period"].iloc[-1]) == ("2024-W01", "2024-W07")
    assert weeks["is_partial"].tolist() == [False] * 6 + [True]


def test_a_period_starting_before_the_data_or_not_ended_is_partial():
    # Data from Wed 3 Jan 2024: the first week started before them.
    contacts = contacts_frame([("2024-01-03", "phone", 1), ("2024-01-31", "phone", 1)])
    weeks = short_periods_table(contacts, "week", as_of=dt.date(2030, 1, 1))
    assert weeks["is_partial"].iloc[0]
    # January has not ended by 20 January: partial although the data cover it.
    months = short_periods_table(contacts, "month", as_of=dt.date(2024, 1, 20))
    assert months["is_partial"].tolist() == [True]


def test_a_month_without_contacts_is_missing_and_partial_in_every_basis():
    contacts = contacts_frame([("2024-01-01", "phone", 1), ("2024-03-31", "phone", 1)])
    months = short_periods_table(contacts, "month", as_of=dt.date(2030, 1, 1))
    assert months["months_missing"].tolist() == [[], ["2024-02"], []]
    assert months["is_partial"].tolist() == [False, True, False]
    quarters = short_periods_table(contacts, "quarter", as_of=dt.date(2030, 1, 1))
    assert quarters["months_missing"].tolist() == [["2024-02"]]
    assert quarters["is_partial"].tolist() == [True]
    weeks = short_periods_table(contacts, "week", as_of=dt.date(2030, 1, 1))
    # 2024-W05 (29 Jan - 4 Feb) touches the missing February; 2024-W04 does not.
    by_label = dict(zip(weeks["period"], weeks["is_partial"], strict=True))
    assert (by_label["2024-W04"], by_label["2024-W05"]) == (False, True)


def test_no_contacts_no_periods_and_an_unknown_basis_is_refused():
    empty = contacts_frame([])
    assert short_periods_table(empty, "month").empty
    with pytest.raises(ValueError, match="basis must be one of month, quarter, week"):
        short_periods_table(contacts_frame([("2024-01-01", "phone", 1)]), "fortnight")


def test_a_months_total_covers_its_month_to_the_last_day():
    contacts = contacts_frame([("2024-01-01", "email", 300), ("2024-02-01", "email", 280)])
    contacts["is_monthly"] = True
    months = short_periods_table(contacts, "month", as_of=dt.date(2030, 1, 1))
    # February's total is dated 1 February but covers it to the 29th: both months complete.
    assert list(months["is_partial"]) == [False, False]
    as_days = short_periods_table(contacts.drop(columns="is_monthly"), "month", dt.date(2030, 1, 1))
    assert list(as_days["is_partial"]) == [False, True]
