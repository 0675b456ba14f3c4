"""Projection of the next fiscal (or calendar) year's total with an ETS state-space model.

statsmodels loads only inside the functions that fit a model, so ``import contacts311`` stays
light.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from contacts311 import wording
from contacts311.calendar import assign_periods, period_bounds, period_label
from contacts311.models.series import MIN_STL_MONTHS, as_monthly, year_basis

__all__ = ["MIN_PROJECTION_MONTHS", "MIN_TREND_MONTHS", "Projection", "project_next_period"]

#: Fewest months an ETS projection is attempted on.
MIN_PROJECTION_MONTHS = 6
#: Fewer months than this: level-only model (a trend fitted on less than a year chases noise).
MIN_TREND_MONTHS = 12


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
        """The projection in words, for reports (see :func:`contacts311.wording.projection_sentence`)."""
        return wording.projection_sentence(
            self.period, self.mean, self.lower, self.upper, self.level
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


def _next_periods(last_month: pd.Timestamp, start_month: int, horizon_periods: int) -> list[int]:
    basis = year_basis(start_month)
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
    y = _history(monthly)
    basis = year_basis(start_month)
    keys = _next_periods(y.index[-1], start_month, horizon_periods)
    _, last_end = period_bounds(keys[-1], basis, start_month)
    future = pd.date_range(
        y.index[-1] + pd.offsets.MonthBegin(1), pd.Timestamp(last_end), freq="MS"
    )
    spec, res, tried = _select_model(y)
    point, sims = _simulate(res, len(future), simulations, seed)
    future_keys = assign_periods(pd.Series(future), basis, start_month).to_numpy()
    monthly_out = _monthly_table(future, future_keys, point, sims, level)
    rows = _period_rows(y, keys, future_keys, point, sims, level, start_month)
    first = rows[0]
    return Projection(
        period=first["period"],
        period_key=first["period_key"],
        mean=first["mean"],
        lower=first["lower"],
        upper=first["upper"],
        level=level,
        observed=first["observed"],
        observed_months=first["observed_months"],
        model=wording.projection_model_text(
            _ets_name(spec), len(y), y.index[0], y.index[-1], tried, _param_text(res, spec)
        ),
        interval_method=wording.projection_interval_text(level, simulations),
        monthly=monthly_out,
        periods=pd.DataFrame(rows),
        history_months=len(y),
    )


def _history(monthly: pd.Series) -> pd.Series:
    """The months a model is fitted on: from the first with contacts (before, nothing ran)."""
    y = as_monthly(monthly)
    started = np.flatnonzero(y.to_numpy() > 0)
    y = y.iloc[started[0] :] if len(started) else y
    if len(y) < MIN_PROJECTION_MONTHS:
        raise ValueError(
            f"a projection needs at least {MIN_PROJECTION_MONTHS} months of history; got {len(y)}"
        )
    return y


def _select_model(y: pd.Series) -> tuple[dict, Any, int]:
    """The candidate with the lowest AICc, its fit, and how many candidates were tried."""
    candidates = _ets_candidates(len(y), positive=bool((y > 0).all()))
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
    _, spec, res = fitted[0]
    if len(y) >= MIN_STL_MONTHS:
        # Refit the chosen model with its initial states estimated too: slower, but only once,
        # and the heuristic start can leave a seasonal model's level and slope a little off.
        try:
            refit = _fit_ets(y, spec, "estimated")
            if np.isfinite(refit.llf) and refit.llf >= res.llf:
                res = refit
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            pass
    return spec, res, len(candidates)


def _simulate(res: Any, h: int, simulations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts (``h``) and simulated paths (``h`` x ``simulations``), never below 0."""
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
    return np.clip(point, 0.0, None), sims


def _quantiles(level: float) -> tuple[float, float]:
    """The lower and upper quantiles of a central interval of coverage ``level``."""
    return (1 - level) / 2, 1 - (1 - level) / 2


def _monthly_table(
    future: pd.DatetimeIndex,
    future_keys: np.ndarray,
    point: np.ndarray,
    sims: np.ndarray,
    level: float,
) -> pd.DataFrame:
    """One row per forecast month, with its own interval at ``level``."""
    lo_q, hi_q = _quantiles(level)
    return pd.DataFrame(
        {
            "month": future,
            "period_key": future_keys,
            "mean": point,
            "lower": np.quantile(sims, lo_q, axis=1),
            "upper": np.quantile(sims, hi_q, axis=1),
        }
    )


def _period_rows(
    y: pd.Series,
    keys: list[int],
    future_keys: np.ndarray,
    point: np.ndarray,
    sims: np.ndarray,
    level: float,
    start_month: int,
) -> list[dict[str, Any]]:
    """One row per projected period: observed months added as known, the rest simulated.

    The interval of a total is taken from the simulated paths' sums, not from monthly bounds
    (adding those would ignore that a high month is followed by high months).
    """
    basis = year_basis(start_month)
    lo_q, hi_q = _quantiles(level)
    history_keys = assign_periods(pd.Series(y.index), basis, start_month).to_numpy()
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
    return rows


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
