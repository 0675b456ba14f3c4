"""The staffing plan from a dataset: interval data, the flat fallback, and the sample."""

from pathlib import Path

import pandas as pd
import pytest
from staffing_helpers import SMALL as _SMALL
from staffing_helpers import intervals_frame as _intervals

from contacts311.errors import InputError
from contacts311.pipeline import Dataset
from contacts311.profile import Profile
from contacts311.staffing.assumptions import StaffingAssumptions
from contacts311.staffing.plan import staffing_plan


def _dataset(intervals=None, contacts=None):
    if contacts is None:
        contacts = pd.DataFrame(
            {
                "contact_date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                "channel": ["phone", "phone"],
                "count": [30, 10],
            }
        )
    tables = {"intervals": intervals} if intervals is not None else {}
    return Dataset(
        contacts=contacts,
        ledger=pd.DataFrame(),
        inputs=pd.DataFrame(),
        notes=[],
        tables=tables,
        columns={},
        profile=Profile(),
    )


def test_staffing_plan_from_intervals_sums_back():
    table = _intervals(
        [
            # The year before 2025-03-03; the row a year and more earlier is outside it.
            ("2023-01-02", 420, 30, "A", 1000, 1000, 0, 1000 * 200, 0, 1800),
            ("2024-03-04", 420, 30, "A", 60, 60, 0, 60 * 150, 60 * 30, 3600),  # Monday
            ("2025-03-03", 450, 30, "A", 40, 40, 0, 40 * 150, 40 * 30, 3600),  # Monday
        ]
    )
    plan = staffing_plan(
        _dataset(table), _SMALL, volumes={"mean": 1000, "upper": 1300}, fiscal_year_end=2026
    )
    assert plan.fiscal_year == "FY 2025-26"
    assert plan.profile_source == "intervals"
    assert plan.profile_period == "2024-03-04 to 2025-03-03"
    # Only the last 12 months: 60 + 40 calls -> shares 0.6 and 0.4; AHT (150 + 30) s.
    assert list(plan.profile["share"]) == pytest.approx([0.6, 0.4])
    assert plan.aht_seconds == pytest.approx(180.0)
    assert plan.aht_source == "data"
    sums = plan.grid.groupby("scenario")["calls_in_year"].sum()
    assert sums["mean"] == pytest.approx(1000) and sums["upper"] == pytest.approx(1300)
    # 47 open Mondays in FY 2025-26: 600 / 47 = 12.77 calls at 07:00.
    first = plan.grid.iloc[0]
    assert first["calls_per_interval"] == pytest.approx(600 / 47)
    assert not plan.comparison.empty
    assert set(plan.fte["scenario"]) == {"mean", "upper"}


def test_staffing_plan_flat_fallback_needs_a_handle_time():
    contacts = pd.DataFrame(
        {
            # A Saturday more than a year before the last day: outside the weekday weights.
            "contact_date": pd.to_datetime(["2022-12-31", "2024-01-01", "2024-01-02"]),
            "channel": ["phone", "phone", "phone"],
            "count": [500, 30, 10],
        }
    )
    data = _dataset(contacts=contacts)
    with pytest.raises(InputError, match="aht-seconds"):
        staffing_plan(data, _SMALL, volumes={"mean": 100}, fiscal_year_end=2026)
    assumptions = StaffingAssumptions(
        target_seconds=20, service_level=0.6, shrinkage=0.25, max_occupancy=1.0, aht_seconds=240
    )
    plan = staffing_plan(data, assumptions, volumes={"mean": 13_000}, fiscal_year_end=2026)
    assert plan.profile_source == "flat"
    assert plan.aht_source == "parameter" and plan.aht_seconds == 240
    assert any("No interval data" in n for n in plan.notes)
    # Daily data: Monday 30 calls, Tuesday 10 -> 75% / 25%, 13 hours each from 07:00.
    grid = plan.grid
    assert sorted(set(grid["weekday"])) == [0, 1]
    monday = grid[grid["weekday"] == 0]
    assert monday["calls_in_year"].sum() == pytest.approx(13_000 * 0.75)
    assert len(monday) == 13
    assert grid["calls_in_year"].sum() == pytest.approx(13_000)
    assert plan.comparison.empty


_SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


@pytest.mark.integration
@pytest.mark.skipif(not (_SAMPLE / "phone" / "hsplit").is_dir(), reason="no sample hsplit data")
def test_grid_on_the_sample_sums_back_to_the_projection():
    from contacts311.models import monthly_series, project_next_period
    from contacts311.pipeline import load

    data = load(_SAMPLE)
    plan = staffing_plan(data, head_count=23)
    projection = project_next_period(
        monthly_series(data.contacts, ["phone"], complete_months=True), start_month=7
    )
    assert plan.fiscal_year == projection.period
    sums = plan.grid.groupby("scenario")["calls_in_year"].sum()
    assert sums["mean"] == pytest.approx(projection.mean)
    assert sums["upper"] == pytest.approx(projection.upper)
    assert plan.profile_source == "intervals"
    # The sample's calls take 270 s of talk and 62 s of after-call work on average.
    assert plan.aht_source == "data" and 320 < plan.aht_seconds < 345
    # Open 7am-8pm every day since July 2023: 26 half-hours on each of 7 weekdays.
    mean = plan.grid[plan.grid["scenario"] == "mean"]
    assert len(mean) == 7 * 26
    assert mean["interval_label"].min() == "07:00" and mean["interval_label"].max() == "19:30"
    assert (plan.grid["service_level"] >= 0.85).all()
    assert not plan.comparison.empty
    assert set(plan.comparison["status"]) <= {"under", "met", "over"}
    assert list(plan.fte["head_count"]) == [23, 23]


_ASSUMED_AHT = StaffingAssumptions(
    target_seconds=20, service_level=0.6, shrinkage=0.25, max_occupancy=1.0, aht_seconds=240
)


def test_flat_fallback_from_monthly_phone_totals_has_equal_weekday_shares():
    contacts = pd.DataFrame(
        {
            # Monday 1 January and Thursday 1 February: months, not two busy days.
            "contact_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "channel": ["phone", "phone"],
            "count": [3000, 2800],
            "is_monthly": [True, True],
        }
    )
    plan = staffing_plan(
        _dataset(contacts=contacts), _ASSUMED_AHT, volumes={"mean": 7_000}, fiscal_year_end=2026
    )
    per_day = plan.grid.groupby("weekday")["calls_in_year"].sum()
    # Weekend service started on 1 July 2023: all seven weekdays, not Monday and Thursday.
    assert list(per_day.index) == list(range(7))
    assert per_day.to_numpy() == pytest.approx([1_000] * 7)
    flat = next(n for n in plan.notes if n.startswith("No interval data"))
    assert plan.profile_note == flat
    assert (
        "equal weekday shares (Weekday shares need daily data; phone is monthly "
        "(2 months, 2024-01 to 2024-02))" in flat
    )


def test_flat_fallback_weekday_shares_leave_monthly_totals_out():
    contacts = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2023-12-01", "2024-01-01", "2024-01-02"]),
            "channel": ["phone", "phone", "phone"],
            "count": [5000, 30, 10],
            "is_monthly": [True, False, False],
        }
    )
    plan = staffing_plan(
        _dataset(contacts=contacts), _ASSUMED_AHT, volumes={"mean": 13_000}, fiscal_year_end=2026
    )
    # December's total (dated Friday 1 December) gives Friday nothing: Monday 75%, Tuesday 25%.
    per_day = plan.grid.groupby("weekday")["calls_in_year"].sum()
    assert list(per_day.index) == [0, 1]
    assert per_day.to_numpy() == pytest.approx([13_000 * 0.75, 13_000 * 0.25])
    flat = next(n for n in plan.notes if n.startswith("No interval data"))
    assert (
        "weekday shares from daily phone counts (Weekday shares need daily data; phone's 1 "
        "monthly row (2023-12) is left out)" in flat
    )
