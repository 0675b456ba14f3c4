"""Seasonality and spikes: robust STL decomposition, and days or months far above usual.

statsmodels loads only inside :func:`decompose`, so ``import contacts311`` stays light.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contacts311.models._days import match_events, neighbour_stats
from contacts311.models.series import MIN_STL_MONTHS, as_monthly

__all__ = ["decompose", "find_spikes"]

# 1 / Phi^-1(0.75): makes the MAD a consistent estimate of a normal standard deviation.
_MAD_TO_SD = 1.482602218505602
# Iglewicz & Hoaglin's fallback when more than half the residuals are equal (MAD = 0).
_MEANAD_TO_SD = 1.253314137315500
# Smallest residual scale find_spikes uses (log units, ~1%): with threshold 3.5 nothing less
# than ~3.5% above expected is ever called a spike.
_MIN_LOG_SCALE = 0.01


def decompose(monthly: pd.Series) -> pd.DataFrame:
    """Split a monthly series into trend, seasonal and remainder with robust STL (period 12).

    Args:
        monthly: Contacts per month on a month-start ``DatetimeIndex`` without gaps.

    Returns:
        Columns ``observed``, ``trend``, ``seasonal``, ``resid`` on the month index. ``attrs``
        holds ``method`` (text) and ``seasonal_strength`` (``max(0, 1 - var(resid) /
        var(seasonal + resid))``, Wang, Smith & Hyndman 2006).

    Raises:
        ValueError: "STL needs at least 24 months; got N" (the message is fit for a report).
    """
    from statsmodels.tsa.seasonal import STL

    y = as_monthly(monthly)
    if len(y) < MIN_STL_MONTHS:
        raise ValueError(f"STL needs at least {MIN_STL_MONTHS} months; got {len(y)}")
    res = STL(y, period=12, robust=True).fit()
    out = pd.DataFrame(
        {
            "observed": y,
            "trend": np.asarray(res.trend),
            "seasonal": np.asarray(res.seasonal),
            "resid": np.asarray(res.resid),
        },
        index=y.index,
    )
    detrended = out["seasonal"] + out["resid"]
    var_all = float(detrended.var())
    strength = max(0.0, 1 - float(out["resid"].var()) / var_all) if var_all > 0 else 0.0
    out.attrs["method"] = "STL, period 12, robust LOESS (statsmodels)"
    out.attrs["seasonal_strength"] = strength
    return out


def _robust_z(resid: np.ndarray, min_scale: float | np.ndarray = 0.0) -> np.ndarray:
    """Modified z-score: distance from the median residual in robust standard deviations.

    ``min_scale`` (a number, or one per point) floors the scale: a smoother that fits almost
    exactly (STL on a short, clean series) would otherwise make a 0.01% wobble look like a spike.
    """
    finite = resid[np.isfinite(resid)]
    if len(finite) == 0:
        return np.full(len(resid), np.nan)
    centre = np.median(finite)
    dev = np.abs(finite - centre)
    scale = _MAD_TO_SD * np.median(dev)
    if scale == 0:
        scale = _MEANAD_TO_SD * np.mean(dev)
    scale = np.maximum(scale, min_scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (resid - centre) / scale
    # Every residual identical (scale 0): nothing stands out.
    return np.where(scale > 0, z, np.where(np.isfinite(resid), 0.0, np.nan))


def _daily_expected(series: pd.Series, window: int) -> np.ndarray:
    """Same-weekday median of nearby weeks, times the local level of the last two weeks or so.

    The weekday median alone lags a change of level (a busier month, a new service pattern), so
    the ratio count / weekday median is smoothed with a centred 15-day rolling median and the
    expectation is scaled by it. A spike of a few days barely moves a 15-day median.
    """
    values = series.to_numpy(dtype="float64")
    weekday_median, _ = neighbour_stats(series.index, values, window, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weekday_median > 0, values / weekday_median, np.nan)
    level = pd.Series(ratio).rolling(15, center=True, min_periods=5).median().to_numpy()
    level = np.where(np.isfinite(level), level, 1.0)
    return weekday_median * level


def _is_monthly(index: pd.DatetimeIndex) -> bool:
    if len(index) < 2:
        return bool(len(index) == 1 and index[0].day == 1)
    step = np.median(np.diff(index.to_numpy()).astype("timedelta64[D]").astype("int64"))
    return bool((index.day == 1).all() and step >= 28)


def find_spikes(
    series: pd.Series,
    events: pd.DataFrame | None = None,
    threshold: float = 3.5,
    *,
    tolerance_days: int = 3,
    window: int = 4,
) -> pd.DataFrame:
    """Days or months with far more contacts than usual, matched with known events.

    The expected value of a **day** is the median of the same weekday on the ``2 * window``
    nearest weeks (the day itself left out), scaled by the local level (a centred 15-day
    rolling median of count / that median), so a busier month is not a month of spikes. The
    expected value of a **month** is STL's trend + seasonal (robust, with at least 24 months),
    else the median of the two months either side. The residual is ``log(1 + count) -
    log(1 + expected)`` (a ratio, so a spike counts the same when volume has doubled), scaled
    into a modified z-score by the median absolute deviation of all residuals (Iglewicz &
    Hoaglin). The scale is never below Poisson noise (``1 / sqrt(1 + expected)``) nor 0.01. A
    point is a spike when ``robust_z > threshold``; only highs are reported (closures and
    missed logging are the undercount's concern).

    Args:
        series: Counts on a daily ``DatetimeIndex`` (see :func:`daily_series`) or a month-start
            one (see :func:`monthly_series`).
        events: Optional table with ``date``, ``end_date`` (optional; defaults to ``date``) and
            ``label``. An event matches a spike when its span, widened by ``tolerance_days`` on
            both sides, overlaps the spike's day or month.
        threshold: Modified z-score above which a point is a spike (3.5 is the usual cut-off).
        tolerance_days: Days of slack around an event's span.
        window: Weeks on each side used for a day's expected value.

    Returns:
        One row per spike: ``contact_date`` (daily input) or ``month`` (monthly input),
        ``count``, ``expected``, ``excess`` (count - expected), ``robust_z`` and
        ``event_label`` (labels of matching events joined by ``"; "``, empty when none).
        ``attrs["notes"]`` keeps the series' notes (:func:`daily_series`: monthly totals left
        out).
    """
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError("find_spikes expects a series on a DatetimeIndex")
    series = series.sort_index()
    monthly = _is_monthly(series.index)
    date_col = "month" if monthly else "contact_date"
    columns = [date_col, "count", "expected", "excess", "robust_z", "event_label"]
    if series.empty:
        empty = pd.DataFrame(columns=columns)
        empty.attrs["notes"] = list(series.attrs.get("notes", []))
        return empty
    values = series.to_numpy(dtype="float64")
    if monthly:
        y = as_monthly(series)
        if len(y) >= MIN_STL_MONTHS:
            parts = decompose(y)
            expected = (parts["trend"] + parts["seasonal"]).to_numpy()
        else:
            expected = _centred_median_excluding(values, 2)
    else:
        expected = _daily_expected(series, window)
    expected = np.clip(expected, 0.0, None)
    resid = np.log1p(values) - np.log1p(expected)
    # Counts are at least as noisy as Poisson counts: log(1 + X) has a standard deviation of
    # about 1 / sqrt(1 + mean), so 45 against 30 is ordinary while 4,500 against 3,000 is not.
    floor = np.maximum(_MIN_LOG_SCALE, 1 / np.sqrt(1 + np.nan_to_num(expected)))
    z = _robust_z(resid, min_scale=floor)
    hits = np.flatnonzero(np.nan_to_num(z, nan=-np.inf) > threshold)
    out = pd.DataFrame(
        {
            date_col: series.index[hits],
            "count": series.to_numpy()[hits],
            "expected": expected[hits],
            "excess": values[hits] - expected[hits],
            "robust_z": z[hits],
        }
    )
    out["event_label"] = match_events(out[date_col], events, monthly, tolerance_days)
    out = out.reset_index(drop=True)[columns]
    out.attrs["notes"] = list(series.attrs.get("notes", []))
    return out


def _centred_median_excluding(values: np.ndarray, half: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        neighbours = np.concatenate([values[max(0, i - half) : i], values[i + 1 : i + 1 + half]])
        if len(neighbours):
            out[i] = np.median(neighbours)
    return out
