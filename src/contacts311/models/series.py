"""Contact series: contacts per month or per day, zero-filled, for the models.

Every model takes plain pandas objects and returns plain pandas objects (or a small dataclass),
so a report's number can be reproduced with one call.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from contacts311.schema import NeedsDailyData, daily_rows, last_day_covered

__all__ = ["MIN_STL_MONTHS", "NeedsDailyData", "daily_series", "monthly_series"]

#: STL (period 12) and seasonal ETS need two full years.
MIN_STL_MONTHS = 24


def select_channel(contacts: pd.DataFrame, channel: str | Iterable[str] | None) -> pd.DataFrame:
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
            projection down). A month's total (``is_monthly``) covers its whole month.

    Returns:
        Integer series named ``count`` on a month-start ``DatetimeIndex`` named ``month``
        (frequency ``MS``); empty when ``contacts`` is empty.
    """
    if contacts.empty:
        return pd.Series(
            [], index=pd.DatetimeIndex([], name="month", freq="MS"), name="count", dtype="int64"
        )
    all_dates = pd.to_datetime(contacts["contact_date"])
    first, last = all_dates.min(), last_day_covered(contacts)
    months = pd.date_range(
        first.to_period("M").to_timestamp(), last.to_period("M").to_timestamp(), freq="MS"
    )
    chosen = select_channel(contacts, channel)
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


def daily_series(
    contacts: pd.DataFrame,
    channel: str | Iterable[str] | None = None,
    *,
    needs: str = "A daily series needs",
) -> pd.Series:
    """Contacts per day, zero-filled from the table's first to its last daily ``contact_date``.

    Only days' counts are used: a month's total (``is_monthly``) is left out rather than read as
    one very busy first of the month.

    Args:
        contacts: The core contacts table.
        channel: One channel, several, or ``None`` for all channels.
        needs: Subject of the sentences about monthly rows (``"Spikes need"``).

    Returns:
        Integer series named ``count`` on a daily ``DatetimeIndex`` named ``contact_date``;
        ``attrs["notes"]`` has a sentence per chosen channel whose monthly rows were left out.

    Raises:
        NeedsDailyData: The chosen channels have rows, but only monthly ones ("Spikes need
            daily data; email is monthly (12 months, 2023-07 to 2024-06).").
    """
    chosen, notes = daily_rows(select_channel(contacts, channel), needs)
    if chosen.empty and notes:
        raise NeedsDailyData(" ".join(notes))
    contacts, _ = daily_rows(contacts, needs)
    if contacts.empty:
        return pd.Series(
            [],
            index=pd.DatetimeIndex([], name="contact_date", freq="D"),
            name="count",
            dtype="int64",
        )
    all_dates = pd.to_datetime(contacts["contact_date"]).dt.normalize()
    days = pd.date_range(all_dates.min(), all_dates.max(), freq="D")
    keys = pd.to_datetime(chosen["contact_date"]).dt.normalize()
    sums = chosen["count"].astype("int64").groupby(keys.to_numpy()).sum()
    series = sums.reindex(days, fill_value=0).astype("int64")
    series.index = pd.DatetimeIndex(series.index, name="contact_date", freq="D")
    series.name = "count"
    series.attrs["notes"] = notes
    return series


def as_monthly(monthly: pd.Series) -> pd.Series:
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


def year_basis(start_month: int) -> str:
    """A year starting in January is a calendar year (labelled ``2024``, not ``FY 2024``)."""
    return "calendar" if start_month == 1 else "fiscal"
