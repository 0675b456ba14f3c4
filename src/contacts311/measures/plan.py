"""The plan forecast (variance, percent of target, MAPE) and the Clear Impact scorecard.

Forecasts are matched by the period's ending year; variance and percent of target are left
empty for partial periods (a year to date is not a year).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from contacts311 import wording
from contacts311.calendar import period_keys
from contacts311.measures.totals import channels_of, comparable_with_previous

__all__ = [
    "clearimpact_rows",
    "forecast_source",
    "plan_alignment",
    "plan_comparison",
    "scorecard",
]


def _forecast_for(forecast: pd.DataFrame, channel: str) -> pd.Series:
    """Forecast by period key for ``channel`` (``total`` = rows without a channel)."""
    if "channel" in forecast.columns:
        ch = (
            forecast["channel"]
            .fillna("total")
            .astype(str)
            .str.strip()
            .str.lower()
            .replace("", "total")
        )
        forecast = forecast[ch == channel]
    return forecast.groupby("period_key")["forecast_contacts"].sum().astype("float64")


def forecast_source(forecast: pd.DataFrame | None) -> str:
    """How a report credits the plan forecast: the table's own notes, else the default wording.

    A sample or draft forecast carries a note such as "illustrative: not the City's plan
    figures"; every chart and table built on it must say so.
    """
    notes = []
    if forecast is not None and "note" in forecast:
        notes = sorted({str(n).strip() for n in forecast["note"].dropna() if str(n).strip()})
    return "; ".join(notes) if notes else wording.DEFAULT_FORECAST_SOURCE


def plan_comparison(
    totals: pd.DataFrame, forecast: pd.DataFrame, channel: str = "total"
) -> pd.DataFrame:
    """Actual contacts against the plan forecast per period.

    Forecasts are matched by the period's ending year (FY 2023-24 -> 2024). Variance and
    percent of target are left empty for partial periods (a year to date is not a year).

    Args:
        totals: Output of :func:`period_totals`.
        forecast: ``tables["forecast"]``: ``period_key, forecast_contacts[, channel]``.
        channel: ``total`` or a channel with its own forecast rows.

    Returns:
        ``period, is_partial, actual, forecast, variance_pct, percent_of_target,
        abs_pct_error``, where variance = (A - T) / T x 100 and percent of target = A / T x 100.
    """
    base = totals.reset_index(drop=True)
    target = period_keys(base).map(_forecast_for(forecast, channel)).astype("float64")
    complete = ~base["is_partial"].astype(bool)
    actual = base[channel].astype("float64")
    valid = complete & (target > 0)
    variance = ((actual - target) / target * 100).where(valid)
    return pd.DataFrame(
        {
            "period": base["period"],
            "is_partial": base["is_partial"].astype(bool),
            "actual": base[channel].astype("int64"),
            "forecast": target,
            "variance_pct": variance,
            "percent_of_target": (actual / target * 100).where(valid),
            "abs_pct_error": variance.abs(),
        }
    )


def plan_alignment(comparison: pd.DataFrame, tolerance_pct: float) -> dict[str, Any]:
    """Mean absolute percentage error and whether the actuals "align closely" with the plan.

    Actuals align closely when every complete period with a forecast is within
    ``tolerance_pct`` percent of it (``profile.plan_tolerance_pct``).

    Returns:
        ``periods_compared``, ``mape_pct``, ``max_abs_pct_error``, ``tolerance_pct``,
        ``aligns_closely`` (``None`` when no period has both) and ``statement``.
    """
    errors = comparison["abs_pct_error"].dropna()
    if errors.empty:
        return {
            "periods_compared": 0,
            "mape_pct": None,
            "max_abs_pct_error": None,
            "tolerance_pct": float(tolerance_pct),
            "aligns_closely": None,
            "statement": wording.plan_alignment_statement(0, None, None, None, tolerance_pct),
        }
    mape, worst = float(errors.mean()), float(errors.max())
    aligns = bool(worst <= tolerance_pct)
    statement = wording.plan_alignment_statement(len(errors), mape, worst, aligns, tolerance_pct)
    return {
        "periods_compared": len(errors),
        "mape_pct": mape,
        "max_abs_pct_error": worst,
        "tolerance_pct": float(tolerance_pct),
        "aligns_closely": aligns,
        "statement": statement,
    }


def scorecard(
    totals: pd.DataFrame,
    forecast: pd.DataFrame | None = None,
    column: str = "total",
    include_partial: bool = False,
) -> pd.DataFrame:
    """A Clear Impact style scorecard, one row per period.

    Prior Actual is the previous period's value (empty when that period is partial or
    missing); Variance from Target is (A - T) / T x 100;
    Baseline % Change is (A - first) / first x 100 against the first complete period shown;
    Current Trend is the direction of the latest change (``up``, ``down``, ``flat``) and Trend
    Periods how many consecutive periods it has lasted.

    Args:
        totals: Output of :func:`period_totals`.
        forecast: ``tables["forecast"]`` (targets), or ``None``.
        column: ``total`` or a channel.
        include_partial: Also list partial periods (labelled ``(to date)``, with no variance,
            baseline change or trend).

    Returns:
        Columns ``Time Period, Prior Actual, Current Actual, Current Target, Variance from
        Target, Percent of Target, Baseline % Change, Current Trend, Trend Periods``.
    """
    cols = [
        "Time Period", "Prior Actual", "Current Actual", "Current Target", "Variance from Target",
        "Percent of Target", "Baseline % Change", "Current Trend", "Trend Periods",
    ]  # fmt: skip
    base = totals.reset_index(drop=True)
    if base.empty:
        return pd.DataFrame(columns=cols)
    partial = base["is_partial"].astype(bool)
    actual = base[column].astype("int64")
    if forecast is not None and not forecast.empty:
        plan = plan_comparison(base, forecast, column)
        target, variance, pct = plan["forecast"], plan["variance_pct"], plan["percent_of_target"]
    else:
        target = variance = pct = pd.Series(math.nan, index=base.index)
    # Prior actual and trend only across adjacent complete periods (computed before any
    # partial rows are dropped, so a missing year is never skipped over silently).
    comparable = pd.Series(comparable_with_previous(base), index=base.index)
    prior = actual.shift(1).astype("Int64").where(comparable)
    complete_idx = [i for i in base.index if not partial[i]]
    baseline = float(actual[complete_idx[0]]) if complete_idx else math.nan
    directions: list[str | None] = [None] * len(base)
    runs: list[int | None] = [None] * len(base)
    for i in base.index:
        if not comparable[i]:
            continue
        diff = actual[i] - actual[i - 1]
        d = "up" if diff > 0 else "down" if diff < 0 else "flat"
        directions[i] = d
        runs[i] = (runs[i - 1] + 1) if directions[i - 1] == d and runs[i - 1] else 1
    out = pd.DataFrame(
        {
            "Time Period": [
                f"{p} (to date)" if partial[i] else str(p) for i, p in enumerate(base["period"])
            ],
            "Prior Actual": prior,
            "Current Actual": actual,
            "Current Target": target.astype("Float64"),
            "Variance from Target": variance.astype("Float64"),
            "Percent of Target": pct.astype("Float64"),
            "Baseline % Change": ((actual - baseline) / baseline * 100)
            .where(~partial)
            .astype("Float64"),
            "Current Trend": pd.Series(directions, dtype="string"),
            "Trend Periods": pd.Series(runs, dtype="Int64"),
        }
    )
    if not include_partial:
        out = out[~partial.to_numpy()].reset_index(drop=True)
    return out[cols]


def _neutral(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with a single quote."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def clearimpact_rows(
    totals: pd.DataFrame,
    measure_id: str | int,
    forecast: pd.DataFrame | None = None,
    comment: str | None = None,
    column: str = "total",
) -> pd.DataFrame:
    """Rows of the Clear Impact data-import CSV, one per complete period.

    ``actual_value_date`` is the period's last day (any date inside the period is accepted) as
    ``MM/DD/YYYY``; values are plain whole numbers; the comment (default: the counts per
    channel) is cut at 255 characters and cannot start a spreadsheet formula. Partial periods
    are left out because an import overwrites the value already in Clear Impact.

    Args:
        totals: Output of :func:`period_totals`.
        measure_id: The number at the end of the measure's Clear Impact URL.
        forecast: ``tables["forecast"]``, for ``target_value``; ``None`` leaves it blank.
        comment: A fixed comment for every row, instead of the per-channel counts.
        column: ``total`` or a channel.

    Returns:
        Columns ``id, actual_value_date, target_value, actual_value, comment`` (all text).
    """
    cols = ["id", "actual_value_date", "target_value", "actual_value", "comment"]
    measure = str(measure_id).strip()
    if not measure.isdigit():
        raise ValueError(
            f"measure id must be the number at the end of the measure's URL, got {measure_id!r}"
        )
    base = totals[~totals["is_partial"].astype(bool)].reset_index(drop=True)
    if base.empty:
        return pd.DataFrame(columns=cols)
    targets = (
        period_keys(base).map(_forecast_for(forecast, column))
        if forecast is not None and not forecast.empty
        else pd.Series(math.nan, index=base.index)
    )
    channels = channels_of(base)
    rows = []
    for i, r in base.iterrows():
        text = comment
        if text is None:
            parts = "; ".join(f"{c} {int(r[c]):,}" for c in channels)  # commas are in the numbers
            text = f"{r['period']} ({r['start']:%m/%d/%Y}-{r['end']:%m/%d/%Y}): {parts}. Counted with contacts311."
        text = _neutral(" ".join(str(text).split()))[:255]
        target = targets[i]
        rows.append(
            {
                "id": measure,
                "actual_value_date": f"{pd.Timestamp(r['end']):%m/%d/%Y}",
                "target_value": "" if pd.isna(target) else str(int(round(float(target)))),
                "actual_value": str(int(r[column])),
                "comment": text,
            }
        )
    return pd.DataFrame(rows, columns=cols)
