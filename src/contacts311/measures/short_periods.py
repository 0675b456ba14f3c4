"""Months, quarters and ISO weeks: the short periods of ``contacts311 totals --basis``.

Fiscal and calendar years are in :mod:`contacts311.calendar`; these are the periods of the
City's monthly bulletins and of week-by-week checks. Labels:

* ``month``: ``2024-03``;
* ``quarter``: calendar quarters, ``2024-Q1`` (January to March);
* ``week``: ISO 8601 weeks, Monday to Sunday, labelled by ISO year and week number
  (``2024-W05``; 30 December 2024 falls in ``2025-W01``).

A short period is partial (``is_partial``) when the data do not cover it from its first day to
its last: it has not ended by ``as_of``, it ends after the data's last contact date or starts
before their first, or a month it touches has no contacts at all (a missing month of exports,
as for fiscal years). A month's total (``is_monthly``) covers its month to the last day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from contacts311.schema import last_day_covered

__all__ = ["SHORT_BASES", "assign_short_periods", "short_periods_table"]

#: The bases of this module (``fiscal`` and ``calendar`` are :mod:`contacts311.calendar`'s).
SHORT_BASES = ("month", "quarter", "week")

# pandas' period frequencies: weeks ending on Sunday are ISO weeks (Monday to Sunday).
_FREQ = {"month": "M", "quarter": "Q-DEC", "week": "W-SUN"}

_COLUMNS = ["period_key", "period", "start", "end", "is_partial", "months_missing"]


def _check(basis: str) -> str:
    if basis not in SHORT_BASES:
        raise ValueError(f"basis must be one of {', '.join(SHORT_BASES)}, got {basis!r}")
    return _FREQ[basis]


def assign_short_periods(dates: pd.Series, basis: str) -> pd.Series:
    """The period (a :class:`pandas.Period`) each date falls in.

    Args:
        dates: Datetime-like series.
        basis: ``month``, ``quarter`` or ``week``.

    Raises:
        ValueError: Another basis.
    """
    freq = _check(basis)
    return pd.to_datetime(dates).dt.to_period(freq)


def _label(period: pd.Period, basis: str) -> str:
    if basis == "month":
        return f"{period.year}-{period.month:02d}"
    if basis == "quarter":
        return f"{period.year}-Q{period.quarter}"
    year, week, _ = period.start_time.date().isocalendar()
    return f"{year}-W{week:02d}"


def short_periods_table(
    contacts: pd.DataFrame, basis: str, as_of: dt.date | None = None
) -> pd.DataFrame:
    """One row per month, quarter or week from the data's first to its last, gaps included.

    Args:
        contacts: The core contacts table (``contact_date`` is read).
        basis: ``month``, ``quarter`` or ``week``.
        as_of: Periods ending after this date are partial (default: today).

    Returns:
        Columns ``period_key`` (a :class:`pandas.Period`), ``period`` (label), ``start``,
        ``end``, ``is_partial``, ``months_missing`` (months the period touches that have no
        contacts at all), as :func:`contacts311.calendar.periods_table` gives for years.
    """
    freq = _check(basis)
    if contacts.empty:
        return pd.DataFrame(columns=_COLUMNS)
    as_of = as_of or dt.date.today()
    dates = pd.to_datetime(contacts["contact_date"])
    # A month's total covers its month: its last day, not the first it is dated by.
    first, last = dates.min().date(), last_day_covered(contacts).date()
    months_with_data = set(dates.dt.to_period("M").unique())
    rows = []
    for period in pd.period_range(dates.min().to_period(freq), dates.max().to_period(freq)):
        start, end = period.start_time.date(), period.end_time.date()
        months = pd.period_range(start, end, freq="M")
        missing = [str(m) for m in months if m not in months_with_data]
        rows.append(
            {
                "period_key": period,
                "period": _label(period, basis),
                "start": start,
                "end": end,
                # Not covered from its first day to its last: a count to date, not a total.
                "is_partial": bool(end > as_of or end > last or start < first or missing),
                "months_missing": missing,
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)
