"""The typical week: open days, the week grid worked by hand, FTE and the heatmap matrix."""

from fractions import Fraction

import pandas as pd
import pytest
from staffing_helpers import SMALL as _SMALL
from staffing_helpers import erlang_c_by_factorials as _erlang_c_by_factorials

from contacts311.errors import InputError
from contacts311.staffing.grid import fte_summary, grid_matrix, open_days_by_weekday, week_grid


def test_open_days_fy_2025_26():
    # 1 Jul 2025 (a Tuesday) to 30 Jun 2026: 365 days = 52 weeks + one extra Tuesday.
    plain = open_days_by_weekday(2026, closed_on_federal_holidays=False)
    assert plain == {0: 52, 1: 53, 2: 52, 3: 52, 4: 52, 5: 52, 6: 52}
    # Federal holidays in the year: Mondays Sep 1, Oct 13, Jan 19, Feb 16, May 25 (5);
    # Tuesday Nov 11; Thursdays Nov 27, Dec 25, Jan 1 (3); Fridays Jul 4, Jun 19 (2).
    closed = open_days_by_weekday(2026)
    assert closed == {0: 47, 1: 52, 2: 52, 3: 49, 4: 50, 5: 52, 6: 52}


def _small_profile():
    return pd.DataFrame(
        {
            "weekday": [0, 0, 1, 1],
            "weekday_name": ["Monday", "Monday", "Tuesday", "Tuesday"],
            "interval_start": [420, 450, 420, 450],
            "interval_minutes": [30, 30, 30, 30],
            "calls": [4.0, 4.0, 2.0, 0.0],
            "share": [0.4, 0.4, 0.2, 0.0],
        }
    )


def test_week_grid_hand_worked():
    grid = week_grid(_small_profile(), {"mean": 2500, "upper": 5000}, {0: 50, 1: 25}, 180, _SMALL)
    mean = grid[grid["scenario"] == "mean"].reset_index(drop=True)
    # Monday 07:00: 2500 * 0.4 = 1000 calls a year over 50 Mondays = 20 per interval;
    # Tuesday 07:00: 2500 * 0.2 = 500 over 25 Tuesdays = 20; Tuesday 07:30 has none.
    assert list(mean["calls_in_year"]) == pytest.approx([1000, 1000, 500, 0])
    assert list(mean["calls_per_interval"]) == pytest.approx([20, 20, 20, 0])
    # 20 calls at 180 s in 30 min = 2 erlangs; 3 agents give 60.2% in 20 s (>= 60%).
    assert list(mean["traffic_erlangs"]) == pytest.approx([2, 2, 2, 0])
    assert list(mean["agents"]) == [3, 3, 3, 0]
    assert list(mean["scheduled_agents"]) == [4, 4, 4, 0]  # ceil(3 / 0.75)
    assert list(mean["interval_label"]) == ["07:00", "07:30", "07:00", "07:30"]
    upper = grid[grid["scenario"] == "upper"].reset_index(drop=True)
    # 40 calls -> A = 4. N = 5: C = 0.554, SL = 1 - 0.554 exp(-20/180) = 0.504 < 0.6;
    # N = 6: C = 0.285, SL = 1 - 0.285 exp(-40/180) = 0.772 -> 6 agents, ceil(6 / 0.75) = 8.
    assert float(_erlang_c_by_factorials(Fraction(4), 5)) == pytest.approx(0.55412, abs=1e-4)
    assert float(_erlang_c_by_factorials(Fraction(4), 6)) == pytest.approx(0.28476, abs=1e-4)
    assert list(upper["agents"]) == [6, 6, 6, 0]
    assert list(upper["scheduled_agents"]) == [8, 8, 8, 0]
    # The grid's calls sum back to each scenario's volume.
    sums = grid.groupby("scenario")["calls_in_year"].sum()
    assert sums["mean"] == pytest.approx(2500) and sums["upper"] == pytest.approx(5000)

    fte = fte_summary(grid, 40, head_count=0.2).set_index("scenario")
    # Mean: scheduled 4 + 4 + 4 agents x 0.5 h = 6 h a week -> 6 / 40 = 0.15 FTE.
    assert fte.loc["mean", "agent_hours_per_week"] == pytest.approx(4.5)
    assert fte.loc["mean", "scheduled_agent_hours_per_week"] == pytest.approx(6.0)
    assert fte.loc["mean", "fte"] == pytest.approx(0.15)
    assert fte.loc["upper", "fte"] == pytest.approx(0.30)  # 24 x 0.5 h / 40
    assert fte.loc["mean", "fte_gap"] == pytest.approx(-0.05)
    assert fte.loc["upper", "peak_scheduled_agents"] == 8

    matrix = grid_matrix(grid, "upper")
    assert list(matrix.columns) == ["Monday", "Tuesday"]
    assert matrix.loc["07:00", "Monday"] == 8 and matrix.loc["07:30", "Tuesday"] == 0


def test_week_grid_rejects_calls_on_a_closed_weekday():
    with pytest.raises(InputError, match="no open Tuesday"):
        week_grid(_small_profile(), {"mean": 100}, {0: 50, 1: 0}, 180, _SMALL)
    with pytest.raises(InputError, match="0 or more"):
        week_grid(_small_profile(), {"mean": -1}, {0: 50, 1: 50}, 180, _SMALL)
