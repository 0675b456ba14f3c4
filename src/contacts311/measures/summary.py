"""The headline figures of a dataset as plain data: the one call behind ``contacts311 summary``.

Missing inputs never fail: without a population or forecast table those fields are ``None``
and the notes say why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from contacts311 import wording
from contacts311.ledger import uncounted_reasons
from contacts311.measures._json import json_number
from contacts311.measures.growth import average_growth, growth_table, partial_period_comparison
from contacts311.measures.plan import plan_alignment, plan_comparison
from contacts311.measures.population import (
    population_comparison,
    population_growth_summary,
    population_table,
)
from contacts311.measures.totals import channels_of, period_totals

__all__ = ["summary"]


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
    totals = period_totals(dataset.contacts, "fiscal", start_month, as_of, style)
    avg = average_growth(totals)
    if totals.empty:
        return {
            "periods": [],
            "average_growth": _rounded_average(avg),
            "population_growth": None,
            "notes": [_no_periods_note(dataset.ledger)],
        }
    comparison, pop_summary, pop_notes = _population_figures(dataset, totals)
    plan, plan_notes = _plan_figures(dataset, totals)
    growth_notes = _growth_notes(dataset.contacts, totals, avg, start_month, as_of, style)
    return {
        "periods": _period_entries(totals, comparison, plan),
        "average_growth": _rounded_average(avg),
        "population_growth": _rounded_population(pop_summary),
        "notes": pop_notes + plan_notes + growth_notes,
    }


def _no_periods_note(ledger: pd.DataFrame) -> str:
    """Why there are no periods: nothing was read, or rows were read and none counted."""
    rows = int(ledger["rows"].sum()) if not ledger.empty else 0
    if not rows:
        return wording.NO_CONTACTS_NOTE
    return wording.nothing_counted_note(rows, uncounted_reasons(ledger))


def _population_figures(
    dataset: Any, totals: pd.DataFrame
) -> tuple[pd.DataFrame | None, dict[str, Any] | None, list[str]]:
    """The population comparison, its summary and the notes on the population used.

    Both figures are ``None`` when the dataset has no population table.
    """
    settings = dataset.profile.population
    table, source_note = population_table(dataset)
    notes = [source_note] if source_note else []
    if table is None:
        return None, None, notes
    comparison = population_comparison(totals, table, settings.year_of_period)
    vintages = sorted({str(v) for v in table["vintage"]})
    notes.append(wording.population_rule_note(settings.year_of_period, settings.area, vintages))
    if len(vintages) > 1:
        notes.append(wording.MIXED_VINTAGES_NOTE)
    missing = comparison.loc[comparison["population"].isna(), "population_year"].tolist()
    if missing:
        notes.append(wording.missing_population_note(missing))
    pop_summary = population_growth_summary(comparison)
    pop_summary["year_of_period"] = settings.year_of_period
    pop_summary["area"] = settings.area
    pop_summary["fips"] = settings.fips
    return comparison, pop_summary, notes


def _plan_figures(dataset: Any, totals: pd.DataFrame) -> tuple[pd.DataFrame | None, list[str]]:
    """The plan comparison (``None`` without a forecast table) and the notes on the plan."""
    forecast = dataset.tables.get("forecast")
    if forecast is None or forecast.empty:
        return None, [wording.NO_FORECAST_NOTE]
    plan = plan_comparison(totals, forecast)
    notes = [plan_alignment(plan, dataset.profile.plan_tolerance_pct)["statement"]]
    labelled = (
        forecast["note"].dropna().astype(str)
        if "note" in forecast.columns
        else pd.Series(dtype=str)
    )
    if labelled.str.contains("illustrative", case=False).any():
        notes.append(wording.ILLUSTRATIVE_FORECAST_NOTE)
    return plan, notes


def _growth_notes(
    contacts: pd.DataFrame,
    totals: pd.DataFrame,
    avg: dict[str, Any],
    start_month: int,
    as_of: dt.date | None,
    style: str,
) -> list[str]:
    """How growth was averaged, that partial periods are not compared, and the period to date."""
    notes = [wording.average_growth_note(avg["complete_periods"])]
    if totals["is_partial"].astype(bool).any():
        notes.append(wording.PARTIAL_PERIODS_NOTE)
    partial = partial_period_comparison(contacts, "fiscal", start_month, as_of, style=style)
    if not partial.empty:
        row = partial[partial["channel"] == "total"].iloc[0]
        notes.append(
            wording.to_date_sentence(
                row["label"],
                row["current"],
                row["previous"],
                row["growth_pct"],
                row["previous_complete"],
            )
        )
    return notes


def _period_entries(
    totals: pd.DataFrame, comparison: pd.DataFrame | None, plan: pd.DataFrame | None
) -> list[dict[str, Any]]:
    """One plain-data entry per period: totals, growth, population and plan figures."""
    channels = channels_of(totals)
    growth = growth_table(totals)
    yoy = growth.loc[growth["channel"] == "total", "yoy_growth_pct"].reset_index(drop=True)
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
        entry["yoy_growth_pct"] = json_number(yoy[i], 2)
        entry["population"] = (
            None
            if comparison is None or pd.isna(comparison.loc[i, "population"])
            else int(comparison.loc[i, "population"])
        )
        entry["contacts_per_1000"] = (
            None if comparison is None else json_number(comparison.loc[i, "contacts_per_1000"], 3)
        )
        entry["forecast"] = (
            None
            if plan is None or pd.isna(plan.loc[i, "forecast"])
            else int(plan.loc[i, "forecast"])
        )
        entry["variance_from_forecast_pct"] = (
            None if plan is None else json_number(plan.loc[i, "variance_pct"], 2)
        )
        periods.append(entry)
    return periods


def _rounded_average(avg: dict[str, Any]) -> dict[str, Any]:
    """The four average growth figures of :func:`average_growth`, rounded to 2 decimals."""
    return {
        "mean_yoy_pct": json_number(avg["mean_yoy_pct"], 2),
        "cagr_pct": json_number(avg["cagr_pct"], 2),
        "loglinear_pct": json_number(avg["loglinear_pct"], 2),
        "loglinear_ci_pct": [json_number(v, 2) for v in avg["loglinear_ci_pct"]],
    }


def _rounded_population(pop_summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The population growth summary with its percentages rounded to 2 decimals."""
    if pop_summary is None:
        return None
    out = {k: json_number(v, 2) if isinstance(v, float) else v for k, v in pop_summary.items()}
    out["per_period"] = [
        {k: json_number(v, 2) if isinstance(v, float) else v for k, v in item.items()}
        for item in pop_summary["per_period"]
    ]
    return out
