"""The typical week of the planned year: open days, agents per weekday x interval, FTE.

Each scenario's yearly calls times each cell's share gives the cell's calls in the year (these
sum back to the scenario's volume); divided by the open days of that weekday in the fiscal year,
that is the calls in one interval of a typical day, which Erlang C turns into agents. FTE =
scheduled agent-hours in the typical week (after shrinkage) / hours per FTE.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from contacts311.calendar import federal_holidays, period_bounds
from contacts311.errors import InputError
from contacts311.staffing._base import WEEKDAY_NAMES, interval_inputs, interval_label, positive
from contacts311.staffing.assumptions import DEFAULT_ASSUMPTIONS, StaffingAssumptions
from contacts311.staffing.erlang_c import solve_interval

_GRID_COLUMNS = [
    "scenario", "weekday", "weekday_name", "interval_start", "interval_label", "interval_minutes",
    "share", "calls_in_year", "open_days", "calls_per_interval", "traffic_erlangs", "agents",
    "scheduled_agents", "service_level", "occupancy", "waiting_probability",
]  # fmt: skip


def open_days_by_weekday(
    fiscal_year_end: int,
    start_month: int = 7,
    closed_on_federal_holidays: bool = True,
    closed_dates: Iterable[dt.date] = (),
) -> dict[int, int]:
    """Open days of each weekday in a fiscal year (federal holidays closed when asked).

    Args:
        fiscal_year_end: The year the fiscal year ends in (2026 for FY 2025-26).
        start_month: First month of the fiscal year.
        closed_on_federal_holidays: Drop U.S. federal holidays (observed dates).
        closed_dates: Further closed dates.

    Returns:
        Weekday (0 = Monday) -> number of open days of that weekday.
    """
    start, end = period_bounds(fiscal_year_end, "fiscal", start_month)
    closed = set(closed_dates)
    if closed_on_federal_holidays:
        closed |= federal_holidays(start, end)
    counts = dict.fromkeys(range(7), 0)
    day = start
    while day <= end:
        if day not in closed:
            counts[day.weekday()] += 1
        day += dt.timedelta(days=1)
    return counts


def week_grid(
    profile: pd.DataFrame,
    volumes: Mapping[str, float],
    open_days: Mapping[int, int],
    aht_seconds: float,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
) -> pd.DataFrame:
    """Agents needed in every weekday x interval of a typical week, for each volume scenario.

    Args:
        profile: Shares by cell (:func:`intraday_profile` or :func:`flat_profile`).
        volumes: Scenario name -> calls in the year (e.g. ``{"mean": ..., "upper": ...}``).
        open_days: Weekday -> open days of that weekday in the year
            (:func:`open_days_by_weekday`).
        aht_seconds: Average handle time.
        assumptions: Service level, shrinkage, occupancy cap.

    Returns:
        One row per scenario and cell: ``scenario``, ``weekday``, ``weekday_name``,
        ``interval_start``, ``interval_label`` (``HH:MM``), ``interval_minutes``, ``share``,
        ``calls_in_year`` (sums to the scenario's volume), ``open_days``,
        ``calls_per_interval`` (one interval of a typical day), ``traffic_erlangs``, ``agents``,
        ``scheduled_agents``, ``service_level``, ``occupancy``, ``waiting_probability``.

    Raises:
        InputError: A negative volume, a cell with calls on a weekday with no open day, or
            invalid assumptions.
    """
    rows = []
    for scenario, volume in volumes.items():
        volume = float(volume)
        if not math.isfinite(volume) or volume < 0:
            raise InputError(
                None, f"projected volume for {scenario!r} must be 0 or more, got {volume!r}"
            )
        for cell in profile.itertuples(index=False):
            rows.append(_cell_row(scenario, volume, cell, open_days, aht_seconds, assumptions))
    return pd.DataFrame(rows, columns=_GRID_COLUMNS)


def _cell_row(
    scenario: str,
    volume: float,
    cell: Any,
    open_days: Mapping[int, int],
    aht_seconds: float,
    assumptions: StaffingAssumptions,
) -> dict[str, Any]:
    """One scenario's staffing in one profile cell (a row of the profile's ``itertuples``)."""
    a = assumptions
    calls_year = volume * float(cell.share)
    days = int(open_days.get(int(cell.weekday), 0))
    if days <= 0:
        if calls_year > 0:
            raise InputError(
                None,
                f"the profile has calls on {cell.weekday_name}s but the year has no open "
                f"{cell.weekday_name}",
            )
        per_interval = 0.0
    else:
        per_interval = calls_year / days
    minutes = float(cell.interval_minutes)
    args = interval_inputs(
        per_interval, minutes, aht_seconds, a.target_seconds, a.service_level,
        a.shrinkage, a.max_occupancy, allow_zero_calls=True,
    )  # fmt: skip
    r = solve_interval(*args)
    return {
        "scenario": scenario,
        "weekday": int(cell.weekday),
        "weekday_name": WEEKDAY_NAMES[int(cell.weekday)],
        "interval_start": int(cell.interval_start),
        "interval_label": interval_label(int(cell.interval_start)),
        "interval_minutes": int(cell.interval_minutes),
        "share": float(cell.share),
        "calls_in_year": calls_year,
        "open_days": days,
        "calls_per_interval": per_interval,
        "traffic_erlangs": r.traffic_erlangs,
        "agents": r.agents,
        "scheduled_agents": r.scheduled_agents,
        "service_level": r.service_level,
        "occupancy": r.occupancy,
        "waiting_probability": r.waiting_probability,
    }


def fte_summary(
    grid: pd.DataFrame, hours_per_fte: float = 40.0, head_count: float | None = None
) -> pd.DataFrame:
    """Agent-hours in the typical week and the FTE they imply, per scenario.

    FTE = scheduled agent-hours per week (after shrinkage) / ``hours_per_fte``.

    Args:
        grid: A :func:`week_grid` table.
        hours_per_fte: Paid hours per full-time equivalent per week.
        head_count: Current representatives (FTE), to show the gap; optional.

    Returns:
        Columns ``scenario``, ``calls_in_year``, ``agent_hours_per_week`` (raw),
        ``scheduled_agent_hours_per_week``, ``fte``, ``peak_scheduled_agents`` and, with a
        head count, ``head_count`` and ``fte_gap`` (needed - current; positive = short).
    """
    hours_per_fte = positive("hours per FTE", hours_per_fte)
    hours = grid["interval_minutes"] / 60
    work = grid.assign(
        raw_hours=grid["agents"] * hours, sched_hours=grid["scheduled_agents"] * hours
    )
    out = work.groupby("scenario", sort=False).agg(
        calls_in_year=("calls_in_year", "sum"),
        agent_hours_per_week=("raw_hours", "sum"),
        scheduled_agent_hours_per_week=("sched_hours", "sum"),
        peak_scheduled_agents=("scheduled_agents", "max"),
    )
    out["fte"] = out["scheduled_agent_hours_per_week"] / hours_per_fte
    if head_count is not None:
        out["head_count"] = float(head_count)
        out["fte_gap"] = out["fte"] - out["head_count"]
    cols = [
        "calls_in_year",
        "agent_hours_per_week",
        "scheduled_agent_hours_per_week",
        "fte",
        "peak_scheduled_agents",
    ]
    cols += ["head_count", "fte_gap"] if head_count is not None else []
    return out[cols].reset_index()


def grid_matrix(
    grid: pd.DataFrame, scenario: str | None = "mean", value: str = "scheduled_agents"
) -> pd.DataFrame:
    """A heatmap-ready matrix: one row per interval (``HH:MM``), one column per weekday name.

    ``scenario`` ``None`` takes every row (for tables without scenarios, such as
    :func:`staffed_vs_needed`).
    """
    part = grid if scenario is None else grid[grid["scenario"] == scenario]
    wide = part.pivot_table(
        index="interval_label", columns="weekday", values=value, aggfunc="sum", fill_value=0
    )
    wide = wide.sort_index()
    wide.columns = [WEEKDAY_NAMES[int(d)] for d in wide.columns]
    wide.columns.name = None
    wide.index.name = "interval"
    return wide
