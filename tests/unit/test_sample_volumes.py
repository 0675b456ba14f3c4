"""The sample's volume model: largest-remainder allocation and the calibrated targets."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contacts311.sample.dates import fy_end_year, open_days
from contacts311.sample.volumes import (
    CHANNELS,
    EMAIL_PERCENT_MIN,
    IN_PERSON_PERCENT,
    PHONE_PERCENT_MIN,
    allocate_largest_remainder,
    channel_percents,
    daily_targets,
    monthly_targets,
)

D = dt.date


# ------------------------------------------------------------------ largest remainder


def test_equal_weights_leftover_goes_to_first_position():
    # 10 / 3 = 3.33 each: floors 3+3+3 = 9, one unit left, ties go to the earliest position.
    assert allocate_largest_remainder(10, [1, 1, 1]) == [4, 3, 3]


def test_leftover_goes_to_largest_fraction():
    # quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1 (= 6); the one unit left goes to .5 (position 0).
    assert allocate_largest_remainder(7, [0.5, 0.3, 0.2]) == [4, 2, 1]


def test_two_units_left_go_to_the_two_largest_fractions():
    # quotas 10 * (1, 2, 4) / 7 = 1.43, 2.86, 5.71 -> floors 1, 2, 5 (= 8); the two left go to
    # the two largest fractions, .86 and .71 (positions 1 and 2), not to .43.
    assert allocate_largest_remainder(10, [1, 2, 4]) == [1, 3, 6]
    # quotas 11 * (1, 3, 3, 4) / 11 = 1, 3, 3, 4 exactly -> nothing left over.
    assert allocate_largest_remainder(11, [1, 3, 3, 4]) == [1, 3, 3, 4]
    # quotas 5 * (1, 1, 2) / 4 = 1.25, 1.25, 2.5 -> floors 1, 1, 2 (= 4); one left -> 2.5.
    assert allocate_largest_remainder(5, [1, 1, 2]) == [1, 1, 3]
    # quotas 6 * (2, 3, 4) / 9 = 1.33, 2.0, 2.67 -> floors 1, 2, 2 (= 5); one left -> .67.
    assert allocate_largest_remainder(6, [2, 3, 4]) == [1, 2, 3]


def test_zero_weights_get_nothing_and_zero_total_is_all_zero():
    assert allocate_largest_remainder(5, [0, 2, 3]) == [0, 2, 3]
    assert allocate_largest_remainder(0, [1, 2]) == [0, 0]


def test_march_2024_email_webform_split():
    # FY 2023-24 is the fourth fiscal year: e-mail has 6 - 3 * 0.5 = 4.5%, webform
    # 100 - (88 - 3 * 1.2) - 4.5 - 4 = 7.1%; the 1,634 e-mail and webform contacts split 4.5:7.1,
    # quotas 633.88 and 1,000.12 -> 634 and 1,000.
    assert channel_percents(2024) == {
        "phone": 84.4,
        "email": 4.5,
        "webform": 7.1,
        "in_person": 4.0,
    }
    assert allocate_largest_remainder(1634, [4.5, 7.1]) == [634, 1000]


@pytest.mark.parametrize(
    ("total", "weights"),
    [(-1, [1.0]), (3, [1.0, -0.5]), (3, [0.0, 0.0]), (3, [])],
)
def test_bad_input_is_refused(total, weights):
    with pytest.raises(ValueError):
        allocate_largest_remainder(total, weights)


@given(
    st.integers(min_value=0, max_value=100_000),
    st.lists(st.floats(min_value=0.01, max_value=1000), min_size=1, max_size=40),
)
def test_parts_sum_to_total_and_stay_within_one_of_the_quota(total, weights):
    parts = allocate_largest_remainder(total, weights)
    assert sum(parts) == total
    s = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        quota = total * w / s
        assert quota - 1 < part < quota + 1


# ------------------------------------------------------------------ calibration


def test_published_months_and_fiscal_years_are_exact():
    months = monthly_targets(D(2025, 6, 30))
    assert [months[(2023, m)] for m in (1, 2, 3)] == [12_004, 11_244, 13_824]
    assert [months[(2024, m)] for m in (1, 2, 3)] == [13_723, 13_649, 14_974]
    assert months[(2024, 9)] == 22_133
    assert months[(2025, 5)] == 23_815
    assert months[(2025, 6)] == 22_471
    fy24 = sum(n for (y, m), n in months.items() if (y, m) >= (2023, 7) and (y, m) <= (2024, 6))
    fy25 = sum(n for (y, m), n in months.items() if (y, m) >= (2024, 7) and (y, m) <= (2025, 6))
    assert fy24 == 181_798
    assert fy25 == 226_774
    assert sum(months[(2025, m)] for m in range(1, 7)) == 113_833


def test_months_after_end_date_are_left_out():
    months = monthly_targets(D(2023, 10, 15))
    assert max(months) == (2023, 10)
    assert min(months) == (2020, 7)


@pytest.fixture(scope="module")
def targets():
    return daily_targets(D(2024, 6, 30), seed=311)


def test_march_2024_by_channel(targets):
    counted, _ = targets
    by_channel: dict[str, int] = {}
    for (d, ch), n in counted.items():
        if (d.year, d.month) == (2024, 3):
            by_channel[ch] = by_channel.get(ch, 0) + n
    # The bulletin: phone 12,698; email + webform 1,634 (split 4.5:7.1 as above); walk-in 642.
    assert by_channel == {"phone": 12_698, "email": 634, "webform": 1_000, "in_person": 642}


def test_front_desk_closed_on_weekends_and_nothing_on_closed_days(targets):
    counted, _ = targets
    for (d, ch), n in counted.items():
        assert n > 0
        if ch == "in_person":
            assert d.weekday() < 5
        assert d in set(open_days(d, d))


def test_ice_storm_roughly_doubles_phone_calls(targets):
    counted, _ = targets
    # Tue 16 Jan 2024 (storm) against Tue 9 Jan 2024: the phone day weight is 1.1 * 2.2 vs 1.1,
    # so the storm day has 2.2 times the calls, give or take the rounding of each day (+-1).
    storm, normal = counted[(D(2024, 1, 16), "phone")], counted[(D(2024, 1, 9), "phone")]
    assert abs(storm - 2.2 * normal) <= 3.2


def test_gap_days_log_far_fewer_and_record_the_missed(targets):
    counted, missed = targets
    assert missed, "some manual-tracking gaps expected"
    for (d, ch), n in missed.items():
        assert ch in ("email", "in_person")
        assert n >= 1
        logged = counted.get((d, ch), 0)
        # 15% of the normal weight is still logged: missed is about 85/15 of what was logged.
        assert logged < n


# ------------------------------------------------------------------ channel mix


def test_channel_percents_add_up_and_phone_and_email_lose_points_to_their_floors():
    for fy in range(2021, 2060):
        percents = channel_percents(fy)
        assert list(percents) == list(CHANNELS)
        assert sum(percents.values()) == pytest.approx(100)
        assert percents["in_person"] == IN_PERSON_PERCENT
        assert percents["phone"] >= PHONE_PERCENT_MIN and percents["email"] >= EMAIL_PERCENT_MIN
        after = channel_percents(fy + 1)
        assert after["phone"] <= percents["phone"] and after["email"] <= percents["email"]
        # Webform gains what the others lose, until both are at their floors.
        assert after["webform"] > percents["webform"] or (
            after["phone"] == PHONE_PERCENT_MIN and after["email"] == EMAIL_PERCENT_MIN
        )
    assert channel_percents(2060)["phone"] == PHONE_PERCENT_MIN
    assert channel_percents(2060)["email"] == EMAIL_PERCENT_MIN


@pytest.fixture(scope="module")
def shares_by_fy():
    """Each channel's share of the counted contacts per complete fiscal year, FY 2020-21 on."""
    counted, _ = daily_targets(D(2026, 6, 30), seed=311)
    totals: dict[int, dict[str, int]] = {}
    for (d, ch), n in counted.items():
        by_channel = totals.setdefault(fy_end_year(d), {})
        by_channel[ch] = by_channel.get(ch, 0) + n
    return {
        fy: {ch: n / sum(by_channel.values()) for ch, n in by_channel.items()}
        for fy, by_channel in sorted(totals.items())
    }


def test_webform_share_rises_and_phone_and_email_shares_fall_every_fiscal_year(shares_by_fy):
    years = list(shares_by_fy)
    assert years == list(range(2021, 2027))
    for before, after in itertools.pairwise(years):
        assert shares_by_fy[after]["webform"] > shares_by_fy[before]["webform"]
        assert shares_by_fy[after]["email"] < shares_by_fy[before]["email"]
        assert shares_by_fy[after]["phone"] < shares_by_fy[before]["phone"]
    # Webform passes e-mail in FY 2022-23 (5.4% against 5.0%).
    assert shares_by_fy[2022]["webform"] < shares_by_fy[2022]["email"]
    assert shares_by_fy[2023]["webform"] > shares_by_fy[2023]["email"]


def test_each_fiscal_year_is_split_by_its_channel_percents(shares_by_fy):
    for fy, share in shares_by_fy.items():
        percents = channel_percents(fy)
        for channel in CHANNELS:
            # Each month is split by largest remainder (a contact at most per channel and
            # month); March 2024 is the bulletin's own split, off the mix by under 0.1 points.
            assert share[channel] * 100 == pytest.approx(percents[channel], abs=0.1)
