"""Contact series for the models: contacts per month or day (contacts311.models.series)."""

import pandas as pd

from contacts311.models import daily_series, monthly_series


def _contacts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    dates, channels, counts = zip(*rows, strict=True)
    return pd.DataFrame(
        {"contact_date": pd.to_datetime(list(dates)), "channel": channels, "count": counts}
    )


def test_monthly_series_zero_fills_and_filters_channels():
    contacts = _contacts(
        [
            ("2024-01-05", "phone", 10),
            ("2024-01-20", "email", 3),
            ("2024-03-31", "phone", 7),
        ]
    )
    total = monthly_series(contacts)
    assert list(total.index) == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert list(total) == [13, 0, 7]
    assert total.index.freqstr == "MS"
    # The span is the whole table's: email had nothing in February and March.
    assert list(monthly_series(contacts, "email")) == [3, 0, 0]
    assert list(monthly_series(contacts, ["email", "phone"])) == [13, 0, 7]


def test_monthly_series_complete_months_drops_partial_edges():
    contacts = _contacts(
        [("2024-01-05", "phone", 10), ("2024-02-10", "phone", 4), ("2024-03-31", "phone", 7)]
    )
    # Data starts on 5 January (partial), ends on 31 March (complete).
    assert list(monthly_series(contacts, complete_months=True)) == [4, 7]
    ends_early = _contacts([("2024-01-01", "phone", 1), ("2024-02-28", "phone", 2)])
    # 2024 is a leap year: 28 February is not the month's last day.
    assert list(monthly_series(ends_early, complete_months=True)) == [1]


def test_daily_series_zero_fills():
    contacts = _contacts(
        [("2024-01-01", "phone", 2), ("2024-01-03", "phone", 5), ("2024-01-03", "email", 1)]
    )
    assert list(daily_series(contacts)) == [2, 0, 6]
    assert list(daily_series(contacts, "email")) == [0, 0, 1]
