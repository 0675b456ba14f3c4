import datetime as dt

import pandas as pd
import pytest
from measures_helpers import channel_totals as _channel_totals

from contacts311.measures import channel_columns, channel_shares, headline_figure, period_totals
from contacts311.schema import NeedsDailyData


def test_channel_order():
    assert channel_columns(["chat", "in_person", "phone", "email", "app"]) == [
        "phone",
        "email",
        "in_person",
        "app",
        "chat",
    ]


def test_period_totals_hand_computed():
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(
                ["2023-06-30", "2023-07-01", "2023-07-02", "2024-06-30", "2024-07-01"]
            ),
            "channel": ["phone", "phone", "email", "in_person", "phone"],
            "count": [10, 20, 1, 1, 5],
        }
    )
    table = period_totals(contacts, as_of=dt.date(2024, 12, 31))
    assert list(table.columns) == [
        "period",
        "start",
        "end",
        "is_partial",
        "phone",
        "email",
        "in_person",
        "total",
    ]
    assert list(table["period"]) == ["FY 2022-23", "FY 2023-24", "FY 2024-25"]
    assert list(table["phone"]) == [10, 20, 5]
    assert list(table["email"]) == [0, 1, 0]
    assert list(table["in_person"]) == [0, 1, 0]
    assert list(table["total"]) == [10, 22, 5]
    # Only one month of data in each year: every period is partial.
    assert table["is_partial"].all()


def test_period_totals_calendar_and_labels():
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2023-06-30", "2023-07-01"]),
            "channel": ["phone", "phone"],
            "count": [3, 4],
        }
    )
    table = period_totals(contacts, basis="calendar", as_of=dt.date(2030, 1, 1))
    assert list(table["period"]) == ["2023"]
    assert list(table["total"]) == [7]
    fy = period_totals(contacts, style="ending-year", as_of=dt.date(2030, 1, 1))
    assert list(fy["period"]) == ["2023", "2024"]


def test_channel_shares_hand_computed():
    totals = _channel_totals(
        [("FY 2020-21", False, 75, 25), ("FY 2021-22", False, 60, 40), ("FY 2022-23", True, 0, 0)]
    )
    shares = channel_shares(totals)
    assert list(shares.columns) == ["period", "is_partial", "channel", "count", "share_pct"]
    # Period order, then channel order (phone before email).
    assert list(zip(shares["period"], shares["channel"], strict=True))[:4] == [
        ("FY 2020-21", "phone"),
        ("FY 2020-21", "email"),
        ("FY 2021-22", "phone"),
        ("FY 2021-22", "email"),
    ]
    # 75 / 100 = 75%, 25 / 100 = 25%; 60 / 100 = 60%, 40 / 100 = 40%.
    assert shares["share_pct"].iloc[:4].tolist() == pytest.approx([75.0, 25.0, 60.0, 40.0])
    # A period without contacts has no shares rather than a division by zero.
    assert shares["share_pct"].iloc[4:].isna().all()
    assert shares["is_partial"].tolist() == [False] * 4 + [True] * 2
    assert shares["count"].tolist() == [75, 25, 60, 40, 0, 0]


def test_channel_shares_uneven_split_sums_to_100():
    shares = channel_shares(_channel_totals([("FY 2020-21", False, 2, 1)]))
    # 2/3 = 66.67%, 1/3 = 33.33%.
    assert shares["share_pct"].tolist() == pytest.approx([200 / 3, 100 / 3])
    assert shares["share_pct"].sum() == pytest.approx(100.0)


def test_headline_figure_on_tiny_data():
    none_complete = _channel_totals([("FY 2020-21", True, 60, 0)])
    head = headline_figure(none_complete)
    assert (head["period"], head["total"], head["is_partial"]) == ("FY 2020-21", 60, True)
    assert head["complete_periods"] == 0
    assert "no complete period" in head["statement"]

    one = _channel_totals([("FY 2020-21", False, 10, 5), ("FY 2021-22", True, 1, 1)])
    head = headline_figure(one)
    assert (head["period"], head["total"], head["is_partial"]) == ("FY 2020-21", 15, False)

    empty = _channel_totals([]).iloc[0:0]
    assert headline_figure(empty)["period"] is None
    assert channel_shares(empty).empty


