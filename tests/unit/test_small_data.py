"""Library functions the reports call, on data too small for them: clear messages, typed frames."""

from __future__ import annotations

import pandas as pd
import pytest

from contacts311 import models, staffing


def _one_partial_month() -> pd.DataFrame:
    # Two phone days inside July 2023: no complete month at all.
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime(["2023-07-05", "2023-07-06"]),
            "channel": ["phone", "phone"],
            "count": [50, 10],
        }
    )


def test_projection_and_stl_say_how_many_months_they_got_when_none_is_complete():
    monthly = models.monthly_series(_one_partial_month(), complete_months=True)
    assert monthly.empty
    with pytest.raises(ValueError, match="at least 6 months of history; got 0"):
        models.project_next_period(monthly)
    with pytest.raises(ValueError, match="STL needs at least 24 months; got 0"):
        models.decompose(monthly)


def test_undercount_is_empty_without_hand_logged_contacts():
    contacts = _one_partial_month()
    assert models.undercount(contacts, channels=("email", "in_person")).empty
    days = models.undercount_days(contacts, channels=("email", "in_person"))
    assert days.empty
    # Typed columns: filtering on the flag and using .dt work on no rows.
    assert days["is_flagged"].dtype == bool
    flagged = days[days["is_flagged"]]
    assert list(flagged.columns) == list(days.columns)
    assert flagged["contact_date"].dt.to_period("M").empty


def _comparison() -> pd.DataFrame:
    # Monday 07:00 short by 1.5 agents, 07:30 short by 0.75, 08:00 over by 2, 08:30 met.
    return pd.DataFrame(
        {
            "weekday": [0, 0, 0, 0],
            "weekday_name": ["Monday"] * 4,
            "interval_start": [420, 450, 480, 510],
            "interval_label": ["07:00", "07:30", "08:00", "08:30"],
            "interval_minutes": [30, 30, 30, 30],
            "difference": [-1.5, -0.75, 2.0, 0.25],
            "status": ["under", "under", "over", "met"],
        }
    )


def test_staffed_vs_needed_summary_counts_hours_and_names_the_worst_interval():
    got = staffing.staffed_vs_needed_summary(_comparison())
    assert got["intervals"] == 4
    assert (got["under_intervals"], got["over_intervals"], got["met_intervals"]) == (2, 1, 1)
    # Two 30-minute intervals short = 1 hour a week; one over = half an hour.
    assert got["under_hours_per_week"] == 1.0
    assert got["over_hours_per_week"] == 0.5
    assert got["worst"] == {"weekday_name": "Monday", "interval_label": "07:00", "difference": -1.5}
    assert "2 were under-staffed on average (1 hours a week)" in got["sentence"]
    assert "Monday 07:00, 1.5 agents short" in got["sentence"]


def test_staffed_vs_needed_summary_without_staffed_time():
    got = staffing.staffed_vs_needed_summary(pd.DataFrame())
    assert got["intervals"] == 0 and got["worst"] is None
    assert "cannot be compared" in got["sentence"]


def test_grid_matrix_without_scenario_takes_every_row():
    matrix = staffing.grid_matrix(_comparison(), None, "difference")
    assert list(matrix.columns) == ["Monday"]
    assert list(matrix.index) == ["07:00", "07:30", "08:00", "08:30"]
    assert list(matrix["Monday"]) == [-1.5, -0.75, 2.0, 0.25]
