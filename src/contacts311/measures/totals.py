"""Period totals per channel, the channel shares and the headline figure.

Also the helpers the other measures share to read a :func:`period_totals` table: which columns
are counts and which periods can be compared with the one before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from contacts311 import wording
from contacts311.calendar import assign_periods, periods_table
from contacts311.measures.short_periods import (
    SHORT_BASES,
    assign_short_periods,
    short_periods_table,
)
from contacts311.schema import NeedsDailyData, daily_rows, order_channels

__all__ = ["channel_columns", "channel_shares", "headline_figure", "period_totals"]


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

    Every basis gives the same columns, so a JSON or CSV reader needs no case per basis.

    Args:
        contacts: The core contacts table.
        basis: ``fiscal`` or ``calendar`` years, or ``month``, ``quarter`` (calendar quarters)
            or ``week`` (ISO weeks, Monday to Sunday): see
            :mod:`~contacts311.measures.short_periods` for their labels and partial rule.
        start_month: First month of the fiscal year (fiscal years only).
        as_of: Periods ending after this date are partial (default: today).
        style: Year labels, ``fy`` (``FY 2023-24``) or ``ending-year`` (``2024``); months,
            quarters and weeks have one label each (``2024-03``, ``2024-Q1``, ``2024-W05``).

    Returns:
        Columns ``period``, ``start``, ``end``, ``is_partial``, one per channel present, ``total``.
        A month's total (``is_monthly``) counts in its month, quarter and year.

    Raises:
        NeedsDailyData: ``week`` of contacts with months' totals (a month does not split into
            weeks): "Weekly totals need daily data; email is monthly (12 months, ...).".
    """
    if basis == "week":
        _, notes = daily_rows(contacts, "Weekly totals need", left_out=False)
        if notes:
            raise NeedsDailyData(" ".join(notes))
    if contacts.empty:
        return pd.DataFrame(columns=["period", "start", "end", "is_partial", "total"])
    if basis in SHORT_BASES:
        periods = short_periods_table(contacts, basis, as_of)
        keys = assign_short_periods(contacts["contact_date"], basis)
    else:
        periods = periods_table(contacts, basis, start_month, as_of, style)
        keys = assign_periods(contacts["contact_date"], basis, start_month)
    channels = channel_columns(contacts["channel"].unique())
    keyed = contacts.assign(period_key=keys)
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


def count_columns(totals: pd.DataFrame) -> list[str]:
    """The count columns of a :func:`period_totals` table: one per channel, and ``total``."""
    return [c for c in totals.columns if c not in _META]


def channels_of(totals: pd.DataFrame) -> list[str]:
    """The channel columns of a :func:`period_totals` table (its counts without ``total``)."""
    return [c for c in count_columns(totals) if c != "total"]


def comparable_with_previous(totals: pd.DataFrame) -> np.ndarray:
    """Rows that are complete and follow, without a gap, a complete previous period."""
    partial = totals["is_partial"].astype(bool).reset_index(drop=True)
    starts = pd.to_datetime(totals["start"]).reset_index(drop=True)
    prev_ends = pd.to_datetime(totals["end"]).reset_index(drop=True).shift(1)
    adjacent = starts == prev_ends + pd.Timedelta(days=1)
    prev_partial = partial.shift(1, fill_value=True).astype(bool)
    return (~partial & ~prev_partial & adjacent).to_numpy()


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
    channels = channels_of(totals)
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
            "statement": wording.headline_statement(None, False),
        }
    partial = totals["is_partial"].astype(bool)
    complete = totals[~partial]
    row = totals.iloc[-1] if complete.empty else complete.iloc[-1]
    return {
        "period": str(row["period"]),
        "total": int(row["total"]),
        "is_partial": bool(complete.empty),
        "complete_periods": len(complete),
        "statement": wording.headline_statement(str(row["period"]), complete.empty),
    }
