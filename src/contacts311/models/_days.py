"""Same-weekday neighbours and known events: shared by spike finding and the undercount."""

from __future__ import annotations

import numpy as np
import pandas as pd


def neighbour_stats(
    dates: pd.DatetimeIndex, values: np.ndarray, window: int, quantile: float
) -> tuple[np.ndarray, np.ndarray]:
    """Median and a low quantile of the same weekday's values on nearby days, leaving the day out.

    For each day, the ``2 * window`` nearest days of the same weekday in ``dates`` (``window``
    before and after; shifted inward at the ends so the count stays the same) are used. The day
    itself is left out so that an outlier does not lower (or raise) its own expectation.
    """
    median = np.full(len(values), np.nan)
    low = np.full(len(values), np.nan)
    weekdays = np.asarray(dates.day_of_week)
    for wd in np.unique(weekdays):
        pos = np.flatnonzero(weekdays == wd)
        v = values[pos].astype("float64")
        n = len(v)
        for i in range(n):
            lo, hi = i - window, i + window
            if lo < 0:
                hi, lo = min(n - 1, hi - lo), 0
            if hi > n - 1:
                lo, hi = max(0, lo - (hi - (n - 1))), n - 1
            neighbours = np.concatenate([v[lo:i], v[i + 1 : hi + 1]])
            if len(neighbours):
                median[pos[i]] = np.median(neighbours)
                low[pos[i]] = np.quantile(neighbours, quantile)
    return median, low


def match_events(
    when: pd.Series, events: pd.DataFrame | None, monthly: bool, tolerance_days: int
) -> list[str]:
    if events is None or events.empty or when.empty:
        return [""] * len(when)
    cols = {str(c).strip().lower(): c for c in events.columns}
    start_col = cols.get("date") or cols.get("start_date")
    if start_col is None or "label" not in cols:
        raise ValueError("events table needs 'date' (or 'start_date') and 'label' columns")
    starts = pd.to_datetime(events[start_col]).dt.normalize()
    ends = pd.to_datetime(events[cols["end_date"]]).dt.normalize() if "end_date" in cols else starts
    ends = ends.fillna(starts)
    slack = pd.Timedelta(days=tolerance_days)
    lo, hi = (starts - slack).to_numpy(), (ends + slack).to_numpy()
    labels = events[cols["label"]].astype("str").to_numpy()
    out = []
    for stamp in pd.to_datetime(when):
        first = stamp.normalize()
        last = (first + pd.offsets.MonthEnd(0)) if monthly else first
        hit = (lo <= last.to_datetime64()) & (hi >= first.to_datetime64())
        out.append("; ".join(labels[hit]))
    return out
