"""STL decomposition and spikes (contacts311.models.seasonality)."""

import math

import numpy as np
import pandas as pd
import pytest

from contacts311.models import decompose, find_spikes


def test_decompose_recovers_seasonal_amplitude():
    t = np.arange(48)
    y = pd.Series(
        5000 + 10 * t + 500 * np.sin(2 * np.pi * t / 12),
        index=pd.date_range("2021-01-01", periods=48, freq="MS"),
    )
    parts = decompose(y)
    assert list(parts.columns) == ["observed", "trend", "seasonal", "resid"]
    # The seasonal wave is 500 * sin: peak +500 (April, t = 3), trough -500 (October, t = 9).
    middle = parts["seasonal"].iloc[12:36]
    assert middle.max() == pytest.approx(500, rel=0.1)
    assert middle.min() == pytest.approx(-500, rel=0.1)
    assert parts["seasonal"].idxmax().month == 4
    assert parts["trend"].iloc[24] == pytest.approx(5000 + 10 * 24, rel=0.01)
    assert parts.attrs["seasonal_strength"] > 0.9
    np.testing.assert_allclose(parts["trend"] + parts["seasonal"] + parts["resid"], y)


def test_decompose_needs_two_years():
    y = pd.Series(
        range(23), index=pd.date_range("2023-01-01", periods=23, freq="MS"), dtype="float64"
    )
    with pytest.raises(ValueError, match="STL needs at least 24 months; got 23"):
        decompose(y)


def _weekly_pattern(start: str, weeks: int) -> pd.Series:
    days = pd.date_range(start, periods=7 * weeks, freq="D")
    base = {0: 30, 1: 30, 2: 30, 3: 30, 4: 30, 5: 10, 6: 10}
    return pd.Series([base[d.day_of_week] for d in days], index=days, name="count")


def test_daily_spike_on_event_is_matched():
    series = _weekly_pattern("2024-03-04", 8)  # Mon 4 Mar .. Sun 28 Apr, 56 days
    series[pd.Timestamp("2024-04-02")] = 90  # a Tuesday; its other Tuesdays are all 30
    events = pd.DataFrame(
        {
            "date": ["2024-03-30", "2024-01-01"],
            "end_date": ["2024-03-31", None],
            "label": ["Spring storm", "New Year"],
        }
    )
    spikes = find_spikes(series, events)
    assert list(spikes.columns) == [
        "contact_date",
        "count",
        "expected",
        "excess",
        "robust_z",
        "event_label",
    ]
    assert len(spikes) == 1
    row = spikes.iloc[0]
    assert row["contact_date"] == pd.Timestamp("2024-04-02")
    assert row["count"] == 90
    assert row["expected"] == 30
    assert row["excess"] == 60
    # Every other residual is 0, so the MAD is 0 and the mean absolute deviation gives
    # 1.2533 * log(91/31) / 56 = 0.024; that is below the Poisson floor 1 / sqrt(1 + 30), so
    # z = log(91 / 31) * sqrt(31) = 1.0769 * 5.5678 = 5.996.
    assert row["robust_z"] == pytest.approx(math.log(91 / 31) * math.sqrt(31), rel=1e-9)
    assert row["robust_z"] == pytest.approx(5.996, abs=1e-3)
    # The storm ended 31 March; 2 April is within the 3-day tolerance.
    assert row["event_label"] == "Spring storm"
    assert find_spikes(series, events, tolerance_days=1)["event_label"].iloc[0] == ""
    assert find_spikes(series)["event_label"].iloc[0] == ""


def test_small_bumps_are_not_spikes():
    series = _weekly_pattern("2024-03-04", 8)
    # Noise of +-1 on every weekday so the MAD is not 0.
    for i, day in enumerate(series.index):
        if day.day_of_week < 5:
            series[day] += 1 if i % 2 else -1
    # 45 against about 30: log(46/31) = 0.39, but Poisson noise at 30 is 1/sqrt(31) = 0.18 in
    # log units, so z is about 2.2: ordinary for such small counts.
    bumped = series.copy()
    bumped[pd.Timestamp("2024-04-03")] = 45
    assert find_spikes(bumped).empty
    # 70: log(71/31) = 0.83, z about 4.6: a spike at 3.5, not at 50.
    bumped[pd.Timestamp("2024-04-03")] = 70
    assert list(find_spikes(bumped)["contact_date"]) == [pd.Timestamp("2024-04-03")]
    assert find_spikes(bumped, threshold=50).empty


def test_daily_level_shift_is_not_a_run_of_spikes():
    # Four weeks at 100 a day, then four weeks at 130 a day: a busier month, not 28 spikes.
    days = pd.date_range("2024-03-04", periods=56, freq="D")
    series = pd.Series([100] * 28 + [130] * 28, index=days)
    assert find_spikes(series).empty
    series[days[40]] = 400
    assert list(find_spikes(series)["contact_date"]) == [days[40]]


def test_monthly_spike_with_stl_and_event_month():
    t = np.arange(36)
    y = pd.Series(
        10000 + 100 * t + 800 * np.sin(2 * np.pi * t / 12) + 50 * np.cos(t * 2.1),
        index=pd.date_range("2022-07-01", periods=36, freq="MS"),
    )
    y.iloc[19] *= 1.5  # February 2024
    events = pd.DataFrame({"date": ["2024-02-27"], "label": ["Ice storm"]})
    spikes = find_spikes(y, events)
    assert list(spikes.columns)[0] == "month"
    assert list(spikes["month"]) == [pd.Timestamp("2024-02-01")]
    assert spikes["event_label"].iloc[0] == "Ice storm"
    # The expected value is the month without the 50% bump, within STL's smoothing error.
    assert spikes["expected"].iloc[0] == pytest.approx(y.iloc[19] / 1.5, rel=0.05)


def test_spikes_events_table_needs_label():
    series = _weekly_pattern("2024-03-04", 8)
    series[pd.Timestamp("2024-04-02")] = 90
    with pytest.raises(ValueError, match="label"):
        find_spikes(series, pd.DataFrame({"date": ["2024-04-01"]}))


def test_spikes_keep_the_daily_series_notes_on_months_left_out():
    from contacts311.models import daily_series

    days = _weekly_pattern("2024-03-04", 8)
    days[pd.Timestamp("2024-04-02")] = 90
    contacts = pd.DataFrame(
        {
            "contact_date": [*days.index, pd.Timestamp("2024-03-01")],
            "channel": ["phone"] * len(days) + ["email"],
            "count": [*days.to_numpy(), 5000],
            "is_monthly": [False] * len(days) + [True],
        }
    )
    spikes = find_spikes(daily_series(contacts, needs="Spikes need"))
    # Email's March total is no spike on 1 March (the series starts on phone's 4 March).
    assert list(spikes["contact_date"]) == [pd.Timestamp("2024-04-02")]
    assert spikes.attrs["notes"] == ["Spikes need daily data; email is monthly (1 month, 2024-03)."]
    assert find_spikes(days.iloc[0:0]).attrs["notes"] == []