@pytest.mark.parametrize("basis", ["fiscal", "calendar", "month", "quarter", "week"])
def test_period_totals_has_the_same_columns_for_every_basis(basis):
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2024-03-01", "2024-03-31"]),
            "channel": ["phone", "email"],
            "count": [3, 4],
        }
    )
    table = period_totals(contacts, basis=basis, as_of=dt.date(2030, 1, 1))
    assert list(table.columns) == [
        "period",
        "start",
        "end",
        "is_partial",
        "phone",
        "email",
        "total",
    ]
    assert table["total"].sum() == 7


def test_period_totals_by_month_and_iso_week_hand_computed():
    contacts = pd.DataFrame(
        {
            # Sun 31 Mar 2024 ends 2024-W13; Mon 1 Apr starts 2024-W14; data end Tue 2 Apr.
            "contact_date": pd.to_datetime(
                ["2024-03-25", "2024-03-31", "2024-04-01", "2024-04-02"]
            ),
            "channel": ["phone", "email", "phone", "phone"],
            "count": [10, 2, 5, 1],
        }
    )
    months = period_totals(contacts, basis="month", as_of=dt.date(2030, 1, 1))
    assert list(months["period"]) == ["2024-03", "2024-04"]
    assert list(months["total"]) == [12, 6]
    # March is covered only from the 25th: it starts before the data. April ends after them.
    assert list(months["is_partial"]) == [True, True]
    weeks = period_totals(contacts, basis="week", as_of=dt.date(2030, 1, 1))
    assert list(weeks["period"]) == ["2024-W13", "2024-W14"]
    assert list(weeks["phone"]) == [10, 6]
    assert list(weeks["email"]) == [2, 0]
    assert list(weeks["is_partial"]) == [False, True]


def _monthly_email() -> pd.DataFrame:
    """Email as monthly totals for June to August 2024 (each dated the 1st), phone by day."""
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime(
                ["2024-06-01", "2024-07-01", "2024-08-01", "2024-07-15"]
            ),
            "channel": ["email", "email", "email", "phone"],
            "count": [300, 310, 320, 7],
            "is_monthly": [True, True, True, False],
        }
    )


def test_period_totals_count_months_totals_in_their_month_quarter_and_year():
    contacts = _monthly_email()
    years = period_totals(contacts, as_of=dt.date(2030, 1, 1))
    assert list(years["period"]) == ["FY 2023-24", "FY 2024-25"]
    assert list(years["email"]) == [300, 630]
    months = period_totals(contacts, "month", as_of=dt.date(2030, 1, 1))
    assert list(months["email"]) == [300, 310, 320]
    assert list(months["phone"]) == [0, 7, 0]
    # August is covered to the 31st by its total: not partial.
    assert list(months["is_partial"]) == [False, False, False]
    quarters = period_totals(contacts, "quarter", as_of=dt.date(2030, 1, 1))
    assert list(quarters["period"]) == ["2024-Q2", "2024-Q3"]
    assert list(quarters["total"]) == [300, 637]


def test_weekly_totals_of_months_totals_are_refused_with_a_sentence():
    with pytest.raises(NeedsDailyData) as error:
        period_totals(_monthly_email(), "week", as_of=dt.date(2030, 1, 1))
    assert str(error.value) == (
        "Weekly totals need daily data; email is monthly (3 months, 2024-06 to 2024-08)."
    )
    mixed = _monthly_email().assign(channel="phone")
    with pytest.raises(NeedsDailyData, match=r"phone has monthly totals for 3 months \(2024-06"):
        period_totals(mixed, "week", as_of=dt.date(2030, 1, 1))
    days_only = _monthly_email().iloc[[3]]
    assert list(period_totals(days_only, "week", as_of=dt.date(2030, 1, 1))["total"]) == [7]
