"""Contact series for the models: contacts per month or day (contacts311.models.series)."""

import pandas as pd
import pytest

from contacts311.models import NeedsDailyData, daily_series, monthly_series


def _contacts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"contact_date": pd.to_datetime([]), "channel": [], "count": []})
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


def _with_months(daily: list[tuple[str, str, int]], months: list[tuple[str, str, int]]):
    """Days' counts and months' totals (``is_monthly``) in one core table."""
    frame = pd.concat([_contacts(daily), _contacts(months)], ignore_index=True)
    frame["is_monthly"] = [False] * len(daily) + [True] * len(months)
    return frame


def test_daily_series_leaves_months_totals_out_and_says_so():
    contacts = _with_months(
        [("2024-01-01", "phone", 2), ("2024-01-03", "phone", 5)],
        [("2024-01-01", "email", 300), ("2024-02-01", "email", 280)],
    )
    series = daily_series(contacts)
    # Email's 300 is not a busy 1 January: the days are phone's alone.
    assert list(series) == [2, 0, 5]
    assert series.attrs["notes"] == [
        "A daily series needs daily data; email is monthly (2 months, 2024-01 to 2024-02)."
    ]
    assert daily_series(contacts, "phone").attrs["notes"] == []
    with pytest.raises(NeedsDailyData, match=r"^Spikes need daily data; email is monthly"):
        daily_series(contacts, "email", needs="Spikes need")


def test_daily_series_of_a_channel_with_days_and_months():
    contacts = _with_months(
        [("2024-02-01", "email", 4), ("2024-02-02", "email", 6)],
        [("2024-01-01", "email", 90)],
    )
    series = daily_series(contacts, "email")
    assert list(series) == [4, 6]
    assert series.attrs["notes"] == [
        "A daily series needs daily data; email's 1 monthly row (2024-01) is left out."
    ]


def test_monthly_series_counts_months_totals_as_whole_months():
    contacts = _with_months(
        [],
        [("2024-01-01", "phone", 100), ("2024-02-01", "phone", 120), ("2024-03-01", "phone", 90)],
    )
    # Dated the 1st, March's total still covers March: no partial month to drop.
    assert list(monthly_series(contacts, complete_months=True)) == [100, 120, 90]
    days = contacts.drop(columns="is_monthly")
    # The same dates as days end on 1 March: March is partial.
    assert list(monthly_series(days, complete_months=True)) == [100, 120]
