"""Staffing: from projected calls to the representatives needed, interval by interval.

The arithmetic is Erlang C (:mod:`~contacts311.staffing.erlang_c`: Poisson arrivals,
exponential handle times, callers who wait forever), with Erlang A
(:mod:`~contacts311.staffing.erlang_a`) for callers who hang up. The rest turns a year of calls
into a week grid:

1. **Intraday profile** (:mod:`~contacts311.staffing.profiles`) — the share of the year's calls
   in each weekday x interval cell, from the Avaya ``intervals`` table (calls offered, else ACD
   + abandoned calls). With daily data only, :func:`flat_profile` spreads each weekday's share
   evenly over the opening hours.
2. **Handle time** (:mod:`~contacts311.staffing.durations`) — (ACD time + after-call work) /
   ACD calls from the same table, else a parameter.
3. **Week grid** (:mod:`~contacts311.staffing.grid`) — each scenario's yearly calls (the
   projection's mean and upper bound) times each cell's share gives the cell's calls in the
   year (these sum back to the projected volume); divided by the number of open days of that
   weekday in the fiscal year, that is the calls in one interval of a typical day, which
   Erlang C turns into agents.
4. **FTE** (same module) — scheduled agent-hours in the typical week (after shrinkage) / 40
   hours.
5. **Staffed vs needed** (:mod:`~contacts311.staffing.staffed`) — where the export has staffed
   time, the past year's logged-in agents (staffed seconds / interval seconds) against the raw
   agents Erlang C needed for the calls actually offered, interval by interval.

:func:`staffing_plan` (:mod:`~contacts311.staffing.plan`) runs these steps on a loaded dataset.
"""

from __future__ import annotations

from contacts311.staffing._base import WEEKDAY_NAMES
from contacts311.staffing.assumptions import DEFAULT_ASSUMPTIONS, StaffingAssumptions
from contacts311.staffing.durations import handle_time_seconds, patience_seconds
from contacts311.staffing.erlang_a import ErlangAResult, erlang_a
from contacts311.staffing.erlang_c import (
    StaffingResult,
    erlang_c,
    erlang_c_probability,
    service_level_for,
)
from contacts311.staffing.grid import fte_summary, grid_matrix, open_days_by_weekday, week_grid
from contacts311.staffing.plan import StaffingPlan, staffing_plan
from contacts311.staffing.profiles import PROFILE_COLUMNS, flat_profile, intraday_profile
from contacts311.staffing.staffed import staffed_vs_needed, staffed_vs_needed_summary

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "PROFILE_COLUMNS",
    "WEEKDAY_NAMES",
    "ErlangAResult",
    "StaffingAssumptions",
    "StaffingPlan",
    "StaffingResult",
    "erlang_a",
    "erlang_c",
    "erlang_c_probability",
    "flat_profile",
    "fte_summary",
    "grid_matrix",
    "handle_time_seconds",
    "intraday_profile",
    "open_days_by_weekday",
    "patience_seconds",
    "service_level_for",
    "staffed_vs_needed",
    "staffed_vs_needed_summary",
    "staffing_plan",
    "week_grid",
]
