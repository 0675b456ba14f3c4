import datetime as dt

import pandas as pd
import pytest

from contacts311.profile import ServiceRules
from contacts311.service import service_days, service_rates


def _day(frame: pd.DataFrame, date: str) -> pd.Series:
    return frame.loc[frame["date"] == pd.Timestamp(date)].iloc[0]


def test_january_2024_program_calendar():
    days = service_days("2024-01-01", "2024-01-31", ServiceRules())
    # 31 days; weekends open since July 2023; New Year's Day (Mon 1st) and MLK Day (Mon 15th)
    # closed -> 29 open days of 13 hours (7am-8pm).
    assert len(days) == 31
    assert int(days["is_open"].sum()) == 29
    assert float(days["open_hours"].sum()) == 29 * 13
    assert not _day(days, "2024-01-01")["is_open"]
    assert _day(days, "2024-01-15")["closed_reason"] == "holiday"
    assert _day(days, "2024-01-06")["is_open"]  # a Saturday
    assert _day(days, "2024-01-06")["open_hours"] == 13


def test_january_2024_front_desk_weekdays_only():
    days = service_days("2024-01-01", "2024-01-31", ServiceRules(), channel="in_person")
    # Weekdays: 1-5, 8-12, 15-19, 22-26, 29-31 = 23; minus the two Monday holidays = 21.
    assert int(days["is_open"].sum()) == 21
    assert _day(days, "2024-01-06")["closed_reason"] == "weekend"
    # Other channels follow the program calendar.
    assert int(service_days("2024-01-01", "2024-01-31", channel="email")["is_open"].sum()) == 29


def test_weekends_closed_before_weekend_service_started():
    days = service_days("2023-06-01", "2023-06-30")
    # June 2023: 30 days - 8 weekend days (3,4,10,11,17,18,24,25) - Juneteenth (Mon 19th) = 21.
    assert int(days["is_open"].sum()) == 21
    # 1 July 2023 is the first Saturday of weekend service.
    assert bool(_day(service_days("2023-07-01", "2023-07-01"), "2023-07-01")["is_open"])


def test_observed_holiday_and_weekend_holiday():
    days = service_days("2022-12-24", "2022-12-27")
    # Christmas 2022 was a Sunday (closed anyway, weekdays-only then); observed Monday 26th.
    assert list(days["is_open"]) == [False, False, False, True]
    assert list(days["closed_reason"]) == ["weekend", "weekend", "holiday", ""]


def test_rules_without_holidays_or_weekend_service():
    open_every_day = ServiceRules(closed_on_federal_holidays=False, front_desk_weekdays_only=False)
    assert (
        int(service_days("2024-01-01", "2024-01-31", open_every_day, "in_person")["is_open"].sum())
        == 31
    )
    weekdays_only = ServiceRules(weekends_from="")
    assert (
        int(service_days(dt.date(2024, 1, 1), dt.date(2024, 1, 31), weekdays_only)["is_open"].sum())
        == 21
    )
    short_day = ServiceRules(open_hour=8, close_hour=17)
    assert float(service_days("2024-01-02", "2024-01-02", short_day)["open_hours"].iloc[0]) == 9.0


def test_end_before_start_is_an_error():
    with pytest.raises(ValueError, match="before start"):
        service_days("2024-02-01", "2024-01-31")


def test_service_rates_january_2024():
    contacts = pd.DataFrame(
        {
            # The data spans 1-31 January; a webform-style contact on the closed 1st still counts.
            "contact_date": pd.to_datetime(
                ["2024-01-01", "2024-01-10", "2024-01-31", "2024-01-10"]
            ),
            "channel": ["phone", "phone", "phone", "in_person"],
            "count": [10, 200, 80, 42],
        }
    )
    rates = service_rates(contacts).set_index("channel")
    assert list(rates.index) == ["phone", "in_person", "total"]
    assert (rates["period"] == "FY 2023-24").all()
    assert rates.loc["phone", "count"] == 290
    assert rates.loc["phone", "open_days"] == 29
    assert rates.loc["phone", "contacts_per_open_day"] == pytest.approx(290 / 29)
    assert rates.loc["phone", "contacts_per_open_hour"] == pytest.approx(290 / 377)
    assert rates.loc["in_person", "open_days"] == 21
    assert rates.loc["in_person", "contacts_per_open_day"] == pytest.approx(2.0)
    assert rates.loc["in_person", "contacts_per_open_hour"] == pytest.approx(42 / (21 * 13))
    assert rates.loc["total", "count"] == 332
    assert rates.loc["total", "contacts_per_open_day"] == pytest.approx(332 / 29)
    assert rates.loc["total", "first_date"] == pd.Timestamp("2024-01-01")
    assert rates.loc["total", "last_date"] == pd.Timestamp("2024-01-31")


def test_service_rates_split_by_fiscal_year():
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2024-06-28", "2024-07-01"]),
            "channel": ["phone", "phone"],
            "count": [5, 7],
        }
    )
    rates = service_rates(contacts)
    # 28-30 June 2024 (Fri, Sat, Sun: all open) and Mon 1 July 2024 (open).
    assert list(rates["period"]) == ["FY 2023-24", "FY 2023-24", "FY 2024-25", "FY 2024-25"]
    phone = rates[rates["channel"] == "phone"]
    assert list(phone["open_days"]) == [3, 1]
    assert list(phone["count"]) == [5, 7]
    assert service_rates(contacts.iloc[0:0]).empty


def test_service_rates_divide_a_months_total_by_all_its_open_days():
    contacts = pd.DataFrame(
        {
            # January and February 2024 as monthly totals, each dated the 1st.
            "contact_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "channel": ["email", "email"],
            "count": [290, 400],
            "is_monthly": [True, True],
        }
    )
    rates = service_rates(contacts).set_index("channel")
    # 29 open days in January 2024 (31 less 1 and 15 January) and 28 in February (29 less
    # Presidents' Day, 19 February): the month's totals cover their months.
    assert rates.loc["email", "open_days"] == 29 + 28
    assert rates.loc["email", "count"] == 690
    assert rates.loc["email", "contacts_per_open_day"] == pytest.approx(690 / 57)
    # Not 690 contacts over the 1 January to 1 February span.
    assert rates.loc["email", "last_date"] == pd.Timestamp("2024-02-29")
