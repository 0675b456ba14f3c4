"""Models of the contact series: ETS projection, STL decomposition, spikes and the undercount.

Every function takes plain pandas objects and returns plain pandas objects (or a small
dataclass), so a report's number can be reproduced with one call. statsmodels loads only inside
the functions that need it, so ``import contacts311`` stays light.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contacts311.calendar import assign_periods, period_bounds, period_label
from contacts311.profile import Profile, default_profile

__all__ = [
    "MIN_PROJECTION_MONTHS",
    "MIN_STL_MONTHS",
    "MIN_TREND_MONTHS",
    "MANUAL_CHANNELS",
    "Projection",
    "daily_series",
    "decompose",
    "find_spikes",
    "monthly_series",
    "project_next_period",
    "undercount",
    "undercount_days",
    "undercount_sentence",
]

#: Fewest months an ETS projection is attempted on.
MIN_PROJECTION_MONTHS = 6
#: Fewer months than this: level-only model (a trend fitted on less than a year chases noise).
MIN_TREND_MONTHS = 12
#: STL (period 12) and seasonal ETS need two full years.
MIN_STL_MONTHS = 24
#: Channels PDX 311 representatives log by hand (the published "likely an undercount" note).
MANUAL_CHANNELS = ("email", "in_person")
#: Ways to compute the undercount's low estimate (see undercount_days).
_LOW_RULES = ("zero_days", "flagged")

# 1 / Phi^-1(0.75): makes the MAD a consistent estimate of a normal standard deviation.
_MAD_TO_SD = 1.482602218505602
# Iglewicz & Hoaglin's fallback when more than half the residuals are equal (MAD = 0).
_MEANAD_TO_SD = 1.253314137315500
# Smallest residual scale find_spikes uses (log units, ~1%): with threshold 3.5 nothing less
# than ~3.5% above expected is ever called a spike.
_MIN_LOG_SCALE = 0.01


# --------------------------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------------------------


def _select_channel(contacts: pd.DataFrame, channel: str | Iterable[str] | None) -> pd.DataFrame:
    if channel is None:
        return contacts
    wanted = [channel] if isinstance(channel, str) else list(channel)
    return contacts[contacts["channel"].astype("str").isin(wanted)]


def monthly_series(
    contacts: pd.DataFrame,
    channel: str | Iterable[str] | None = None,
    *,
    complete_months: bool = False,
) -> pd.Series:
    """Contacts per calendar month, zero-filled inside the span of the data.

    Args:
        contacts: The core contacts table (``contact_date``, ``channel``, ``count``).
        channel: One channel, several, or ``None`` for all channels. The span is always the whole
            table's, so a channel with no contacts in a month shows 0 for that month.
        complete_months: Drop the first month when the data starts after its first day and the
            last month when the data ends before its last day (a partial month would drag a
            projection down).

    Returns:
        Integer series named ``count`` on a month-start ``DatetimeIndex`` named ``month``
        (frequency ``MS``); empty when ``contacts`` is empty.
    """
    if contacts.empty:
        return pd.Series(
            [], index=pd.DatetimeIndex([], name="month", freq="MS"), name="count", dtype="int64"
        )
    all_dates = pd.to_datetime(contacts["contact_date"])
    first, last = all_dates.min(), all_dates.max()
    months = pd.date_range(
        first.to_period("M").to_timestamp(), last.to_period("M").to_timestamp(), freq="MS"
    )
    chosen = _select_channel(contacts, channel)
    keys = pd.to_datetime(chosen["contact_date"]).dt.to_period("M").dt.to_timestamp()
    sums = chosen["count"].astype("int64").groupby(keys.to_numpy()).sum()
    series = sums.reindex(months, fill_value=0).astype("int64")
    if complete_months:
        if first.normalize() != months[0]:
            series = series.iloc[1:]
        if last.normalize() != (months[-1] + pd.offsets.MonthEnd(0)).normalize():
            series = series.iloc[:-1]
    series.index = pd.DatetimeIndex(series.index, name="month", freq="MS")
    series.name = "count"
    return series


def daily_series(contacts: pd.DataFrame, channel: str | Iterable[str] | None = None) -> pd.Series:
    """Contacts per day, zero-filled from the table's first to its last ``contact_date``.

    Args:
        contacts: The core contacts table.
        channel: One channel, several, or ``None`` for all channels.

    Returns:
        Integer series named ``count`` on a daily ``DatetimeIndex`` named ``contact_date``.
    """
    if contacts.empty:
        return pd.Series(
            [],
            index=pd.DatetimeIndex([], name="contact_date", freq="D"),
            name="count",
            dtype="int64",
        )
    all_dates = pd.to_datetime(contacts["contact_date"]).dt.normalize()
    days = pd.date_range(all_dates.min(), all_dates.max(), freq="D")
    chosen = _select_channel(contacts, channel)
    keys = pd.to_datetime(chosen["contact_date"]).dt.normalize()
    sums = chosen["count"].astype("int64").groupby(keys.to_numpy()).sum()
    series = sums.reindex(days, fill_value=0).astype("int64")
    series.index = pd.DatetimeIndex(series.index, name="contact_date", freq="D")
    series.name = "count"
    return series


def _as_monthly(monthly: pd.Series) -> pd.Series:
    if not isinstance(monthly.index, pd.DatetimeIndex):
        raise ValueError("expected a series on a month-start DatetimeIndex (see monthly_series)")
    if monthly.empty:
        # No complete month (e.g. a few days of data): callers then say "needs N months; got 0"
        # instead of failing on a date range between two missing dates.
        return pd.Series([], index=pd.DatetimeIndex([], freq="MS", name="month"), dtype="float64")
    months = monthly.index.to_period("M").to_timestamp()
    full = pd.date_range(months.min(), months.max(), freq="MS")
    if len(full) != len(months) or (months != full).any():
        raise ValueError(
            "monthly series must have one value per consecutive month, no gaps or repeats"
        )
    out = pd.Series(
        monthly.to_numpy(dtype="float64"), index=pd.DatetimeIndex(full, freq="MS", name="month")
    )
    if out.isna().any():
        raise ValueError("monthly series has missing values; zero-fill or trim it first")
    return out


# --------------------------------------------------------------------------------------------
# Projection
# --------------------------------------------------------------------------------------------


@dataclass
class Projection:
    """The projected total of the next period(s), with a prediction interval.

    The scalar fields describe the first projected period: the first one the history does not
    cover completely. When the history stops inside a period, that period's observed months are
    added as known values and only its remaining months are forecast.

    Attributes:
        period: Label of the first projected period (``FY 2025-26``).
        period_key: Its ending year (2026).
        mean: Projected total (observed months + the model's point forecasts).
        lower: Lower bound of the prediction interval of the total.
        upper: Upper bound of the prediction interval of the total.
        level: Coverage of the interval (0.95).
        observed: Contacts already observed in the period (0 when it has not started).
        observed_months: Number of the period's months already observed.
        model: The selected model and how it was chosen, one sentence.
        interval_method: How the interval was computed, one sentence.
        monthly: One row per forecast month: ``month``, ``period_key``, ``mean``, ``lower``,
            ``upper`` (per-month interval at the same level).
        periods: One row per projected period: ``period_key``, ``period``, ``mean``, ``lower``,
            ``upper``, ``observed``, ``observed_months``, ``forecast_months``.
        history_months: Months of history the model was fitted on.
    """

    period: str
    period_key: int
    mean: float
    lower: float
    upper: float
    level: float
    observed: float
    observed_months: int
    model: str
    interval_method: str
    monthly: pd.DataFrame = field(repr=False)
    periods: pd.DataFrame = field(repr=False)
    history_months: int = 0

    def sentence(self) -> str:
        """The projection in words, for reports."""
        return (
            f"{self.period}: projected {self.mean:,.0f} contacts "
            f"({self.level:.0%} interval {self.lower:,.0f}–{self.upper:,.0f})."
        )


def _ets_candidates(n: int, positive: bool) -> list[dict]:
    errors = ["add", "mul"] if positive else ["add"]
    trends: list[tuple[str | None, bool]] = [(None, False)]
    if n >= MIN_TREND_MONTHS:
        trends += [("add", False), ("add", True)]
    seasonals: list[str | None] = [None]
    if n >= MIN_STL_MONTHS:
        seasonals += ["add", "mul"] if positive else ["add"]
    out = []
    for error in errors:
        for trend, damped in trends:
            for seasonal in seasonals:
                # Additive error with multiplicative seasonality is numerically unstable
                # (Hyndman et al. exclude it from automatic selection); so do we.
                if error == "add" and seasonal == "mul":
                    continue
                out.append(
                    {"error": error, "trend": trend, "damped_trend": damped, "seasonal": seasonal}
                )
    return out


def _ets_name(spec: dict) -> str:
    letter = {None: "N", "add": "A", "mul": "M"}
    trend = letter[spec["trend"]] + ("d" if spec["damped_trend"] else "")
    return f"ETS({letter[spec['error']]},{trend},{letter[spec['seasonal']]})"


def _fit_ets(y: pd.Series, spec: dict, initialization: str | None = None):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if initialization is None:
        # With two years or more, candidates start from a classical decomposition of the first
        # years (Hyndman et al. 2008): all are treated alike, and seasonal fits drop from ~17
        # optimised values to ~5 (seconds -> tenths of a second each). The winner is refitted.
        initialization = "heuristic" if len(y) >= MIN_STL_MONTHS else "estimated"

    model = ETSModel(
        y,
        error=spec["error"],
        trend=spec["trend"],
        damped_trend=spec["damped_trend"],
        seasonal=spec["seasonal"],
        seasonal_periods=12 if spec["seasonal"] else None,
        initialization_method=initialization,
    )
    with warnings.catch_warnings():
        # Optimiser chatter (convergence, overflow in rejected trial points) is not the
        # analyst's concern: a failed candidate simply loses the AICc comparison.
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=2000)


def _basis(start_month: int) -> str:
    """A year starting in January is a calendar year (labelled ``2024``, not ``FY 2024``)."""
    return "calendar" if start_month == 1 else "fiscal"


def _next_periods(last_month: pd.Timestamp, start_month: int, horizon_periods: int) -> list[int]:
    basis = _basis(start_month)
    last_key = int(assign_periods(pd.Series([last_month]), basis, start_month).iloc[0])
    _, end = period_bounds(last_key, basis, start_month)
    complete = last_month.to_period("M") == pd.Timestamp(end).to_period("M")
    first = last_key + 1 if complete else last_key
    return list(range(first, first + horizon_periods))


def project_next_period(
    monthly: pd.Series,
    *,
    start_month: int = 7,
    horizon_periods: int = 1,
    level: float = 0.95,
    simulations: int = 2000,
    seed: int = 311,
) -> Projection:
    """Project the total of the next fiscal (or calendar) year with an ETS model.

    Candidate models are statsmodels ``ETSModel`` state-space models: additive or multiplicative
    error (multiplicative only when every month is positive); no trend, additive trend or damped
    additive trend (trends only with at least 12 months); no, additive or multiplicative
    seasonality with period 12 (only with at least 24 months). The candidate with the lowest
    AICc is used. Initial states are estimated with the smoothing parameters on short
    histories and set heuristically from the first two years (a classical decomposition) when
    there are at least 24 months (the chosen model is then refitted with estimated initial
    states, kept when its likelihood is at least as high). Leading months with no contacts
    (before a program or export started) are dropped.

    The interval of a period total cannot be had by adding monthly bounds (that ignores how a
    high month is followed by high months), so it is simulated: ``simulations`` future paths are
    drawn from the fitted model (``ETSResults.simulate``, normal errors, anchored after the last
    month), each path's months in the period are summed (plus any observed months), and the
    interval is the central ``level`` quantile range of those sums. Parameter uncertainty is not
    included, so the interval is somewhat narrow. The point value is the model's forecast mean.

    Args:
        monthly: Contacts per month on a month-start ``DatetimeIndex`` without gaps (see
            :func:`monthly_series`; pass ``complete_months=True`` there to drop a partial
            last month).
        start_month: First month of the fiscal year (1 for calendar years).
        horizon_periods: How many periods to project (the first is in the scalar fields, all are
            in ``periods``).
        level: Coverage of the prediction interval.
        simulations: Number of simulated paths.
        seed: Seed of the simulation, so a report's interval can be reproduced.

    Returns:
        A :class:`Projection`.

    Raises:
        ValueError: Fewer than 6 months of history, gaps in the index, or no model could be fitted.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if horizon_periods < 1:
        raise ValueError(f"horizon_periods must be at least 1, got {horizon_periods}")
    y = _as_monthly(monthly)
    started = np.flatnonzero(y.to_numpy() > 0)
    y = y.iloc[started[0] :] if len(started) else y
    n = len(y)
    if n < MIN_PROJECTION_MONTHS:
        raise ValueError(
            f"a projection needs at least {MIN_PROJECTION_MONTHS} months of history; got {n}"
        )
    basis = _basis(start_month)
    keys = _next_periods(y.index[-1], start_month, horizon_periods)
    _, last_end = period_bounds(keys[-1], basis, start_month)
    future = pd.date_range(
        y.index[-1] + pd.offsets.MonthBegin(1), pd.Timestamp(last_end), freq="MS"
    )
    h = len(future)

    candidates = _ets_candidates(n, positive=bool((y > 0).all()))
    fitted = []
    for spec in candidates:
        try:
            res = _fit_ets(y, spec)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            continue
        score = res.aicc if np.isfinite(res.aicc) else res.aic
        if np.isfinite(score):
            fitted.append((score, spec, res))
    if not fitted:
        raise ValueError("no ETS model could be fitted to the monthly series")
    fitted.sort(key=lambda item: item[0])
    score, spec, res = fitted[0]
    if len(y) >= MIN_STL_MONTHS:
        # Refit the chosen model with its initial states estimated too: slower, but only once,
        # and the heuristic start can leave a seasonal model's level and slope a little off.
        try:
            refit = _fit_ets(y, spec, "estimated")
            if np.isfinite(refit.llf) and refit.llf >= res.llf:
                res = refit
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in a rare explosive path is clipped below
        point = np.asarray(res.forecast(h), dtype="float64")
        sims = np.asarray(
            res.simulate(h, anchor="end", repetitions=simulations, rng=np.random.default_rng(seed)),
            dtype="float64",
        ).reshape(h, simulations)
    sims = np.clip(
        np.nan_to_num(sims, nan=0.0, posinf=np.finfo("float64").max / (h + 1)), 0.0, None
    )
    point = np.clip(point, 0.0, None)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2

    future_keys = assign_periods(pd.Series(future), basis, start_month).to_numpy()
    history_keys = assign_periods(pd.Series(y.index), basis, start_month).to_numpy()
    monthly_out = pd.DataFrame(
        {
            "month": future,
            "period_key": future_keys,
            "mean": point,
            "lower": np.quantile(sims, lo_q, axis=1),
            "upper": np.quantile(sims, hi_q, axis=1),
        }
    )
    rows = []
    for key in keys:
        in_key = future_keys == key
        observed_mask = history_keys == key
        observed = float(y[observed_mask].sum())
        totals = observed + sims[in_key].sum(axis=0)
        rows.append(
            {
                "period_key": key,
                "period": period_label(key, basis, start_month),
                "mean": observed + float(point[in_key].sum()),
                "lower": float(np.quantile(totals, lo_q)),
                "upper": float(np.quantile(totals, hi_q)),
                "observed": observed,
                "observed_months": int(observed_mask.sum()),
                "forecast_months": int(in_key.sum()),
            }
        )
    periods = pd.DataFrame(rows)
    first = rows[0]
    params = _param_text(res, spec)
    model_text = (
        f"{_ets_name(spec)} fitted to {n} monthly totals "
        f"({y.index[0]:%b %Y}–{y.index[-1]:%b %Y}), lowest AICc of {len(candidates)} candidates"
        + (f"; {params}" if params else "")
        + "."
    )
    interval_text = (
        f"{level:.0%} interval from {simulations:,} simulated paths of the fitted model, each "
        "summed over the period's months (observed months added as known); parameter "
        "uncertainty is not included."
    )
    return Projection(
        period=first["period"],
        period_key=first["period_key"],
        mean=first["mean"],
        lower=first["lower"],
        upper=first["upper"],
        level=level,
        observed=first["observed"],
        observed_months=first["observed_months"],
        model=model_text,
        interval_method=interval_text,
        monthly=monthly_out,
        periods=periods,
        history_months=n,
    )


def _param_text(res, spec: dict) -> str:
    names = {
        "smoothing_level": "α",
        "smoothing_trend": "β",
        "smoothing_seasonal": "γ",
        "damping_trend": "φ",
    }
    params = dict(zip(res.model.param_names, np.asarray(res.params), strict=False))
    parts = [f"{sym}={params[key]:.2f}" for key, sym in names.items() if key in params]
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# STL
# --------------------------------------------------------------------------------------------


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

    y = _as_monthly(monthly)
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


# --------------------------------------------------------------------------------------------
# Robust helpers shared by spikes and undercount
# --------------------------------------------------------------------------------------------


def _neighbour_stats(
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
    weekday_median, _ = _neighbour_stats(series.index, values, window, 0.5)
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


# --------------------------------------------------------------------------------------------
# Spikes
# --------------------------------------------------------------------------------------------


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
    """
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError("find_spikes expects a series on a DatetimeIndex")
    series = series.sort_index()
    monthly = _is_monthly(series.index)
    date_col = "month" if monthly else "contact_date"
    columns = [date_col, "count", "expected", "excess", "robust_z", "event_label"]
    if series.empty:
        return pd.DataFrame(columns=columns)
    values = series.to_numpy(dtype="float64")
    if monthly:
        y = _as_monthly(series)
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
    out["event_label"] = _match_events(out[date_col], events, monthly, tolerance_days)
    return out.reset_index(drop=True)[columns]


def _centred_median_excluding(values: np.ndarray, half: int) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        neighbours = np.concatenate([values[max(0, i - half) : i], values[i + 1 : i + 1 + half]])
        if len(neighbours):
            out[i] = np.median(neighbours)
    return out


def _match_events(
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


# --------------------------------------------------------------------------------------------
# Undercount
# --------------------------------------------------------------------------------------------


#: Columns of :func:`undercount_days` in order, with their types (also of its empty result).
_DAY_DTYPES = {
    "contact_date": "datetime64[us]",
    "channel": "str",
    "count": "int64",
    "expected": "float64",
    "expected_low": "float64",
    "is_flagged": "bool",
    "is_zero": "bool",
    "excused": "bool",
    "event_label": "str",
    "missed_low": "float64",
    "missed_high": "float64",
}


def undercount_days(
    contacts: pd.DataFrame,
    profile: Profile | None = None,
    channels: Iterable[str] = MANUAL_CHANNELS,
    *,
    window: int = 4,
    flag_ratio: float = 0.5,
    low_quantile: float = 0.25,
    min_expected: float = 5.0,
    low_rule: str = "flagged",
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every open day of the hand-logged channels, with its expected count and any missed contacts.

    A day's expected count is the median of the same weekday on the ``2 * window`` nearest open
    days of that weekday (the day itself left out); ``expected_low`` is the ``low_quantile`` of
    the same days. A day is **flagged** when its count is below ``flag_ratio`` × expected and
    expected is at least ``min_expected`` (below that a quiet day and a missed day look alike).
    ``missed_high`` = expected − count on flagged days. ``missed_low`` depends on ``low_rule``:
    ``flagged`` (default): ``expected_low`` − count on every flagged day (missed logging is
    usually partial, so days with no contacts at all are rare); ``zero_days``: ``expected_low``
    on flagged days with no contacts at all, 0 elsewhere (the most conservative reading).
    A low day inside a known event (``events``: storm, closure) is not flagged but ``excused``:
    fewer walk-ins during an ice storm are not a logging failure.

    Args:
        contacts: The core contacts table.
        profile: Supplies the service calendar (default: the bundled PDX 311 profile).
        channels: Channels logged by hand.
        window: Weeks on each side used for the expected count.
        flag_ratio: A day below this share of its expected count is flagged.
        low_quantile: Quantile of the neighbouring days used as the low estimate's expectation.
        min_expected: Days whose expected count is below this are never flagged.
        low_rule: ``zero_days`` or ``flagged`` (see above).
        events: Optional ``date``, ``end_date``, ``label`` table of known events.

    Returns:
        Columns ``contact_date``, ``channel``, ``count``, ``expected``, ``expected_low``,
        ``is_flagged``, ``is_zero``, ``excused``, ``event_label``, ``missed_low``,
        ``missed_high``. Each channel covers the open days from its own first to its last
        contact.
    """
    from contacts311.service import service_days

    if low_rule not in _LOW_RULES:
        raise ValueError(f"low_rule must be one of {', '.join(_LOW_RULES)}, got {low_rule!r}")
    profile = profile or default_profile()
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    columns = list(_DAY_DTYPES)
    frames = []
    for channel in channels:
        mine = _select_channel(contacts, channel)
        if mine.empty:
            continue
        days = daily_series(mine)
        calendar = service_days(days.index[0], days.index[-1], profile.service, channel)
        open_days = pd.DatetimeIndex(calendar.loc[calendar["is_open"], "date"])
        counts = days.reindex(open_days, fill_value=0).to_numpy(dtype="float64")
        expected, expected_low = _neighbour_stats(open_days, counts, window, low_quantile)
        valid = np.isfinite(expected) & (expected >= min_expected)
        low = valid & (counts < flag_ratio * np.nan_to_num(expected))
        labels = np.asarray(_match_events(pd.Series(open_days), events, False, 0), dtype=object)
        excused = low & (labels != "")
        flagged = low & ~excused
        zero = flagged & (counts == 0)
        if low_rule == "zero_days":
            missed_low = np.where(zero, expected_low, 0.0)
        else:
            missed_low = np.where(flagged, np.maximum(expected_low - counts, 0.0), 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "contact_date": open_days,
                    "channel": channel,
                    "count": counts.astype("int64"),
                    "expected": expected,
                    "expected_low": expected_low,
                    "is_flagged": flagged,
                    "is_zero": zero,
                    "excused": excused,
                    "event_label": labels.astype(str),
                    "missed_low": missed_low,
                    "missed_high": np.where(flagged, np.maximum(expected - counts, 0.0), 0.0),
                }
            )
        )
    if not frames:
        # Typed, so that callers can filter on ``is_flagged`` and use ``.dt`` on no rows.
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DAY_DTYPES.items()})
    out = pd.concat(frames, ignore_index=True)[columns]
    out["channel"] = out["channel"].astype("str")
    out["event_label"] = out["event_label"].astype("str")
    return out


