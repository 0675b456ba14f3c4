"""Contacts against residents: the population of each period, per 1,000, growth and indexes.

Per-1,000, growth, gap and indexes are left empty for partial periods.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from contacts311.measures._json import json_number
from contacts311.measures.growth import growth_table
from contacts311.measures.totals import comparable_with_previous

__all__ = [
    "population_by_period",
    "population_comparison",
    "population_growth_summary",
    "population_table",
]


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
    comparable = comparable_with_previous(base)
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
            "contact_growth_pct": json_number(r.contact_growth_pct),
            "population_growth_pct": json_number(r.population_growth_pct),
            "growth_gap_pp": json_number(r.growth_gap_pp),
            "contacts_index": json_number(r.contacts_index),
            "population_index": json_number(r.population_index),
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
