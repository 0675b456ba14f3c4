import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from contacts311.models import (
    daily_series,
    decompose,
    find_spikes,
    monthly_series,
    project_next_period,
    undercount,
    undercount_days,
    undercount_sentence,
)

# --------------------------------------------------------------------------------------------
# series
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# STL
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# spikes
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# undercount
# --------------------------------------------------------------------------------------------


def _front_desk_weeks() -> pd.DataFrame:
    """In-person contacts Mon 4 Mar - Fri 26 Apr 2024 (8 weeks, no federal holiday)."""
    rows = []
    wednesdays = [36, 38, 0, 40, 42, 44, 46, 48]  # the 3rd Wednesday (20 Mar) was not logged
    for week, monday in enumerate(pd.date_range("2024-03-04", periods=8, freq="7D")):
        per_day = [20, 30, wednesdays[week], 50, 60]
        for offset, n in enumerate(per_day):
            rows.append((monday + pd.Timedelta(days=offset), "in_person", n))
    frame = pd.DataFrame(rows, columns=["contact_date", "channel", "count"])
    frame.loc[frame["contact_date"] == "2024-03-07", "count"] = 30  # quiet, not missed (>= 25)
    frame.loc[frame["contact_date"] == "2024-04-11", "count"] = 20  # half-logged Thursday
    phone = pd.DataFrame(
        {"contact_date": [pd.Timestamp("2024-03-04")], "channel": ["phone"], "count": [10000]}
    )
    return pd.concat([frame, phone], ignore_index=True)


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


def test_undercount_per_period_and_sentence():
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
    sentence = undercount_sentence(table)
    # 39 / 11524 = 0.34%, 72 / 11524 = 0.62%.
    assert sentence.startswith(
        "FY 2023-24: likely undercounted by 39–72 contacts (0.3–0.6% of the 11,524 counted)"
    )
    assert undercount_sentence(table, 2024) == sentence
    assert undercount_sentence(table, "FY 2023-24") == sentence
    with pytest.raises(ValueError, match="no period"):
        undercount_sentence(table, 2030)
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
    assert "no sign of missed" in undercount_sentence(table)


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


def test_importing_models_does_not_load_statsmodels():
    code = (
        "import sys, contacts311.models, contacts311.service; print('statsmodels' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
