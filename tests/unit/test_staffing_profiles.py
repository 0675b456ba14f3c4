"""Intraday profiles from interval rows, and the flat fallback over the opening hours."""

import pytest
from staffing_helpers import intervals_frame as _intervals

from contacts311.errors import InputError
from contacts311.profile import ServiceRules
from contacts311.staffing.profiles import flat_profile, intraday_profile


def test_intraday_profile_shares():
    nan = float("nan")
    table = _intervals(
        [
            # 2024-01-01 is a Monday, 2024-01-02 a Tuesday.
            ("2024-01-01", 420, 30, "A", 6, 5, 1, nan, nan, nan),
            ("2024-01-01", 450, 30, "A", nan, 3, 1, nan, nan, nan),  # offered = 3 + 1
            ("2024-01-02", 420, 30, "A", 7, 7, 0, nan, nan, nan),
            ("2024-01-02", 420, 30, "B", 3, 3, 0, nan, nan, nan),  # pooled with queue A
            ("2024-01-03", 0, 1440, "A", 500, 500, 0, nan, nan, nan),  # daily row: ignored
        ]
    )
    prof = intraday_profile(table)
    # Cells: Mon 07:00 = 6, Mon 07:30 = 4, Tue 07:00 = 10; total 20.
    assert list(prof["weekday"]) == [0, 0, 1]
    assert list(prof["weekday_name"]) == ["Monday", "Monday", "Tuesday"]
    assert list(prof["interval_start"]) == [420, 450, 420]
    assert list(prof["calls"]) == [6, 4, 10]
    assert list(prof["share"]) == pytest.approx([0.3, 0.2, 0.5])
    assert set(prof["interval_minutes"]) == {30}


def test_intraday_profile_rebuckets_mixed_lengths():
    nan = float("nan")
    table = _intervals(
        [
            ("2024-01-01", 420, 15, "A", 1, 1, 0, nan, nan, nan),
            ("2024-01-01", 435, 15, "A", 2, 2, 0, nan, nan, nan),
            ("2024-01-08", 420, 30, "A", 5, 5, 0, nan, nan, nan),
            ("2024-01-08", 450, 30, "A", 2, 2, 0, nan, nan, nan),
        ]
    )
    prof = intraday_profile(table)
    # 07:00 and 07:15 fold into 07:00 (30 minutes): 1 + 2 + 5 = 8; 07:30: 2; total 10.
    assert list(prof["interval_start"]) == [420, 450]
    assert list(prof["calls"]) == [8, 2]
    assert list(prof["share"]) == pytest.approx([0.8, 0.2])


def test_intraday_profile_errors():
    nan = float("nan")
    mixed = _intervals(
        [
            ("2024-01-01", 420, 20, "A", 1, 1, 0, nan, nan, nan),
            ("2024-01-01", 420, 30, "A", 1, 1, 0, nan, nan, nan),
        ]
    )
    with pytest.raises(InputError, match="do not nest"):
        intraday_profile(mixed)
    daily = _intervals([("2024-01-01", 0, 1440, "A", 1, 1, 0, nan, nan, nan)])
    with pytest.raises(InputError, match="no intra-day rows"):
        intraday_profile(daily)
    empty = _intervals([("2024-01-01", 420, 30, "A", 0, 0, 0, nan, nan, nan)])
    with pytest.raises(InputError, match="no calls"):
        intraday_profile(empty)


def test_flat_profile_over_opening_hours():
    prof = flat_profile(ServiceRules(open_hour=7, close_hour=20), {0: 2.0, 1: 1.0, 6: 0.0}, 60)
    # 13 hourly intervals from 07:00 to 19:00; Sunday (weight 0) is closed.
    assert sorted(set(prof["weekday"])) == [0, 1]
    assert len(prof) == 26
    assert prof["interval_start"].min() == 420 and prof["interval_start"].max() == 1140
    monday = prof[prof["weekday"] == 0]["share"]
    assert list(monday) == pytest.approx([2 / 3 / 13] * 13)
    assert prof["share"].sum() == pytest.approx(1.0)
    with pytest.raises(InputError, match="do not split"):
        flat_profile(ServiceRules(open_hour=7, close_hour=20), None, 120)
