"""Growth: year over year, the three "average growth" figures, and the period to date.

Growth is only given between two adjacent complete periods: a partial period is never compared
with a complete one; :func:`partial_period_comparison` compares it with the same span a year
earlier instead.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from contacts311 import wording
from contacts311.calendar import period_keys, periods_table
from contacts311.measures.totals import channel_columns, comparable_with_previous, count_columns
from contacts311.schema import last_day_covered

__all__ = ["average_growth", "growth_table", "loglinear_growth", "partial_period_comparison"]


def growth_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Totals, change and year-over-year growth per period and channel.

    Growth is only given between two adjacent complete periods: a partial period is never
    compared with a complete one (see :func:`partial_period_comparison` for the current period).

    Args:
        totals: Output of :func:`period_totals` (one row per period, a column per channel and
            ``total``).

    Returns:
        Long table, one row per period and channel (``total`` included, listed last):
        ``period, start, end, is_partial, channel, total, change, yoy_growth_pct``.
    """
    cols = ["period", "start", "end", "is_partial", "channel", "total", "change", "yoy_growth_pct"]
    if totals.empty:
        return pd.DataFrame(columns=cols)
    base = totals.reset_index(drop=True)
    comparable = comparable_with_previous(base)
    parts = []
    for channel in count_columns(base):
        values = base[channel].astype("float64")
        prev = values.shift(1)
        change = (values - prev).where(comparable)
        yoy = (change / prev * 100).where(comparable & (prev > 0))
        parts.append(
            base[["period", "start", "end", "is_partial"]].assign(
                channel=channel,
                total=base[channel].astype("int64"),
                change=change,
                yoy_growth_pct=yoy,
            )
        )
    return pd.concat(parts, ignore_index=True)[cols]


def loglinear_growth(years: Any, values: Any, alpha: float = 0.05) -> dict[str, Any]:
    """Average growth per year from an OLS fit of log(volume) on year.

    ``log(value) = a + b * year``; growth = exp(b) - 1, and its confidence interval is
    exp(CI of b) - 1 (statsmodels OLS, t distribution).

    Args:
        years: Year of each value (e.g. the fiscal year's ending year).
        values: Volumes, all > 0.
        alpha: 1 - confidence level (0.05 gives a 95% interval).

    Returns:
        ``growth_pct``, ``ci_low_pct``, ``ci_high_pct`` (``None`` with fewer than 3 points,
        when no interval exists), ``slope``, ``n``.

    Raises:
        ValueError: Fewer than 2 points, or a value <= 0.
    """
    import statsmodels.api as sm  # heavy: loaded only when a growth figure is asked for

    x = np.asarray(years, dtype="float64")
    y = np.asarray(values, dtype="float64")
    if len(x) < 2:
        raise ValueError("log-linear growth needs at least 2 periods")
    if (y <= 0).any():
        raise ValueError("log-linear growth needs volumes > 0")
    # Centre the years so the intercept is well conditioned; the slope is unchanged.
    design = sm.add_constant(x - x.mean(), has_constant="add")
    fit = sm.OLS(np.log(y), design).fit()
    slope = float(fit.params[1])
    lo = hi = None
    if len(x) > 2:
        ci = np.asarray(fit.conf_int(alpha))[1]
        lo, hi = (math.expm1(float(v)) * 100 for v in ci)
    return {
        "growth_pct": math.expm1(slope) * 100,
        "ci_low_pct": lo,
        "ci_high_pct": hi,
        "slope": slope,
        "n": len(x),
    }


def average_growth(totals: pd.DataFrame, column: str = "total") -> dict[str, Any]:
    """Average growth every fiscal year, three ways, over the complete periods.

    * ``mean_yoy_pct``: the mean of the year-over-year growth rates between adjacent complete
      periods (what a scorecard's "an average of 20% every fiscal year" means);
    * ``cagr_pct``: the compound annual growth rate from the first to the last complete period,
      ``(last / first) ** (1 / years) - 1``;
    * ``loglinear_pct`` and ``loglinear_ci_pct``: :func:`loglinear_growth` over every complete
      period, with its 95% confidence interval.

    Args:
        totals: Output of :func:`period_totals`.
        column: ``total`` or a channel.

    Returns:
        The four figures (``None`` when there are too few complete periods), plus
        ``complete_periods`` (labels used) and ``methods`` (one sentence per figure).
    """
    out: dict[str, Any] = {
        "mean_yoy_pct": None,
        "cagr_pct": None,
        "loglinear_pct": None,
        "loglinear_ci_pct": [None, None],
        "complete_periods": [],
        "methods": dict(wording.GROWTH_METHODS),
    }
    if totals.empty:
        return out
    growth = growth_table(totals)
    yoy = growth.loc[growth["channel"] == column, "yoy_growth_pct"].dropna()
    if len(yoy):
        out["mean_yoy_pct"] = float(yoy.mean())
    complete = totals[~totals["is_partial"].astype(bool)]
    complete = complete[complete[column] > 0]
    out["complete_periods"] = [str(p) for p in complete["period"]]
    if len(complete) >= 2:
        keys = period_keys(complete)
        years = int(keys.iloc[-1] - keys.iloc[0])
        first, last = float(complete[column].iloc[0]), float(complete[column].iloc[-1])
        out["cagr_pct"] = ((last / first) ** (1 / years) - 1) * 100
        fit = loglinear_growth(keys, complete[column])
        out["loglinear_pct"] = fit["growth_pct"]
        out["loglinear_ci_pct"] = [fit["ci_low_pct"], fit["ci_high_pct"]]
    return out


