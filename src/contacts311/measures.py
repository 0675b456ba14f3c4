"""Measures computed from the core contacts table.

Period totals per channel; growth (year over year, the three "average growth" figures, the
current period to date against the same span a year earlier); population (per 1,000 residents,
population growth, indexes and the gap); the plan forecast (variance, percent of target, MAPE);
the Clear Impact scorecard and its data-import rows; and :func:`summary`, the one call behind
``contacts311 summary`` and the notebooks.

Partial periods (not yet ended, or with a month of exports missing) are never compared with
complete ones: their growth, index, per-1,000 and variance fields are left empty.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from contacts311.calendar import assign_periods, period_keys, periods_table
from contacts311.schema import order_channels

__all__ = [
    "average_growth",
    "channel_columns",
    "channel_shares",
    "clearimpact_rows",
    "forecast_source",
    "growth_table",
    "headline_figure",
    "loglinear_growth",
    "partial_period_comparison",
    "period_totals",
    "plan_alignment",
    "plan_comparison",
    "population_by_period",
    "population_table",
    "population_comparison",
    "population_growth_summary",
    "scorecard",
    "share_title",
    "summary",
    "to_date_note",
    "trend_title",
]


def channel_columns(channels: pd.Series | list[str]) -> list[str]:
    """Channels in report order: phone, email, webform, in_person, then any other, sorted."""
    return order_channels(channels)


def period_totals(
    contacts: pd.DataFrame,
    basis: str = "fiscal",
    start_month: int = 7,
    as_of: dt.date | None = None,
    style: str = "fy",
) -> pd.DataFrame:
    """Contacts per period and channel, with the total.

    Args:
        contacts: The core contacts table.
        basis: ``fiscal`` or ``calendar``.
        start_month: First month of the fiscal year.
        as_of: Periods ending after this date are partial (default: today).
        style: Period labels, ``fy`` (``FY 2023-24``) or ``ending-year`` (``2024``).

    Returns:
        Columns ``period``, ``start``, ``end``, ``is_partial``, one per channel present, ``total``.
    """
    if contacts.empty:
        return pd.DataFrame(columns=["period", "start", "end", "is_partial", "total"])
    periods = periods_table(contacts, basis, start_month, as_of, style)
    channels = channel_columns(contacts["channel"].unique())
    keyed = contacts.assign(period_key=assign_periods(contacts["contact_date"], basis, start_month))
    wide = keyed.pivot_table(
        index="period_key", columns="channel", values="count", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(index=periods["period_key"], columns=channels, fill_value=0).astype("int64")
    out = periods.set_index("period_key")[["period", "start", "end", "is_partial"]].join(wide)
    out["total"] = out[channels].sum(axis=1).astype("int64")
    out.columns.name = None
    return out.reset_index(drop=True)


#: Columns that are not counts: those of :func:`period_totals` and of
#: :func:`~contacts311.calendar.periods_table`.
_META = ("period_key", "period", "start", "end", "is_partial", "months_missing")


def _count_columns(totals: pd.DataFrame) -> list[str]:
    return [c for c in totals.columns if c not in _META]


def _channels_of(totals: pd.DataFrame) -> list[str]:
    """The channel columns of a :func:`period_totals` table (its counts without ``total``)."""
    return [c for c in _count_columns(totals) if c != "total"]


def _comparable_with_previous(totals: pd.DataFrame) -> np.ndarray:
    """Rows that are complete and follow, without a gap, a complete previous period."""
    partial = totals["is_partial"].astype(bool).reset_index(drop=True)
    starts = pd.to_datetime(totals["start"]).reset_index(drop=True)
    prev_ends = pd.to_datetime(totals["end"]).reset_index(drop=True).shift(1)
    adjacent = starts == prev_ends + pd.Timedelta(days=1)
    prev_partial = partial.shift(1, fill_value=True).astype(bool)
    return (~partial & ~prev_partial & adjacent).to_numpy()


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
    comparable = _comparable_with_previous(base)
    parts = []
    for channel in _count_columns(base):
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
        "methods": {
            "mean_yoy_pct": "mean of the year-over-year growth rates between adjacent complete periods",
            "cagr_pct": "compound annual growth rate from the first to the last complete period",
            "loglinear_pct": "OLS of log(contacts) on year over the complete periods: growth = exp(slope) - 1, 95% CI",
        },
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
    contacts in the period; when every date of the period is the first of a month, the data are
    monthly and the span runs to the end of that month). The previous span is the same days one
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
    in_cur = (dates >= pd.Timestamp(cur["start"])) & (dates <= pd.Timestamp(cur["end"]))
    if through is None:
        cur_dates = dates[in_cur]
        through = cur_dates.max().date()
        if (cur_dates.dt.day == 1).all() and cur_dates.nunique() > 1:
            through = _month_end(through)
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
    channels = channel_columns(contacts["channel"].unique())
    label = (
        f"{cur['period']} to date ({cur['start']:%d %b %Y} - {through:%d %b %Y}) vs the same span "
        f"of {prev['period']} ({prev_start:%d %b %Y} - {prev_through:%d %b %Y})"
    )
    rows = []
    for channel in [*channels, "total"]:
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
                "period": cur["period"],
                "previous_period": prev["period"],
                "start": cur["start"],
                "through": through,
                "previous_start": prev_start,
                "previous_through": prev_through,
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


def population_by_period(
    totals: pd.DataFrame, population: pd.DataFrame, year_of_period: str = "start"
) -> pd.DataFrame:
    """The population estimate used for each period.

    A period's population is the 1 July estimate of the year it starts in (``start``, the
    default: FY 2023-24 uses 1 July 2023, its first day) or ends in (``end``: 1 July 2024).

    Args:
        totals: Output of :func:`period_totals` (``start`` and ``end`` are read).
        population: ``tables["population"]``: ``year, population, vintage, ...``.
        year_of_period: ``start`` or ``end``.

    Returns:
        ``period, population_year, population, vintage`` (population empty when the year is
        not in the table).
    """
    if year_of_period not in ("start", "end"):
        raise ValueError("year_of_period must be 'start' or 'end'")
    years = pd.to_datetime(totals[year_of_period]).dt.year.astype("int64").reset_index(drop=True)
    lookup = population.drop_duplicates("year", keep="last").set_index("year")
    out = pd.DataFrame(
        {"period": totals["period"].reset_index(drop=True), "population_year": years}
    )
    out["population"] = years.map(lookup["population"]).astype("Float64")
    out["vintage"] = years.map(lookup["vintage"]).astype("string")
    return out


def population_comparison(
    totals: pd.DataFrame,
    population: pd.DataFrame,
    year_of_period: str = "start",
    base_period: str | None = None,
) -> pd.DataFrame:
    """Contacts against residents: per 1,000, growth of each, both indexed, and the gap.

    Args:
        totals: Output of :func:`period_totals`.
        population: ``tables["population"]``.
        year_of_period: Which 1 July estimate a period uses (see :func:`population_by_period`).
        base_period: Label of the period indexed to 100 (default: the first complete period
            that has a population figure).

    Returns:
        One row per period: ``period, is_partial, total, population_year, population, vintage,
        contacts_per_1000, contact_growth_pct, population_growth_pct, growth_gap_pp,
        contacts_index, population_index``. The gap is contact growth minus population growth,
        in percentage points. Per-1,000, growth, gap and indexes are empty for partial periods.
    """
    base = totals.reset_index(drop=True)
    pop = population_by_period(base, population, year_of_period)
    out = pd.DataFrame(
        {
            "period": base["period"],
            "is_partial": base["is_partial"].astype(bool),
            "total": base["total"],
        }
    )
    out[["population_year", "population", "vintage"]] = pop[
        ["population_year", "population", "vintage"]
    ]
    people = out["population"].astype("float64")
    complete = ~out["is_partial"]
    out["contacts_per_1000"] = (base["total"] / people * 1000).where(complete)
    growth = growth_table(base)
    out["contact_growth_pct"] = growth.loc[
        growth["channel"] == "total", "yoy_growth_pct"
    ].to_numpy()
    comparable = _comparable_with_previous(base)
    prev_people = people.shift(1)
    out["population_growth_pct"] = ((people / prev_people - 1) * 100).where(comparable)
    out["growth_gap_pp"] = out["contact_growth_pct"] - out["population_growth_pct"]
    candidates = out[complete & people.notna() & (out["total"] > 0)]
    if base_period is not None:
        candidates = candidates[candidates["period"] == base_period]
        if candidates.empty:
            raise ValueError(
                f"base period {base_period!r} is not a complete period with a population figure"
            )
    if candidates.empty:
        out["contacts_index"] = math.nan
        out["population_index"] = math.nan
    else:
        b = candidates.index[0]
        out["contacts_index"] = (out["total"] / out.loc[b, "total"] * 100).where(complete)
        out["population_index"] = (people / people[b] * 100).where(complete)
    return out


def population_growth_summary(comparison: pd.DataFrame) -> dict[str, Any]:
    """Averages of :func:`population_comparison`: the evidence for "exceeding population growth".

    Returns:
        ``base_period``, ``last_period`` (last complete period with both indexes),
        ``mean_contact_growth_pct``, ``mean_population_growth_pct`` and ``mean_gap_pp`` (means
        over the periods where both growth rates exist), ``contacts_index_last``,
        ``population_index_last``, ``vintages`` and ``per_period`` (the per-period growth,
        gap and indexes).
    """
    both = comparison.dropna(subset=["contact_growth_pct", "population_growth_pct"])
    indexed = comparison.dropna(subset=["contacts_index", "population_index"])
    base = indexed[indexed["contacts_index"].round(9) == 100]
    per_period = [
        {
            "period": r.period,
            "population_year": int(r.population_year),
            "contact_growth_pct": _num(r.contact_growth_pct),
            "population_growth_pct": _num(r.population_growth_pct),
            "growth_gap_pp": _num(r.growth_gap_pp),
            "contacts_index": _num(r.contacts_index),
            "population_index": _num(r.population_index),
        }
        for r in comparison.itertuples()
    ]
    return {
        "base_period": str(base["period"].iloc[0]) if len(base) else None,
        "last_period": str(indexed["period"].iloc[-1]) if len(indexed) else None,
        "mean_contact_growth_pct": float(both["contact_growth_pct"].mean()) if len(both) else None,
        "mean_population_growth_pct": float(both["population_growth_pct"].mean())
        if len(both)
        else None,
        "mean_gap_pp": float(both["growth_gap_pp"].mean()) if len(both) else None,
        "contacts_index_last": float(indexed["contacts_index"].iloc[-1]) if len(indexed) else None,
        "population_index_last": float(indexed["population_index"].iloc[-1])
        if len(indexed)
        else None,
        "vintages": sorted({str(v) for v in comparison["vintage"].dropna()}),
        "per_period": per_period,
    }


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
    return "; ".join(notes) if notes else "implementation plan table supplied by the analyst"


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
            "statement": "No complete period has a plan forecast to compare with.",
        }
    mape, worst = float(errors.mean()), float(errors.max())
    aligns = bool(worst <= tolerance_pct)
    statement = (
        f"Over {len(errors)} complete period(s) the actuals were on average {mape:.1f}% from the "
        f"plan (worst {worst:.1f}%); they {'align' if aligns else 'do not align'} closely under a "
        f"tolerance of {tolerance_pct:g}%."
    )
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
    comparable = pd.Series(_comparable_with_previous(base), index=base.index)
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
    channels = _channels_of(base)
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


def _num(value: Any, digits: int | None = None) -> float | None:
    """A JSON-friendly float (``None`` for missing), optionally rounded."""
    if value is None or value is pd.NA:
        return None
    v = float(value)
    if math.isnan(v):
        return None
    return round(v, digits) if digits is not None else v


def population_table(dataset: Any) -> tuple[pd.DataFrame | None, str | None]:
    """The population figures a dataset's measures use, and the note on where they came from.

    Returns:
        ``tables["population"]`` (or ``None``) and ``population_note`` (see
        ``pipeline.fill_population``, which supplies the bundled figures).
    """
    table = dataset.tables.get("population")
    if table is not None and table.empty:
        table = None
    return table, dataset.population_note


def summary(dataset: Any, as_of: dt.date | None = None, style: str = "fy") -> dict[str, Any]:
    """The headline figures of a dataset, as plain data (used by the CLI and the notebooks).

    Periods are fiscal years (``profile.fiscal_year_start_month``). Missing inputs never fail:
    without a population or forecast table those fields are ``None`` and ``notes`` says why.
    Percentages are rounded to 2 decimals, per-1,000 to 3.

    Args:
        dataset: A :class:`contacts311.pipeline.Dataset` (``contacts``, ``tables``,
            ``profile``).
        as_of: Periods ending after this date are partial (default: today).
        style: Period labels, ``fy`` (``FY 2023-24``) or ``ending-year`` (``2024``).

    Returns:
        ``{"periods": [{"period", "start", "end", "is_partial", "total", <channel>...,
        "yoy_growth_pct", "population", "contacts_per_1000", "forecast",
        "variance_from_forecast_pct"}], "average_growth": {"mean_yoy_pct", "cagr_pct",
        "loglinear_pct", "loglinear_ci_pct"}, "population_growth": {...} or None,
        "notes": [...]}``.
    """
    profile = dataset.profile
    start_month = profile.fiscal_year_start_month
    contacts = dataset.contacts
    totals = period_totals(contacts, "fiscal", start_month, as_of, style)
    notes: list[str] = []
    channels = _channels_of(totals)
    if totals.empty:
        notes.append("No contacts were read, so there are no periods.")
        return {
            "periods": [],
            "average_growth": {k: v for k, v in average_growth(totals).items() if k in _AVG_KEYS},
            "population_growth": None,
            "notes": notes,
        }
    growth = growth_table(totals)
    yoy = growth.loc[growth["channel"] == "total", "yoy_growth_pct"].reset_index(drop=True)

    pop_table, pop_note = population_table(dataset)
    comparison = None
    pop_summary = None
    if pop_note:
        notes.append(pop_note)
    if pop_table is not None:
        comparison = population_comparison(totals, pop_table, profile.population.year_of_period)
        missing = comparison.loc[comparison["population"].isna(), "population_year"].tolist()
        when = "starts" if profile.population.year_of_period == "start" else "ends"
        vintages = sorted({str(v) for v in pop_table["vintage"]})
        notes.append(
            f"Population of a fiscal year = the 1 July estimate of the year it {when} in "
            f"(population.year_of_period: {profile.population.year_of_period}); {profile.population.area}; "
            f"{', '.join(vintages)}."
        )
        if len(vintages) > 1:
            notes.append(
                "The population figures mix vintages; growth between years of different vintages "
                "includes the Census Bureau's revision."
            )
        if missing:
            notes.append(
                "No population estimate for "
                + ", ".join(str(y) for y in sorted(set(missing)))
                + ": those periods' population fields are null."
            )
        pop_summary = population_growth_summary(comparison)
        pop_summary["year_of_period"] = profile.population.year_of_period
        pop_summary["area"] = profile.population.area
        pop_summary["fips"] = profile.population.fips

    fc_table = dataset.tables.get("forecast")
    plan = None
    if fc_table is None or fc_table.empty:
        notes.append(
            "Forecast and variance are null: no plan forecast file (fiscal_year,forecast_contacts) was read."
        )
    else:
        plan = plan_comparison(totals, fc_table)
        notes.append(plan_alignment(plan, profile.plan_tolerance_pct)["statement"])
        labelled = (
            fc_table["note"].dropna().astype(str)
            if "note" in fc_table.columns
            else pd.Series(dtype=str)
        )
        if labelled.str.contains("illustrative", case=False).any():
            notes.append("The plan forecast is labelled illustrative in its source file.")

    avg = average_growth(totals)
    notes.append(
        "Average growth over the complete periods ("
        + (", ".join(avg["complete_periods"]) or "none")
        + "): mean of year-over-year rates; compound annual growth rate first to last; "
        "log-linear OLS trend with 95% CI."
    )
    if totals["is_partial"].astype(bool).any():
        notes.append(
            "Partial periods (not ended or with a month missing) are not compared with complete ones."
        )
    partial = partial_period_comparison(contacts, "fiscal", start_month, as_of, style=style)
    if not partial.empty:
        row = partial[partial["channel"] == "total"].iloc[0]
        if not pd.isna(row["growth_pct"]):
            pct = f"{row['growth_pct']:+.1f}%"
        elif not row["previous_complete"]:
            pct = "not comparable (a month of the earlier span has no data)"
        else:
            pct = "not comparable (no contacts in the earlier span)"
        notes.append(f"{row['label']}: {row['current']:,} vs {row['previous']:,} contacts, {pct}.")

    periods = []
    for i, r in totals.reset_index(drop=True).iterrows():
        entry: dict[str, Any] = {
            "period": str(r["period"]),
            "start": pd.Timestamp(r["start"]).date().isoformat(),
            "end": pd.Timestamp(r["end"]).date().isoformat(),
            "is_partial": bool(r["is_partial"]),
            "total": int(r["total"]),
        }
        for c in channels:
            entry[c] = int(r[c])
        entry["yoy_growth_pct"] = _num(yoy[i], 2)
        entry["population"] = (
            None
            if comparison is None or pd.isna(comparison.loc[i, "population"])
            else int(comparison.loc[i, "population"])
        )
        entry["contacts_per_1000"] = (
            None if comparison is None else _num(comparison.loc[i, "contacts_per_1000"], 3)
        )
        entry["forecast"] = (
            None
            if plan is None or pd.isna(plan.loc[i, "forecast"])
            else int(plan.loc[i, "forecast"])
        )
        entry["variance_from_forecast_pct"] = (
            None if plan is None else _num(plan.loc[i, "variance_pct"], 2)
        )
        periods.append(entry)

    average = {
        "mean_yoy_pct": _num(avg["mean_yoy_pct"], 2),
        "cagr_pct": _num(avg["cagr_pct"], 2),
        "loglinear_pct": _num(avg["loglinear_pct"], 2),
        "loglinear_ci_pct": [_num(v, 2) for v in avg["loglinear_ci_pct"]],
    }
    if pop_summary is not None:
        for key, value in list(pop_summary.items()):
            if isinstance(value, float):
                pop_summary[key] = _num(value, 2)
        for item in pop_summary["per_period"]:
            for key, value in item.items():
                if isinstance(value, float):
                    item[key] = _num(value, 2)
    return {
        "periods": periods,
        "average_growth": average,
        "population_growth": pop_summary,
        "notes": notes,
    }


_AVG_KEYS = ("mean_yoy_pct", "cagr_pct", "loglinear_pct", "loglinear_ci_pct")


def channel_shares(totals: pd.DataFrame) -> pd.DataFrame:
    """Each channel's share of the contacts of each period, in percent.

    A shift between channels (say from phone to webform) is hidden by the totals; the shares
    show it. A period with no contacts at all has no shares (empty, never a division by zero).

    Args:
        totals: Output of :func:`period_totals` (a column per channel and ``total``).

    Returns:
        Long table, one row per period and channel (report channel order):
        ``period, is_partial, channel, count, share_pct``.
    """
    cols = ["period", "is_partial", "channel", "count", "share_pct"]
    channels = _channels_of(totals)
    if totals.empty or not channels:
        return pd.DataFrame(columns=cols)
    base = totals.reset_index(drop=True)
    whole = base[channels].sum(axis=1).astype("float64")
    parts = []
    for channel in channel_columns(channels):
        count = base[channel].astype("int64")
        share = (count.astype("float64") / whole * 100).where(whole > 0)
        parts.append(
            pd.DataFrame(
                {
                    "period": base["period"],
                    "is_partial": base["is_partial"].astype(bool),
                    "channel": channel,
                    "count": count,
                    "share_pct": share,
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    # Period order first, then channel order, as a reader scans the table.
    order = {p: i for i, p in enumerate(base["period"])}
    long["_order"] = long["period"].map(order)
    return (
        long.sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)[cols]
    )


def headline_figure(totals: pd.DataFrame) -> dict[str, Any]:
    """The figure a headline reports: the latest complete period, else the latest to date.

    Args:
        totals: Output of :func:`period_totals`.

    Returns:
        ``period`` (label or ``None``), ``total`` (int or ``None``), ``is_partial``,
        ``complete_periods`` (how many complete periods the data holds) and ``statement``: one
        sentence saying what the figure is, also when the data holds no complete period or
        no contacts at all.
    """
    if totals.empty:
        return {
            "period": None,
            "total": None,
            "is_partial": False,
            "complete_periods": 0,
            "statement": "The exports hold no counted contacts, so there is no headline figure.",
        }
    partial = totals["is_partial"].astype(bool)
    complete = totals[~partial]
    if not complete.empty:
        row = complete.iloc[-1]
        statement = f"{row['period']} is the latest complete period in the data."
    else:
        row = totals.iloc[-1]
        statement = (
            f"The data holds no complete period: {row['period']} is partial (it has not ended, "
            "or months of its exports are missing), so its figure is a count to date, not a "
            "full-period total."
        )
    return {
        "period": str(row["period"]),
        "total": int(row["total"]),
        "is_partial": bool(complete.empty),
        "complete_periods": len(complete),
        "statement": statement,
    }


def trend_title(totals: pd.DataFrame, column: str = "total") -> str:
    """A chart title stating the finding across the complete periods, in words.

    Args:
        totals: Output of :func:`period_totals`.
        column: ``total`` or a channel.

    Returns:
        ``Contacts rose from A in P1 to B in P2`` (or ``fell`` / ``held at``) with two or more
        complete periods; with one or none, a sentence saying so instead of a comparison.
    """
    if totals.empty:
        return "No contacts counted in the exports"
    complete = totals[~totals["is_partial"].astype(bool)]
    if complete.empty:
        row = totals.iloc[-1]
        return f"{int(row[column]):,} contacts so far in {row['period']}; no complete period yet"
    last = complete.iloc[-1]
    if len(complete) == 1:
        return f"{int(last[column]):,} contacts in {last['period']}, the only complete period"
    first = complete.iloc[0]
    a, b = int(first[column]), int(last[column])
    if a == b:
        return f"Contacts held at {b:,} from {first['period']} to {last['period']}"
    verb = "rose" if b > a else "fell"
    return f"Contacts {verb} from {a:,} in {first['period']} to {b:,} in {last['period']}"


def to_date_note(totals: pd.DataFrame) -> str:
    """Why there is no "to date" comparison, when :func:`partial_period_comparison` is empty.

    Args:
        totals: Output of :func:`period_totals`.

    Returns:
        One sentence: the latest period is complete, or it is partial with no earlier period
        in the data to compare it with, or the data holds no contacts.
    """
    if totals.empty:
        return "The exports hold no counted contacts."
    last = totals.iloc[-1]
    if not bool(last["is_partial"]):
        return f"The latest period in the data, {last['period']}, is complete."
    return (
        f"{last['period']} is partial and the data holds no earlier period, so there is no "
        "same-span comparison with a year before."
    )


def share_title(shares: pd.DataFrame) -> str:
    """A chart title stating how the main channel's share moved across the complete periods.

    Args:
        shares: Output of :func:`channel_shares`.

    Returns:
        ``Phone's share of contacts went from 85% in P1 to 80% in P2`` (``held at 85%`` when the
        rounded shares are equal); a neutral title with fewer than two complete periods.
    """
    complete = shares[~shares["is_partial"].astype(bool) & shares["share_pct"].notna()]
    periods = list(dict.fromkeys(complete["period"]))
    if complete.empty or len(periods) < 2:
        return "Each channel's share of contacts per fiscal year"
    main = str(complete["channel"].iloc[0])
    name = main.replace("_", " ").capitalize()
    first, last = periods[0], periods[-1]
    pick = complete.set_index(["period", "channel"])["share_pct"]
    a, b = round(float(pick[(first, main)])), round(float(pick[(last, main)]))
    if a == b:
        return f"{name}'s share of contacts held at {b}% from {first} to {last}"
    return f"{name}'s share of contacts went from {a}% in {first} to {b}% in {last}"
