import datetime as dt

import pandas as pd

from contacts311.measures import channel_columns, period_totals


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
