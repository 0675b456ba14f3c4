"""Measures computed from the core contacts table: period totals per channel."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from contacts311.calendar import assign_periods, periods_table
from contacts311.schema import CHANNEL_ORDER

__all__ = ["channel_columns", "period_totals"]


def channel_columns(channels: pd.Series | list[str]) -> list[str]:
    """Channels in report order: phone, email, webform, in_person, then any other, sorted."""
    present = set(channels)
    return [c for c in CHANNEL_ORDER if c in present] + sorted(present - set(CHANNEL_ORDER))


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
    periods = periods_table(contacts, basis, start_month, as_of, style)
    channels = channel_columns(contacts["channel"].unique()) if not contacts.empty else []
    if contacts.empty:
        return pd.DataFrame(columns=["period", "start", "end", "is_partial", *channels, "total"])
    keyed = contacts.assign(period_key=assign_periods(contacts["contact_date"], basis, start_month))
    wide = keyed.pivot_table(
        index="period_key", columns="channel", values="count", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(index=periods["period_key"], columns=channels, fill_value=0).astype("int64")
    out = periods.set_index("period_key")[["period", "start", "end", "is_partial"]].join(wide)
    out["total"] = out[channels].sum(axis=1).astype("int64")
    out.columns.name = None
    return out.reset_index(drop=True)