def _method_text(
    channels: Iterable[str],
    window: int,
    flag_ratio: float,
    low_quantile: float,
    min_expected: float,
    low_rule: str,
    with_events: bool,
) -> str:
    names = ", ".join(c.replace("_", "-") for c in channels)
    if low_rule == "zero_days":
        low = (
            "only days with no contacts at all, each missing the "
            f"{low_quantile:.0%} quantile of its neighbours"
        )
    else:
        low = (
            f"every flagged day, missing the {low_quantile:.0%} quantile of its neighbours "
            "minus its count"
        )
    events = (
        "Low days during a listed event (storm, closure) are excused, not counted as missed. "
        if with_events
        else ""
    )
    return (
        f"Hand-logged channels ({names}): each open day on the service calendar is compared with "
        f"the median of the same weekday on the {2 * window} nearest open weeks. Days below "
        f"{flag_ratio:.0%} of that median (when it is at least {min_expected:g}) are flagged. "
        f"Low estimate: {low}; high estimate: every flagged day, missing the median minus its "
        f"count. {events}Closures the calendar does not know (e.g. snow days) would be read as "
        "missed logging."
    )


def undercount(
    contacts: pd.DataFrame,
    profile: Profile | None = None,
    channels: Iterable[str] = MANUAL_CHANNELS,
    *,
    window: int = 4,
    flag_ratio: float = 0.5,
    low_quantile: float = 0.25,
    min_expected: float = 5.0,
    low_rule: str = "flagged",
    events: pd.DataFrame | None = None,
    style: str = "fy",
    days: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Likely missed hand-logged contacts per fiscal year and channel: a low and a high estimate.

    See :func:`undercount_days` for how days are flagged and what each one misses.

    Args:
        contacts: The core contacts table (all channels: ``period_total`` counts them all).
        profile: Service calendar and fiscal year start (default: the bundled PDX 311 profile).
        channels: Channels logged by hand.
        window: Weeks on each side used for the expected count.
        flag_ratio: A day below this share of its expected count is flagged.
        low_quantile: Quantile of the neighbouring days used as the low estimate's expectation.
        min_expected: Days whose expected count is below this are never flagged.
        low_rule: ``zero_days`` (only days with no contacts feed the low estimate) or
            ``flagged`` (every flagged day does, with the low quantile as expectation).
        events: Optional ``date``, ``end_date``, ``label`` table; low days inside an event are
            excused.
        style: Period labels, ``fy`` or ``ending-year``.
        days: What :func:`undercount_days` returned for the same contacts, profile and settings,
            when the caller already has it (a report shows both); computed here otherwise.

    Returns:
        One row per period and channel: ``period_key``, ``period``, ``channel``, ``counted``
        (the channel's counted contacts), ``open_days``, ``flagged_days``, ``zero_days``,
        ``excused_days``, ``missed_low``, ``missed_high`` (whole contacts), ``missed_low_pct``,
        ``missed_high_pct`` (percent of ``counted``), ``period_total`` (all channels' counted
        contacts) and ``method``. Empty when none of ``channels`` has a contact on an open day
        (e.g. phone data only).
    """
    profile = profile or default_profile()
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    start_month = profile.fiscal_year_start_month
    basis = _basis(start_month)
    columns = [
        "period_key",
        "period",
        "channel",
        "counted",
        "open_days",
        "flagged_days",
        "zero_days",
        "excused_days",
        "missed_low",
        "missed_high",
        "missed_low_pct",
        "missed_high_pct",
        "period_total",
        "method",
    ]
    if contacts.empty:
        return pd.DataFrame(columns=columns)
    if days is None:
        days = undercount_days(
            contacts,
            profile,
            channels,
            window=window,
            flag_ratio=flag_ratio,
            low_quantile=low_quantile,
            min_expected=min_expected,
            low_rule=low_rule,
            events=events,
        )
    if days.empty:
        # No hand-logged contact at all (e.g. phone data only): nothing to estimate, rather
        # than a row of zeros per channel that would read as "no contacts were missed".
        return pd.DataFrame(columns=columns)
    period_keys = assign_periods(contacts["contact_date"], basis, start_month)
    counted = contacts.assign(
        period_key=period_keys.to_numpy(), channel=contacts["channel"].astype("str")
    )
    by_channel = counted.groupby(["period_key", "channel"])["count"].sum()
    totals = counted.groupby("period_key")["count"].sum()
    days = days.assign(
        period_key=assign_periods(days["contact_date"], basis, start_month).to_numpy()
    )
    per = days.groupby(["period_key", "channel"]).agg(
        open_days=("contact_date", "size"),
        flagged_days=("is_flagged", "sum"),
        zero_days=("is_zero", "sum"),
        excused_days=("excused", "sum"),
        missed_low=("missed_low", "sum"),
        missed_high=("missed_high", "sum"),
    )
    method = _method_text(
        channels,
        window,
        flag_ratio,
        low_quantile,
        min_expected,
        low_rule,
        events is not None and not events.empty,
    )
    # A channel with no open day in a period (e.g. before its exports start) has all zeros.
    no_days = pd.Series(0, index=per.columns)
    rows = []
    for key in range(int(period_keys.min()), int(period_keys.max()) + 1):
        for channel in channels:
            n = int(by_channel.get((key, channel), 0))
            stats = per.loc[(key, channel)] if (key, channel) in per.index else no_days
            low = int(round(float(stats["missed_low"])))
            high = int(round(float(stats["missed_high"])))
            rows.append(
                {
                    "period_key": key,
                    "period": period_label(key, basis, start_month, style),
                    "channel": channel,
                    "counted": n,
                    "open_days": int(stats["open_days"]),
                    "flagged_days": int(stats["flagged_days"]),
                    "zero_days": int(stats["zero_days"]),
                    "excused_days": int(stats["excused_days"]),
                    "missed_low": low,
                    "missed_high": high,
                    "missed_low_pct": 100 * low / n if n else math.nan,
                    "missed_high_pct": 100 * high / n if n else math.nan,
                    "period_total": int(totals.get(key, 0)),
                    "method": method,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def undercount_sentence(table: pd.DataFrame, period: str | int | None = None) -> str:
    """The undercount of one period in words: "likely undercounted by X–Y contacts (a–b%)".

    Args:
        table: The output of :func:`undercount`.
        period: A period label (``FY 2023-24``) or key (2024); default the latest period.

    Returns:
        One sentence. Percentages are of all contacts counted in the period (``period_total``).

    Raises:
        ValueError: ``table`` is empty or has no such period.
    """
    if table.empty:
        raise ValueError("the undercount table is empty")
    if period is None:
        key = int(table["period_key"].max())
        rows = table[table["period_key"] == key]
    elif isinstance(period, int | np.integer):
        rows = table[table["period_key"] == int(period)]
    else:
        rows = table[table["period"].astype("str") == str(period)]
    if rows.empty:
        raise ValueError(f"no period {period!r} in the undercount table")
    label = str(rows["period"].iloc[0])
    total = int(rows["period_total"].iloc[0])
    low, high = int(rows["missed_low"].sum()), int(rows["missed_high"].sum())
    flagged = int(rows["flagged_days"].sum())
    words = [c.replace("_", "-") for c in rows["channel"].astype("str").unique()]
    names = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if high == 0:
        return (
            f"{label}: no sign of missed hand-logged contacts ({names}): no open day had zero or "
            "unusually few contacts."
        )
    low_pct = 100 * low / total if total else math.nan
    high_pct = 100 * high / total if total else math.nan
    day_word = "day" if flagged == 1 else "days"
    return (
        f"{label}: likely undercounted by {low:,}–{high:,} contacts "
        f"({low_pct:.1f}–{high_pct:.1f}% of the {total:,} counted); {flagged} open {day_word} "
        f"had zero or unusually few hand-logged {names} contacts."
    )
