"""The undercount of hand-logged channels (contacts311.models.undercount)."""

import math

import pandas as pd
import pytest
from models_helpers import front_desk_weeks as _front_desk_weeks

from contacts311.models import NeedsDailyData, undercount, undercount_days


def test_undercount_days_flags_zero_and_low_days():
    days = undercount_days(_front_desk_weeks(), channels=["in_person"], low_rule="zero_days")
    # Weekends are closed for the front desk: 8 weeks x 5 weekdays.
    assert len(days) == 40
    flagged = days[days["is_flagged"]].set_index("contact_date")
    assert list(flagged.index) == [pd.Timestamp("2024-03-20"), pd.Timestamp("2024-04-11")]
    wed = flagged.loc["2024-03-20"]
    # Neighbours (the other 7 Wednesdays): 36 38 40 42 44 46 48 -> median 42;
    # 25% quantile at position 1.5 -> (38 + 40) / 2 = 39.
    assert wed["expected"] == 42
    assert wed["expected_low"] == 39
    assert wed["missed_low"] == 39
    assert wed["missed_high"] == 42
    thu = flagged.loc["2024-04-11"]
    # Other Thursdays: 30 and six 50s -> median 50; 20 < 0.5 * 50, not zero.
    assert thu["expected"] == 50
    assert not thu["is_zero"]
    assert thu["missed_low"] == 0
    assert thu["missed_high"] == 30


def test_undercount_per_period():
    table = undercount(_front_desk_weeks(), channels=("in_person",), low_rule="zero_days")
    assert len(table) == 1
    row = table.iloc[0]
    assert row["period"] == "FY 2023-24"
    # Counted: Mon 8x20 + Tue 8x30 + Wed 294 + Thu (6x50 + 30 + 20) + Fri 8x60 = 1524.
    assert row["counted"] == 1524
    assert row["open_days"] == 40
    assert row["flagged_days"] == 2
    assert row["zero_days"] == 1
    assert row["missed_low"] == 39
    assert row["missed_high"] == 42 + 30
    assert row["missed_low_pct"] == pytest.approx(100 * 39 / 1524)
    assert row["missed_high_pct"] == pytest.approx(100 * 72 / 1524)
    assert row["period_total"] == 11524
    assert "same weekday" in row["method"]
    # Days the caller already computed (a report also shows them) give the same estimate.
    days = undercount_days(_front_desk_weeks(), channels=("in_person",), low_rule="zero_days")
    again = undercount(
        _front_desk_weeks(), channels=("in_person",), low_rule="zero_days", days=days
    )
    pd.testing.assert_frame_equal(again, table)


def test_undercount_ignores_thin_channels_and_reports_zero():
    # Email at 3 a day with one empty day: below min_expected (5), a quiet day and a missed day
    # look alike, so nothing is flagged.
    days = pd.date_range("2024-03-04", periods=28, freq="D")
    counts = [0 if d == pd.Timestamp("2024-03-13") else 3 for d in days]
    contacts = pd.DataFrame({"contact_date": days, "channel": "email", "count": counts})
    table = undercount(contacts, channels=("email", "in_person"))
    assert list(table["channel"]) == ["email", "in_person"]
    assert table["missed_high"].sum() == 0
    in_person = table.set_index("channel").loc["in_person"]
    assert in_person["counted"] == 0
    assert math.isnan(in_person["missed_low_pct"])


def test_undercount_low_rule_flagged_and_excused_event_days():
    contacts = _front_desk_weeks()
    flagged_rule = undercount(contacts, channels=("in_person",), low_rule="flagged").iloc[0]
    # Wednesday 20 Mar: 25% quantile 39 - 0 = 39. Thursday 11 Apr: other Thursdays sorted
    # 30 50 50 50 50 50 50, 25% quantile at position 1.5 = 50, minus its 20 = 30. 39 + 30 = 69.
    assert flagged_rule["missed_low"] == 69
    assert flagged_rule["missed_high"] == 72
    assert "minus its count" in flagged_rule["method"]
    storm = pd.DataFrame(
        {"date": ["2024-04-10"], "end_date": ["2024-04-12"], "label": ["Ice storm"]}
    )
    days = undercount_days(contacts, channels=["in_person"], events=storm)
    thursday = days.set_index("contact_date").loc["2024-04-11"]
    assert thursday["excused"]
    assert not thursday["is_flagged"]
    assert thursday["event_label"] == "Ice storm"
    assert thursday["missed_high"] == 0
    row = undercount(contacts, channels=("in_person",), events=storm).iloc[0]
    assert (row["flagged_days"], row["excused_days"]) == (1, 1)
    assert (row["missed_low"], row["missed_high"]) == (39, 42)
    assert "excused" in row["method"]
    with pytest.raises(ValueError, match="low_rule"):
        undercount_days(contacts, low_rule="median")


def _email_months(*months_and_counts: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime([m for m, _ in months_and_counts]),
            "channel": "email",
            "count": [n for _, n in months_and_counts],
            "is_monthly": True,
        }
    )


def test_undercount_of_hand_logged_channels_given_only_as_months_says_it_needs_days():
    contacts = _email_months(("2024-03-01", 400), ("2024-04-01", 380))
    message = "The undercount needs daily data; email is monthly (2 months, 2024-03 to 2024-04)."
    with pytest.raises(NeedsDailyData) as days_error:
        undercount_days(contacts)
    assert str(days_error.value) == message
    with pytest.raises(NeedsDailyData, match="email is monthly"):
        undercount(contacts)


def test_undercount_leaves_a_monthly_channel_out_and_keeps_the_daily_one():
    days = _front_desk_weeks().assign(is_monthly=False)
    contacts = pd.concat([days, _email_months(("2024-03-01", 400), ("2024-04-01", 380))])
    flagged = undercount_days(contacts, low_rule="zero_days")
    assert set(flagged["channel"]) == {"in_person"}
    assert flagged.attrs["notes"] == [
        "The undercount needs daily data; email is monthly (2 months, 2024-03 to 2024-04)."
    ]
    table = undercount(contacts, low_rule="zero_days")
    # No email row: a month's total hides the days it would flag, so 0 missed would mislead.
    assert list(table["channel"]) == ["in_person"]
    row = table.iloc[0]
    assert (row["missed_low"], row["missed_high"]) == (39, 72)
    # The percentages' base still counts every contact, email's months included.
    assert row["period_total"] == 11524 + 780
    assert table.attrs["notes"] == flagged.attrs["notes"]
