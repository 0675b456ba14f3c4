"""Staffed against needed: the past year's logged-in agents beside the agents Erlang C needed.

Where the export has staffed time, staffed agents = staffed seconds / interval seconds, compared
interval by interval with the raw agents needed for the calls actually offered.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from contacts311.staffing._base import WEEKDAY_NAMES, interval_inputs, interval_label
from contacts311.staffing.assumptions import DEFAULT_ASSUMPTIONS, StaffingAssumptions
from contacts311.staffing.erlang_c import solve_interval
from contacts311.staffing.profiles import interval_rows

_COLUMNS = [
    "weekday", "weekday_name", "interval_start", "interval_label", "interval_minutes", "days",
    "calls_offered", "staffed_agents", "agents_needed", "difference", "understaffed_pct", "status",
]  # fmt: skip


def staffed_vs_needed(
    intervals: pd.DataFrame,
    aht_seconds: float,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
) -> pd.DataFrame:
    """Staffed agents against the agents needed, interval by interval, averaged by weekday.

    Each date x interval (all queues pooled) gives staffed agents = staffed seconds / interval
    seconds and the raw Erlang C agents needed for the calls offered then. Staffed time is
    logged-in time, which already excludes most shrinkage, so it is compared with raw agents.

    Args:
        intervals: The ``intervals`` table for the period to review (with ``staffed_seconds``).
        aht_seconds: Handle time for the needed agents.
        assumptions: Service level and occupancy cap.

    Returns:
        One row per weekday x interval: ``weekday``, ``weekday_name``, ``interval_start``,
        ``interval_label``, ``interval_minutes``, ``days``, ``calls_offered`` (mean per day),
        ``staffed_agents`` (mean), ``agents_needed`` (mean), ``difference`` (staffed - needed),
        ``understaffed_pct`` (share of days with fewer staffed than needed, %), ``status``
        (``under``, ``over`` or ``met`` on the means, within half an agent). Empty when no row
        has staffed time.
    """
    if "staffed_seconds" not in intervals:
        return pd.DataFrame(columns=_COLUMNS)
    rows = interval_rows(intervals)
    rows = rows.assign(staffed_seconds=pd.to_numeric(rows["staffed_seconds"], errors="coerce"))
    rows = rows.dropna(subset=["staffed_seconds"])
    if rows.empty:
        return pd.DataFrame(columns=_COLUMNS)
    per = _per_date_and_interval(rows, aht_seconds, assumptions)
    return _by_weekday_and_interval(per)


def _per_date_and_interval(
    rows: pd.DataFrame, aht_seconds: float, assumptions: StaffingAssumptions
) -> pd.DataFrame:
    """Calls, staffed and needed agents for each date x interval, all queues pooled."""
    keys = ["contact_date", "weekday", "interval_start", "interval_minutes"]
    per = rows.groupby(keys, as_index=False).agg(
        calls=("calls", "sum"), staffed_seconds=("staffed_seconds", "sum")
    )
    a = assumptions
    minutes = float(per["interval_minutes"].iloc[0])

    def needed(calls: float) -> int:
        # Logged-in time already excludes most shrinkage: compare with raw agents (no shrinkage).
        args = interval_inputs(
            calls, minutes, aht_seconds, a.target_seconds, a.service_level, 0.0, a.max_occupancy,
            allow_zero_calls=True,
        )  # fmt: skip
        return solve_interval(*args).agents

    per["staffed_agents"] = per["staffed_seconds"] / (per["interval_minutes"] * 60)
    per["agents_needed"] = per["calls"].fillna(0).map(needed)
    per["under"] = per["staffed_agents"] < per["agents_needed"]
    return per


def _by_weekday_and_interval(per: pd.DataFrame) -> pd.DataFrame:
    """Means over the dates of each weekday x interval, with the under/over/met status."""
    out = per.groupby(["weekday", "interval_start", "interval_minutes"], as_index=False).agg(
        days=("contact_date", "nunique"),
        calls_offered=("calls", "mean"),
        staffed_agents=("staffed_agents", "mean"),
        agents_needed=("agents_needed", "mean"),
        understaffed_pct=("under", "mean"),
    )
    out["understaffed_pct"] = out["understaffed_pct"] * 100
    out["difference"] = out["staffed_agents"] - out["agents_needed"]
    out["status"] = "met"
    out.loc[out["difference"] < -0.5, "status"] = "under"
    out.loc[out["difference"] > 0.5, "status"] = "over"
    out["weekday_name"] = out["weekday"].map(dict(enumerate(WEEKDAY_NAMES)))
    out["interval_label"] = out["interval_start"].astype("int64").map(interval_label)
    out["interval_start"] = out["interval_start"].astype("int64")
    out["interval_minutes"] = out["interval_minutes"].astype("int64")
    return out[_COLUMNS].sort_values(["weekday", "interval_start"]).reset_index(drop=True)


def staffed_vs_needed_summary(comparison: pd.DataFrame) -> dict[str, Any]:
    """Under- and over-staffed hours of a typical week, from :func:`staffed_vs_needed`.

    Args:
        comparison: One row per weekday x interval with ``status`` and ``interval_minutes``.

    Returns:
        ``intervals`` (weekday x interval cells compared), ``under_intervals``,
        ``over_intervals``, ``met_intervals``, ``under_hours_per_week`` and
        ``over_hours_per_week`` (hours of the typical week whose mean staffing was more than
        half an agent short of, or above, the need), ``worst`` (the most short-staffed cell:
        ``weekday_name``, ``interval_label``, ``difference``; ``None`` when no cell is short)
        and ``sentence`` for reports.
    """
    if comparison.empty:
        return {
            "intervals": 0,
            "under_intervals": 0,
            "over_intervals": 0,
            "met_intervals": 0,
            "under_hours_per_week": 0.0,
            "over_hours_per_week": 0.0,
            "worst": None,
            "sentence": "No staffed time in the interval data, so staffing cannot be compared.",
        }
    hours = comparison["interval_minutes"].astype("float64") / 60
    under = comparison["status"] == "under"
    over = comparison["status"] == "over"
    worst = None
    if under.any():
        row = comparison.loc[comparison.loc[under, "difference"].idxmin()]
        worst = {
            "weekday_name": str(row["weekday_name"]),
            "interval_label": str(row["interval_label"]),
            "difference": float(row["difference"]),
        }
    under_hours, over_hours = float(hours[under].sum()), float(hours[over].sum())
    sentence = (
        f"Of {len(comparison)} weekday intervals, {int(under.sum())} were under-staffed on "
        f"average ({under_hours:g} hours a week) and {int(over.sum())} over-staffed "
        f"({over_hours:g} hours a week); the rest were within half an agent of the need."
    )
    if worst is not None:
        sentence += (
            f" The largest shortfall: {worst['weekday_name']} {worst['interval_label']}, "
            f"{-worst['difference']:.1f} agents short."
        )
    return {
        "intervals": len(comparison),
        "under_intervals": int(under.sum()),
        "over_intervals": int(over.sum()),
        "met_intervals": int(len(comparison) - under.sum() - over.sum()),
        "under_hours_per_week": under_hours,
        "over_hours_per_week": over_hours,
        "worst": worst,
        "sentence": sentence,
    }