def _month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()


def _same_day_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February -> 28 February
        return day.replace(year=day.year - 1, day=28)


def _last_day_with_data(contacts: pd.DataFrame, start: dt.date, end: dt.date) -> dt.date:
    """The last day a period's contacts cover: a month's total runs to its month's end."""
    dates = pd.to_datetime(contacts["contact_date"])
    in_period = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    return last_day_covered(contacts[in_period]).date()


def partial_period_comparison(
    contacts: pd.DataFrame,
    basis: str = "fiscal",
    start_month: int = 7,
    as_of: dt.date | None = None,
    through: dt.date | None = None,
    style: str = "fy",
) -> pd.DataFrame:
    """The current, partial period to date against the same span of the period before.

    The span runs from the period's first day to ``through`` (default: the last date with
    contacts in the period; through the end of its month when that day's contacts are a
    month's total, ``is_monthly``). The previous span is the same days one
    year earlier (29 February becomes 28 February).

    Args:
        contacts: The core contacts table.
        basis: ``fiscal`` or ``calendar``.
        start_month: First month of the fiscal year.
        as_of: Periods ending after this date are partial (default: today).
        through: Last day of the span to compare.
        style: Period labels, ``fy`` or ``ending-year``.

    Returns:
        One row per channel and ``total`` (last): ``period, previous_period, start, through,
        previous_start, previous_through, channel, current, previous, change, growth_pct,
        previous_complete, label``; empty when the last period is complete or has no
        predecessor. ``growth_pct`` is empty when the previous span misses a month of data.
    """
    cols = [
        "period", "previous_period", "start", "through", "previous_start", "previous_through",
        "channel", "current", "previous", "change", "growth_pct", "previous_complete", "label",
    ]  # fmt: skip
    if contacts.empty:
        return pd.DataFrame(columns=cols)
    periods = periods_table(contacts, basis, start_month, as_of, style)
    if len(periods) < 2 or not bool(periods["is_partial"].iloc[-1]):
        return pd.DataFrame(columns=cols)
    cur, prev = periods.iloc[-1], periods.iloc[-2]
    dates = pd.to_datetime(contacts["contact_date"])
    if through is None:
        through = _last_day_with_data(contacts, cur["start"], cur["end"])
    prev_start = cur["start"].replace(year=cur["start"].year - 1)
    prev_through = _same_day_year_before(through)
    if through == _month_end(through):
        # A span ending on a month's last day ends on that month's last day a year earlier
        # (28 Feb 2025 -> 29 Feb 2024), so whole months are compared with whole months.
        prev_through = _month_end(prev_through)
    span_months = {str(m) for m in pd.period_range(prev_start, prev_through, freq="M")}
    prev_complete = not (span_months & set(prev["months_missing"]))
    in_span = (dates >= pd.Timestamp(cur["start"])) & (dates <= pd.Timestamp(through))
    in_prev = (dates >= pd.Timestamp(prev_start)) & (dates <= pd.Timestamp(prev_through))
    spans = {
        "period": cur["period"],
        "previous_period": prev["period"],
        "start": cur["start"],
        "through": through,
        "previous_start": prev_start,
        "previous_through": prev_through,
    }
    label = wording.to_date_label(
        cur["period"], cur["start"], through, prev["period"], prev_start, prev_through
    )
    rows = []
    for channel in [*channel_columns(contacts["channel"].unique()), "total"]:
        mask = (
            contacts["channel"] == channel
            if channel != "total"
            else pd.Series(True, index=contacts.index)
        )
        current = int(contacts.loc[in_span & mask, "count"].sum())
        previous = int(contacts.loc[in_prev & mask, "count"].sum())
        growth = (
            (current - previous) / previous * 100 if previous > 0 and prev_complete else math.nan
        )
        rows.append(
            {
                **spans,
                "channel": channel,
                "current": current,
                "previous": previous,
                "change": current - previous,
                "growth_pct": growth,
                "previous_complete": prev_complete,
                "label": label,
            }
        )
    return pd.DataFrame(rows, columns=cols)
