"""Periods: fiscal years (any start month) and calendar years, with partial-period flags."""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = [
    "assign_periods",
    "federal_holidays",
    "period_bounds",
    "period_keys",
    "period_label",
    "periods_table",
]


def period_label(
    end_year: int, basis: str = "fiscal", start_month: int = 7, style: str = "fy"
) -> str:
    """Label of the period ending in ``end_year``.

    Args:
        end_year: The calendar year the period ends in (Clear Impact's label for fiscal years).
        basis: ``fiscal`` or ``calendar``.
        start_month: First month of the fiscal year.
        style: ``fy`` gives ``FY 2023-24``; ``ending-year`` gives ``2024``.

    Examples:
        >>> period_label(2024)
        'FY 2023-24'
        >>> period_label(2024, style="ending-year")
        '2024'
    """
    if basis == "calendar" or style == "ending-year":
        return str(end_year)
    if start_month == 1:
        return f"FY {end_year}"
    return f"FY {end_year - 1}-{end_year % 100:02d}"


def period_bounds(
    end_year: int, basis: str = "fiscal", start_month: int = 7
) -> tuple[dt.date, dt.date]:
    """First and last day of the period ending in ``end_year``."""
    if basis == "calendar" or start_month == 1:
        return dt.date(end_year, 1, 1), dt.date(end_year, 12, 31)
    start = dt.date(end_year - 1, start_month, 1)
    end = dt.date(end_year, start_month, 1) - dt.timedelta(days=1)
    return start, end


def assign_periods(dates: pd.Series, basis: str = "fiscal", start_month: int = 7) -> pd.Series:
    """The ending year of the period each date falls in (FY 2023-24 -> 2024).

    Args:
        dates: Datetime-like series.
        basis: ``fiscal`` or ``calendar``.
        start_month: First month of the fiscal year.
    """
    if basis not in ("fiscal", "calendar"):
        raise ValueError(f"basis must be 'fiscal' or 'calendar', got {basis!r}")
    d = pd.to_datetime(dates)
    years = d.dt.year
    if basis == "calendar" or start_month == 1:
        return years.astype("int64")
    return (years + (d.dt.month >= start_month).astype("int64")).astype("int64")


def period_keys(table: pd.DataFrame) -> pd.Series:
    """The key of each row of a per-period table: the year its period ends in (FY 2023-24 -> 2024).

    Args:
        table: A table with an ``end`` column, such as ``measures.period_totals``'s output.
    """
    return pd.to_datetime(table["end"]).dt.year.astype("int64")


def periods_table(
    contacts: pd.DataFrame,
    basis: str = "fiscal",
    start_month: int = 7,
    as_of: dt.date | None = None,
    style: str = "fy",
) -> pd.DataFrame:
    """One row per period the data touches, with its bounds and whether it is partial.

    A period is partial when it has not ended by ``as_of`` (default: today) or when any of its
    months has no contacts at all in the data (a missing month of exports).

    Returns:
        Columns ``period_key`` (ending year), ``period``, ``start``, ``end``, ``is_partial``,
        ``months_missing``.
    """
    cols = ["period_key", "period", "start", "end", "is_partial", "months_missing"]
    if contacts.empty:
        return pd.DataFrame(columns=cols)
    as_of = as_of or dt.date.today()
    dates = pd.to_datetime(contacts["contact_date"])
    keys = assign_periods(dates, basis, start_month)
    months_with_data = set(dates.dt.to_period("M").unique())
    rows = []
    for key in range(int(keys.min()), int(keys.max()) + 1):
        start, end = period_bounds(key, basis, start_month)
        months = pd.period_range(start, end, freq="M")
        missing = [str(m) for m in months if m not in months_with_data]
        rows.append(
            {
                "period_key": key,
                "period": period_label(key, basis, start_month, style),
                "start": start,
                "end": end,
                "is_partial": bool(end > as_of or missing),
                "months_missing": missing,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def federal_holidays(first: dt.date, last: dt.date) -> set[dt.date]:
    """U.S. federal holidays, observed days included, of every year from ``first`` to ``last``.

    Whole calendar years: callers test membership of any day in their span. Dates or
    Timestamps are accepted (only ``.year`` is read).
    """
    import holidays

    return set(holidays.country_holidays("US", years=range(first.year, last.year + 1)))
