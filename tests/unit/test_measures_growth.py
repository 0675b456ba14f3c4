"""Year-over-year growth, average growth and the period to date (contacts311.measures.growth)."""

import datetime as dt
import math

import pytest
from measures_helpers import contacts_frame as _contacts
from measures_helpers import fy_totals as _totals

from contacts311.measures import (
    average_growth,
    growth_table,
    loglinear_growth,
    partial_period_comparison,
)


def test_growth_table_by_channel_and_never_across_partial_periods():
    totals = _totals(
        [(2021, 100, False), (2022, 120, False), (2023, 150, True), (2024, 200, False)], 0.5
    )
    g = growth_table(totals)
    assert g["channel"].unique().tolist() == ["phone", "email", "total"]
    total = g[g["channel"] == "total"].reset_index(drop=True)
    assert total["total"].tolist() == [100, 120, 150, 200]
    # 100 -> 120: +20 = +20%. FY 2022-23 is partial; FY 2023-24 follows a partial year: no growth.
    assert total["change"].iloc[1] == 20
    assert total["yoy_growth_pct"].iloc[1] == pytest.approx(20.0)
    assert total[["change", "yoy_growth_pct"]].iloc[[0, 2, 3]].isna().all().all()
    phone = g[g["channel"] == "phone"].reset_index(drop=True)
    assert phone["yoy_growth_pct"].iloc[1] == pytest.approx((60 - 50) / 50 * 100)


def test_growth_needs_adjacent_periods():
    totals = _totals([(2021, 100, False), (2023, 150, False)])
    assert growth_table(totals)["yoy_growth_pct"].isna().all()


def test_loglinear_growth_hand_computed():
    years, values = [2021, 2022, 2023, 2024], [100, 120, 150, 180]
    # x - mean(x) = -1.5, -0.5, 0.5, 1.5 (sum of squares 5);
    # slope = sum((x - xbar) * ln y) / 5 = (1.5 ln(180/100) + 0.5 ln(150/120)) / 5.
    slope = (1.5 * math.log(1.8) + 0.5 * math.log(1.25)) / 5
    ly = [math.log(v) for v in values]
    ybar = sum(ly) / 4
    resid = [y - (ybar + slope * x) for y, x in zip(ly, [-1.5, -0.5, 0.5, 1.5], strict=True)]
    se = math.sqrt(sum(r * r for r in resid) / 2 / 5)
    t975_df2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom
    fit = loglinear_growth(years, values)
    assert fit["slope"] == pytest.approx(slope)
    assert fit["growth_pct"] == pytest.approx((math.exp(slope) - 1) * 100)
    assert fit["ci_low_pct"] == pytest.approx((math.exp(slope - t975_df2 * se) - 1) * 100)
    assert fit["ci_high_pct"] == pytest.approx((math.exp(slope + t975_df2 * se) - 1) * 100)
    assert fit["n"] == 4


def test_loglinear_growth_two_points_has_no_interval_and_bad_input_raises():
    fit = loglinear_growth([2023, 2024], [100, 121])
    assert fit["growth_pct"] == pytest.approx(21.0)
    assert fit["ci_low_pct"] is None and fit["ci_high_pct"] is None
    with pytest.raises(ValueError):
        loglinear_growth([2024], [100])
    with pytest.raises(ValueError):
        loglinear_growth([2023, 2024], [0, 10])


def test_average_growth_three_ways():
    totals = _totals(
        [
            (2021, 100, False),
            (2022, 120, False),
            (2023, 150, False),
            (2024, 180, False),
            (2025, 60, True),
        ]
    )
    avg = average_growth(totals)
    # YoY: +20%, +25%, +20% -> mean 21.667%.
    assert avg["mean_yoy_pct"] == pytest.approx((20 + 25 + 20) / 3)
    # CAGR over 3 years: (180 / 100) ** (1/3) - 1.
    assert avg["cagr_pct"] == pytest.approx((1.8 ** (1 / 3) - 1) * 100)
    slope = (1.5 * math.log(1.8) + 0.5 * math.log(1.25)) / 5
    assert avg["loglinear_pct"] == pytest.approx((math.exp(slope) - 1) * 100)
    lo, hi = avg["loglinear_ci_pct"]
    assert lo < avg["loglinear_pct"] < hi
    assert avg["complete_periods"] == ["FY 2020-21", "FY 2021-22", "FY 2022-23", "FY 2023-24"]


def test_average_growth_with_one_complete_period_is_empty():
    avg = average_growth(_totals([(2024, 100, False), (2025, 10, True)]))
    assert avg["mean_yoy_pct"] is None and avg["cagr_pct"] is None and avg["loglinear_pct"] is None


def test_partial_period_to_date_against_same_span_a_year_earlier():
    rows = [(f"2023-{m:02d}-10", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-10", "phone", 10) for m in range(1, 7)]
    rows += [("2023-08-20", "phone", 5), ("2023-08-25", "phone", 7), ("2023-07-15", "email", 1)]
    rows += [("2024-07-10", "phone", 12), ("2024-08-20", "phone", 9), ("2024-07-15", "email", 3)]
    cmp = partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 1)).set_index("channel")
    # Current span 1 Jul - 20 Aug 2024 (last date with data); previous 1 Jul - 20 Aug 2023.
    assert cmp.loc["total", "through"] == dt.date(2024, 8, 20)
    assert cmp.loc["total", "previous_through"] == dt.date(2023, 8, 20)
    # Phone: 12 + 9 = 21 now; 10 (10 Jul) + 10 (10 Aug) + 5 (20 Aug) = 25 then (25 Aug is outside).
    assert cmp.loc["phone", ["current", "previous"]].tolist() == [21, 25]
    assert cmp.loc["phone", "growth_pct"] == pytest.approx(-16.0)
    assert cmp.loc["email", "growth_pct"] == pytest.approx(200.0)
    assert cmp.loc["total", ["current", "previous", "change"]].tolist() == [24, 26, -2]
    assert cmp.loc["total", "growth_pct"] == pytest.approx(-2 / 26 * 100)
    assert cmp.loc["total", "label"].startswith("FY 2024-25 to date")
    assert "FY 2023-24" in cmp.loc["total", "label"]


def test_partial_comparison_empty_when_last_period_complete():
    rows = [(f"2023-{m:02d}-10", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-10", "phone", 10) for m in range(1, 7)]
    assert partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 1)).empty


def test_partial_comparison_monthly_rows_run_to_month_end():
    rows = [(f"2023-{m:02d}-01", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-01", "phone", 20) for m in range(1, 7)]
    rows += [("2024-07-01", "phone", 11), ("2024-08-01", "phone", 13)]
    monthly = _contacts(rows).assign(is_monthly=True)
    cmp = partial_period_comparison(monthly, as_of=dt.date(2024, 9, 15))
    total = cmp[cmp["channel"] == "total"].iloc[0]
    assert total["through"] == dt.date(2024, 8, 31)
    assert (total["current"], total["previous"]) == (24, 20)  # Jul + Aug of each year


def test_partial_comparison_daily_rows_on_the_first_stay_days():
    # Daily counts that happen to fall on the 1st: the span ends on 1 August, not its end.
    rows = [(f"2023-{m:02d}-01", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-01", "phone", 20) for m in range(1, 7)]
    rows += [("2024-07-01", "phone", 11), ("2024-08-01", "phone", 13)]
    cmp = partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 15))
    total = cmp[cmp["channel"] == "total"].iloc[0]
    assert total["through"] == dt.date(2024, 8, 1)
    assert (total["current"], total["previous"]) == (24, 20)
