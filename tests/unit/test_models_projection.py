"""The ETS projection of the next fiscal year (contacts311.models.projection)."""

import numpy as np
import pandas as pd
import pytest

from contacts311.models import project_next_period


def test_projection_of_a_linear_series():
    rng = np.random.default_rng(7)
    t = np.arange(60)  # Jul 2020 .. Jun 2025, five full fiscal years
    y = pd.Series(
        1000 + 20 * t + rng.normal(0, 5, 60),
        index=pd.date_range("2020-07-01", periods=60, freq="MS"),
    )
    proj = project_next_period(y)
    # Next year is t = 60..71: 12 * 1000 + 20 * (60 + ... + 71) = 12000 + 20 * 786 = 27,720.
    truth = 27_720
    assert proj.period == "FY 2025-26"
    assert proj.period_key == 2026
    assert proj.observed_months == 0
    assert proj.mean == pytest.approx(truth, rel=0.01)
    assert proj.lower < truth < proj.upper
    assert list(proj.monthly["month"]) == list(pd.date_range("2025-07-01", periods=12, freq="MS"))
    # July 2025 (t = 60) should be close to 1000 + 20 * 60 = 2200.
    assert proj.monthly["mean"].iloc[0] == pytest.approx(2200, rel=0.01)
    assert proj.monthly["mean"].sum() == pytest.approx(proj.mean)
    assert proj.model.startswith("ETS(")
    assert "simulated paths" in proj.interval_method
    assert proj.sentence() == (
        f"FY 2025-26: projected {proj.mean:,.0f} contacts "
        f"(95% interval {proj.lower:,.0f}–{proj.upper:,.0f})."
    )


def test_projection_of_an_exponential_series():
    rng = np.random.default_rng(11)
    t = np.arange(36)  # Jul 2022 .. Jun 2025
    y = pd.Series(
        1000 * 1.02**t * (1 + rng.normal(0, 0.01, 36)),
        index=pd.date_range("2022-07-01", periods=36, freq="MS"),
    )
    proj = project_next_period(y, level=0.9)
    # Sum of 1000 * 1.02**t for t = 36..47 = 1000 * 1.02**36 * (1.02**12 - 1) / 0.02.
    truth = 1000 * 1.02**36 * (1.02**12 - 1) / 0.02
    assert proj.mean == pytest.approx(truth, rel=0.03)
    assert proj.lower < truth < proj.upper
    assert proj.level == 0.9


def test_projection_of_a_seasonal_series():
    rng = np.random.default_rng(3)
    t = np.arange(48)  # Jul 2021 .. Jun 2025
    y = pd.Series(
        2000 + 25 * t + 300 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 20, 48),
        index=pd.date_range("2021-07-01", periods=48, freq="MS"),
    )
    proj = project_next_period(y)
    # The sine sums to 0 over a whole year, so next year (t = 48..59) is
    # 12 * 2000 + 25 * (48 + ... + 59) = 24000 + 25 * 642 = 40,050.
    truth = 40_050
    assert proj.mean == pytest.approx(truth, rel=0.01)
    assert proj.lower < truth < proj.upper
    assert not proj.model.split(" ")[0].endswith(",N)")  # a seasonal model was chosen
    # October 2025 is t = 51: 2000 + 25 * 51 + 300 * sin(8.5 pi) = 3575.
    assert proj.monthly.set_index("month").loc["2025-10-01", "mean"] == pytest.approx(
        3575, rel=0.02
    )


def test_projection_completes_a_partial_period_and_projects_the_next():
    t = np.arange(30)  # Jul 2022 .. Dec 2024: FY 2024-25 has 6 observed months
    y = pd.Series(
        500.0 + 10 * t + (t % 2), index=pd.date_range("2022-07-01", periods=30, freq="MS")
    )
    proj = project_next_period(y, horizon_periods=2)
    assert proj.period == "FY 2024-25"
    assert proj.observed_months == 6
    # Observed Jul-Dec 2024 are t = 24..29: 6 * 500 + 10 * (24 + ... + 29) + (0+1+0+1+0+1) = 4593.
    assert proj.observed == 4593
    assert list(proj.periods["period_key"]) == [2025, 2026]
    assert list(proj.periods["forecast_months"]) == [6, 12]
    assert len(proj.monthly) == 18
    # The observed part is known: the interval can only spread the six forecast months.
    assert proj.lower > 4593
    assert proj.periods["mean"].iloc[1] > proj.mean


def test_projection_calendar_years_and_short_history():
    values = [100.0, 104, 98, 103, 101, 99, 102, 100]
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=8, freq="MS"))
    proj = project_next_period(y, start_month=1)
    # Eight months: no trend or seasonal candidates, so a level-only model.
    assert ",N,N)" in proj.model
    # Jan-Aug 2024 observed: calendar 2024 is completed with Sep-Dec forecasts.
    assert proj.period == "2024"
    assert proj.observed_months == 8
    assert proj.observed == sum(values)  # 807
    assert list(proj.monthly["month"]) == list(pd.date_range("2024-09-01", periods=4, freq="MS"))
    # A level model forecasts a flat path near the series' level (~100 a month).
    assert proj.mean == pytest.approx(807 + 4 * 100, rel=0.02)
    # History ending in December: the next projected period is the next calendar year.
    december = pd.Series(values, index=pd.date_range("2024-05-01", periods=8, freq="MS"))
    assert project_next_period(december, start_month=1).period == "2025"
    # Months before the first contact (program or export not started) are not history.
    launched = pd.concat(
        [pd.Series([0.0, 0.0], index=pd.date_range("2023-11-01", periods=2, freq="MS")), y]
    )
    assert project_next_period(launched, start_month=1).history_months == 8
    with pytest.raises(ValueError, match="at least 6 months"):
        project_next_period(y.iloc[:5])
    with pytest.raises(ValueError, match="consecutive month"):
        project_next_period(y.drop(y.index[3]))
