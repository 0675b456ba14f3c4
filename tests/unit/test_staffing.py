import math
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from contacts311.errors import InputError
from contacts311.pipeline import Dataset
from contacts311.profile import Profile, ServiceRules
from contacts311.staffing import (
    StaffingAssumptions,
    erlang_a,
    erlang_c,
    erlang_c_probability,
    flat_profile,
    fte_summary,
    grid_matrix,
    handle_time_seconds,
    intraday_profile,
    open_days_by_weekday,
    patience_seconds,
    service_level_for,
    staffed_vs_needed,
    staffing_plan,
    week_grid,
)


def _erlang_c_by_factorials(a: Fraction, n: int) -> Fraction:
    """The textbook formula, exactly: (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + that)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


# --- Erlang C ---------------------------------------------------------------------------------


def test_textbook_case_14_agents_20_scheduled():
    # 100 calls in 30 minutes at 180 s: A = 100 * 180 / 1800 = 10 erlangs.
    r = erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.3)
    assert r.traffic_erlangs == pytest.approx(10.0)
    assert r.agents == 14
    # ceil(14 / 0.7) = 20 (14 / 0.7 is 20.000000000000004 in floating point).
    assert r.scheduled_agents == 20
    assert r.occupancy == pytest.approx(10 / 14)
    # 13 agents miss 80% in 20 s, 14 reach it.
    assert service_level_for(13, 100, 30, 180, 20) < 0.8 <= service_level_for(14, 100, 30, 180, 20)
    c = float(_erlang_c_by_factorials(Fraction(10), 14))
    assert r.waiting_probability == pytest.approx(c)
    assert r.service_level == pytest.approx(1 - c * math.exp(-(14 - 10) * 20 / 180))


def test_erlang_c_a2_n3_is_four_ninths():
    # B(1) = 2/3, B(2) = 2/5, B(3) = 4/19; C = 3 B / (3 - 2 (1 - B)) = (12/19) / (27/19) = 4/9.
    assert erlang_c_probability(2, 3) == pytest.approx(4 / 9, rel=1e-12)
    # Same from the factorial formula: (8/6 * 3) / (1 + 2 + 2 + 4) = 4 / 9.
    assert _erlang_c_by_factorials(Fraction(2), 3) == Fraction(4, 9)


def test_service_level_formula_small_case():
    # 20 calls in 30 min at 180 s -> A = 2; with N = 3, SL = 1 - 4/9 exp(-(3 - 2) * 20 / 180).
    expected = 1 - 4 / 9 * math.exp(-20 / 180)
    assert expected == pytest.approx(0.60229, abs=1e-5)
    assert service_level_for(3, 20, 30, 180, 20) == pytest.approx(expected)
    r = erlang_c(20, 30, 180, 20, 0.6)
    assert r.agents == 3
    assert r.waiting_probability == pytest.approx(4 / 9)
    # ASA = C * AHT / (N - A) = 4/9 * 180 / 1 = 80 s.
    assert r.average_speed_of_answer_seconds == pytest.approx(80.0)


def test_higher_target_needs_a_fourth_agent():
    # A = 2, N = 4: B(4) = 2 * (4/19) / (4 + 8/19) = 2/21; C = (8/21) / (4 - 38/21) = 4/23.
    assert erlang_c_probability(2, 4) == pytest.approx(4 / 23)
    sl4 = 1 - 4 / 23 * math.exp(-2 * 20 / 180)  # about 0.861
    r = erlang_c(20, 30, 180, 20, 0.7)
    assert r.agents == 4
    assert r.service_level == pytest.approx(sl4)


def test_occupancy_cap_and_shrinkage():
    # A = 10 with a 70% cap needs N >= 10 / 0.7 = 14.3, so 15, though 14 meet the service level.
    r = erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.25, max_occupancy=0.7)
    assert r.agents == 15
    assert r.occupancy == pytest.approx(10 / 15)
    assert r.scheduled_agents == 20  # ceil(15 / 0.75) = 20
    assert erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.25).scheduled_agents == 19  # ceil(18.67)


def test_no_overflow_for_huge_traffic():
    # 200,000 calls an hour at 300 s: A = 16,666.7 erlangs; A^N / N! would overflow a float.
    r = erlang_c(200_000, 60, 300, 20, 0.8)
    assert r.agents > r.traffic_erlangs
    assert math.isfinite(r.service_level) and r.service_level >= 0.8
    assert service_level_for(r.agents - 1, 200_000, 60, 300, 20) < 0.8
    assert 0 < r.waiting_probability < 1
    # The square-root staffing rule puts N within a few sqrt(A) of A.
    assert r.agents - r.traffic_erlangs < 3 * math.sqrt(r.traffic_erlangs)


def test_probability_edges():
    assert erlang_c_probability(0, 3) == 0.0
    assert erlang_c_probability(3, 3) == 1.0  # N <= A: every call waits
    assert service_level_for(2, 20, 30, 180, 20) == 0.0  # N = A cannot keep up


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"calls": 0}, "calls must be greater than 0"),
        ({"calls": -5}, "calls must be greater than 0"),
        ({"interval_minutes": 0}, "interval minutes"),
        ({"aht_seconds": -1}, "handle time"),
        ({"target_seconds": 0}, "target seconds"),
        ({"target_seconds": 1801}, "longer than the 30-minute interval"),
        ({"service_level": 1.0}, "between 0 and 1"),
        ({"service_level": 0}, "between 0 and 1"),
        ({"service_level": 85}, "between 0 and 1"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"max_occupancy": 0}, "occupancy"),
        ({"max_occupancy": 1.2}, "occupancy"),
        ({"calls": float("nan")}, "calls must be greater than 0"),
    ],
)
def test_invalid_inputs_are_input_errors(kwargs, fragment):
    args = {
        "calls": 100,
        "interval_minutes": 30,
        "aht_seconds": 180,
        "target_seconds": 20,
        "service_level": 0.8,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=fragment):
        erlang_c(**args)


# --- Profiles and handle time -----------------------------------------------------------------


def _intervals(rows):
    cols = [
        "contact_date",
        "interval_start",
        "interval_minutes",
        "queue",
        "calls_offered",
        "acd_calls",
        "abandoned_calls",
        "acd_time_seconds",
        "acw_time_seconds",
        "staffed_seconds",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["contact_date"] = pd.to_datetime(frame["contact_date"])
    return frame


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


def test_handle_time_from_acd_and_acw():
    nan = float("nan")
    table = _intervals(
        [
            ("2024-01-01", 420, 30, "A", 4, 4, 0, 600, 120, nan),
            ("2024-01-01", 450, 30, "A", 2, 2, 0, 300, nan, nan),  # no ACW: counts as 0
            ("2024-01-01", 480, 30, "A", 100, 100, 0, nan, nan, nan),  # no ACD time: skipped
        ]
    )
    # (600 + 120 + 300) / (4 + 2) = 170 s.
    assert handle_time_seconds(table) == pytest.approx(170.0)
    assert handle_time_seconds(table.drop(columns=["acd_time_seconds"])) is None


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


def test_open_days_fy_2025_26():
    # 1 Jul 2025 (a Tuesday) to 30 Jun 2026: 365 days = 52 weeks + one extra Tuesday.
    plain = open_days_by_weekday(2026, closed_on_federal_holidays=False)
    assert plain == {0: 52, 1: 53, 2: 52, 3: 52, 4: 52, 5: 52, 6: 52}
    # Federal holidays in the year: Mondays Sep 1, Oct 13, Jan 19, Feb 16, May 25 (5);
    # Tuesday Nov 11; Thursdays Nov 27, Dec 25, Jan 1 (3); Fridays Jul 4, Jun 19 (2).
    closed = open_days_by_weekday(2026)
    assert closed == {0: 47, 1: 52, 2: 52, 3: 49, 4: 50, 5: 52, 6: 52}


# --- Week grid and FTE ------------------------------------------------------------------------


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


_SMALL = StaffingAssumptions(
    target_seconds=20, service_level=0.6, shrinkage=0.25, max_occupancy=1.0
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


def test_staffed_vs_needed():
    nan = float("nan")
    table = _intervals(
        [
            # Monday 07:00 twice: 20 calls each (A = 2 at 180 s -> 3 needed at 60% in 20 s).
            ("2024-01-01", 420, 30, "A", 10, 10, 0, nan, nan, 1800),  # queues pooled:
            ("2024-01-01", 420, 30, "B", 10, 10, 0, nan, nan, 1800),  # 2 agents staffed
            ("2024-01-08", 420, 30, "A", 20, 20, 0, nan, nan, 7200),  # 4 agents staffed
            # Monday 07:30: no calls, one agent logged in -> over.
            ("2024-01-01", 450, 30, "A", 0, 0, 0, nan, nan, 1800),
            # Tuesday 07:00: 20 calls, one agent -> under by 2.
            ("2024-01-02", 420, 30, "A", 20, 20, 0, nan, nan, 1800),
        ]
    )
    out = staffed_vs_needed(table, 180, _SMALL)
    assert list(zip(out["weekday_name"], out["interval_label"], strict=True)) == [
        ("Monday", "07:00"),
        ("Monday", "07:30"),
        ("Tuesday", "07:00"),
    ]
    assert list(out["days"]) == [2, 1, 1]
    assert list(out["calls_offered"]) == pytest.approx([20, 0, 20])
    assert list(out["staffed_agents"]) == pytest.approx([3, 1, 1])  # (2 + 4) / 2 on Mondays
    assert list(out["agents_needed"]) == pytest.approx([3, 0, 3])
    assert list(out["difference"]) == pytest.approx([0, 1, -2])
    assert list(out["understaffed_pct"]) == pytest.approx([50, 0, 100])
    assert list(out["status"]) == ["met", "over", "under"]
    assert staffed_vs_needed(table.drop(columns=["staffed_seconds"]), 180, _SMALL).empty


# --- From a dataset ---------------------------------------------------------------------------


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


# --- Erlang A ---------------------------------------------------------------------------------


def test_erlang_a_single_agent_hand_worked():
    # 30 calls in 30 min = 1/60 per s; AHT 60 s; patience 60 s: lambda = mu = theta. With one
    # agent the death rate in state n is n mu, so the number in system is Poisson(1).
    # P(wait) = P(n >= 1) = 1 - 1/e; P(abandon) = theta E[queue] / lambda = E[(n - 1)+] = 1/e.
    # A caller with k ahead is answered within T when k + 1 moves (rates 2mu, ..., (k+2)mu, each
    # an answer-or-hang-up race won with probability (j+1)/(j+2)) end by T: probability
    # 1/(k+2) x P(2nd largest of k+2 iid Exp(mu) <= T) = 1/(k+2) (p^(k+2) + (k+2) p^(k+1) (1-p)),
    # p = 1 - exp(-mu T). With T = 60 s, mu T = 1.
    p = 1 - math.exp(-1)
    series = sum(
        (p ** (k + 2) / (k + 2) + p ** (k + 1) * (1 - p)) / math.factorial(k + 1) for k in range(60)
    )
    expected_sl = math.exp(-1) * (1 + series)
    r = erlang_a(30, 30, 60, 60, 60, 0.5)
    assert r.agents == 1
    assert r.waiting_probability == pytest.approx(1 - math.exp(-1), rel=1e-9)
    assert r.abandon_probability == pytest.approx(math.exp(-1), rel=1e-9)
    assert r.service_level == pytest.approx(expected_sl, rel=1e-9)
    # Occupancy = answered load / N = (1 - 1/e) x 1 erlang.
    assert r.occupancy == pytest.approx(1 - math.exp(-1), rel=1e-9)
    # Over the whole interval nearly every caller who does not hang up is answered.
    assert erlang_a(30, 30, 60, 60, 1800, 0.5).service_level == pytest.approx(1 - math.exp(-1))


def test_erlang_a_with_endless_patience_is_erlang_c():
    r = erlang_a(100, 30, 180, 1e9, 20, 0.8, shrinkage=0.3)
    assert (r.agents, r.scheduled_agents) == (14, 20)
    c = erlang_c(100, 30, 180, 20, 0.8)
    assert r.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert r.waiting_probability == pytest.approx(c.waiting_probability, abs=1e-6)
    assert r.abandon_probability < 1e-6


def test_erlang_a_callers_hanging_up_need_fewer_agents():
    r = erlang_a(100, 30, 180, 120, 20, 0.8)
    assert r.agents < 14
    assert r.service_level >= 0.8
    assert 0 < r.abandon_probability < 0.2
    with pytest.raises(InputError, match="patience"):
        erlang_a(100, 30, 180, 0, 20, 0.8)


def test_patience_from_abandoned_calls():
    table = pd.DataFrame(
        {
            "abandoned_calls": [3, 1, 50],
            "answer_wait_seconds": [200, 50, None],  # the last row has no wait times: skipped
            "abandon_wait_seconds": [90, 60, None],
        }
    )
    # Every second of waiting was exposed to hanging up: (200 + 50 + 90 + 60) / (3 + 1) = 100 s.
    assert patience_seconds(table) == pytest.approx(100.0)
    assert patience_seconds(table.drop(columns=["abandon_wait_seconds"])) is None


# --- On the sample data -----------------------------------------------------------------------

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
