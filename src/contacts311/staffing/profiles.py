"""Intraday profiles: the share of a year's calls in each weekday x interval cell.

From the ``intervals`` table (calls offered, else ACD + abandoned calls) with
:func:`intraday_profile`; with daily data only, :func:`flat_profile` spreads each weekday's share
evenly over the opening hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from contacts311.errors import InputError
from contacts311.staffing._base import WEEKDAY_NAMES, positive

if TYPE_CHECKING:
    from contacts311.profile import ServiceRules

#: Columns of a profile table (``intraday_profile`` / ``flat_profile``).
PROFILE_COLUMNS = [
    "weekday",
    "weekday_name",
    "interval_start",
    "interval_minutes",
    "calls",
    "share",
]


def _offered_calls(intervals: pd.DataFrame) -> pd.Series:
    """Calls offered per row; ACD + abandoned calls where the export has no offered count."""
    acd = (
        pd.to_numeric(intervals["acd_calls"], errors="coerce") if "acd_calls" in intervals else None
    )
    aban = (
        pd.to_numeric(intervals["abandoned_calls"], errors="coerce").fillna(0)
        if "abandoned_calls" in intervals
        else 0
    )
    fallback = acd + aban if acd is not None else pd.Series(float("nan"), index=intervals.index)
    if "calls_offered" in intervals:
        offered = pd.to_numeric(intervals["calls_offered"], errors="coerce")
        return offered.fillna(fallback).astype("float64")
    return pd.Series(fallback, index=intervals.index, dtype="float64")


def interval_rows(intervals: pd.DataFrame, what: str = "intervals table") -> pd.DataFrame:
    """Intra-day rows with ``contact_date`` as datetime, ``calls`` and the common grid length."""
    needed = {"contact_date", "interval_start", "interval_minutes"}
    missing = sorted(needed - set(intervals.columns))
    if missing:
        raise InputError(None, f"{what} lacks column(s) {', '.join(missing)}")
    if "calls_offered" not in intervals and "acd_calls" not in intervals:
        raise InputError(None, f"{what} needs calls_offered or acd_calls")
    rows = intervals.assign(
        contact_date=pd.to_datetime(intervals["contact_date"]).dt.normalize(),
        interval_start=pd.to_numeric(intervals["interval_start"], errors="coerce"),
        interval_minutes=pd.to_numeric(intervals["interval_minutes"], errors="coerce"),
        calls=_offered_calls(intervals),
    )
    # Daily rows (1440 minutes) say nothing about the time of day.
    rows = rows[rows["interval_minutes"].between(1, 1439)]
    rows = rows.dropna(subset=["interval_start", "interval_minutes"])
    if rows.empty:
        return rows
    lengths = sorted({int(v) for v in rows["interval_minutes"]})
    grid = lengths[-1]
    # Mixed 15/30/60-minute exports are re-bucketed to the coarsest length, which works only
    # when every length divides it and it divides the day.
    if 1440 % grid or any(grid % length for length in lengths):
        raise InputError(
            None,
            f"{what} mixes interval lengths {lengths} minutes that do not nest; "
            "expected 15, 30 or 60 minutes",
        )
    rows["interval_start"] = (rows["interval_start"].astype("int64") // grid) * grid
    rows["interval_minutes"] = grid
    rows["weekday"] = rows["contact_date"].dt.day_of_week.astype("int64")
    return rows


def intraday_profile(intervals: pd.DataFrame) -> pd.DataFrame:
    """The share of calls in each weekday x interval cell, from interval rows.

    Calls are calls offered (the demand to staff for), else ACD plus abandoned calls. Rows of
    different lengths are re-bucketed to the coarsest (15 and 30 minutes into 60, say); daily
    rows are ignored.

    Args:
        intervals: The ``intervals`` table (``contact_date``, ``interval_start`` in minutes after
            midnight, ``interval_minutes``, ``calls_offered`` and/or ``acd_calls`` and
            ``abandoned_calls``).

    Returns:
        Columns ``weekday`` (0 = Monday), ``weekday_name``, ``interval_start``,
        ``interval_minutes``, ``calls`` (over the whole table) and ``share`` (sums to 1).

    Raises:
        InputError: No intra-day rows, no calls, or interval lengths that do not nest.
    """
    rows = interval_rows(intervals)
    if rows.empty:
        raise InputError(None, "intervals table has no intra-day rows (15, 30 or 60 minutes)")
    cells = rows.groupby(["weekday", "interval_start"], as_index=False).agg(calls=("calls", "sum"))
    total = float(cells["calls"].sum())
    if not total > 0:
        raise InputError(None, "intervals table has no calls to build an intraday profile from")
    cells["interval_minutes"] = int(rows["interval_minutes"].iloc[0])
    cells["weekday_name"] = cells["weekday"].map(dict(enumerate(WEEKDAY_NAMES)))
    cells["share"] = cells["calls"] / total
    cells["interval_start"] = cells["interval_start"].astype("int64")
    return cells[PROFILE_COLUMNS].sort_values(["weekday", "interval_start"]).reset_index(drop=True)


def flat_profile(
    service: ServiceRules,
    weekday_weights: Mapping[int, float] | None = None,
    interval_minutes: int = 60,
    weekends_open: bool = True,
) -> pd.DataFrame:
    """The documented fallback when there is no interval data: flat over the opening hours.

    Each open weekday's share (from ``weekday_weights``, e.g. the year's phone calls by weekday
    from daily data, else equal) is spread evenly over the intervals from ``open_hour`` to
    ``close_hour``. Real calls peak mid-morning, so this understates peak staffing: say so
    wherever it is used.

    Args:
        service: The profile's opening hours.
        weekday_weights: Weekday (0 = Monday) -> relative volume; weekdays absent or 0 are closed.
        interval_minutes: Interval length (must divide 60 or be a multiple of 60 dividing the
            opening hours).
        weekends_open: Whether Saturday and Sunday are open (without weights).

    Returns:
        The same columns as :func:`intraday_profile` (``calls`` is the weight, not a count).
    """
    minutes = positive("interval minutes", interval_minutes)
    open_min, close_min = service.open_hour * 60, service.close_hour * 60
    if (close_min - open_min) % minutes:
        raise InputError(
            None,
            f"opening hours {service.open_hour}-{service.close_hour} do not split into "
            f"{minutes:g}-minute intervals",
        )
    if weekday_weights is None:
        days = range(7) if weekends_open else range(5)
        weekday_weights = dict.fromkeys(days, 1.0)
    weights = {int(d): float(w) for d, w in weekday_weights.items() if w and w > 0}
    if not weights:
        raise InputError(None, "no open weekday with calls to build a profile from")
    total = sum(weights.values())
    starts = list(range(open_min, close_min, int(minutes)))
    rows = [
        {
            "weekday": d,
            "weekday_name": WEEKDAY_NAMES[d],
            "interval_start": s,
            "interval_minutes": int(minutes),
            "calls": weights[d] / len(starts),
            "share": weights[d] / total / len(starts),
        }
        for d in sorted(weights)
        for s in starts
    ]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)
