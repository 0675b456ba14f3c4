"""The undercount of hand-logged channels: open days with unusually few contacts, and what they miss.

Email and in-person contacts are logged by hand, so a busy day can go unlogged; each open day
is compared with the same weekday of nearby weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from contacts311 import wording
from contacts311.calendar import assign_periods, period_label
from contacts311.models._days import match_events, neighbour_stats
from contacts311.models.series import daily_series, select_channel, year_basis
from contacts311.profile import Profile, default_profile
from contacts311.schema import NeedsDailyData, daily_rows, monthly_mask
from contacts311.service import service_days
from contacts311.wording import undercount_sentence

__all__ = ["MANUAL_CHANNELS", "undercount", "undercount_days", "undercount_sentence"]

#: Channels PDX 311 representatives log by hand (the published "likely an undercount" note).
MANUAL_CHANNELS = ("email", "in_person")
#: Ways to compute the undercount's low estimate (see undercount_days).
_LOW_RULES = ("zero_days", "flagged")

#: Columns of :func:`undercount_days` in order, with their types (also of its empty result).
_DAY_DTYPES = {
    "contact_date": "datetime64[us]",
    "channel": "str",
    "count": "int64",
    "expected": "float64",
    "expected_low": "float64",
    "is_flagged": "bool",
    "is_zero": "bool",
    "excused": "bool",
    "event_label": "str",
    "missed_low": "float64",
    "missed_high": "float64",
}


def undercount_days(
    contacts: pd.DataFrame,
    profile: Profile | None = None,
    channels: Iterable[str] = MANUAL_CHANNELS,
    *,
    window: int = 4,
    flag_ratio: float = 0.5,
    low_quantile: float = 0.25,
    min_expected: float = 5.0,
    low_rule: str = "flagged",
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every open day of the hand-logged channels, with its expected count and any missed contacts.

    A day's expected count is the median of the same weekday on the ``2 * window`` nearest open
    days of that weekday (the day itself left out); ``expected_low`` is the ``low_quantile`` of
    the same days. A day is **flagged** when its count is below ``flag_ratio`` × expected and
    expected is at least ``min_expected`` (below that a quiet day and a missed day look alike).
    ``missed_high`` = expected − count on flagged days. ``missed_low`` depends on ``low_rule``:
    ``flagged`` (default): ``expected_low`` − count on every flagged day (missed logging is
    usually partial, so days with no contacts at all are rare); ``zero_days``: ``expected_low``
    on flagged days with no contacts at all, 0 elsewhere (the most conservative reading).
    A low day inside a known event (``events``: storm, closure) is not flagged but ``excused``:
    fewer walk-ins during an ice storm are not a logging failure.

    Args:
        contacts: The core contacts table.
        profile: Supplies the service calendar (default: the bundled PDX 311 profile).
        channels: Channels logged by hand.
        window: Weeks on each side used for the expected count.
        flag_ratio: A day below this share of its expected count is flagged.
        low_quantile: Quantile of the neighbouring days used as the low estimate's expectation.
        min_expected: Days whose expected count is below this are never flagged.
        low_rule: ``zero_days`` or ``flagged`` (see above).
        events: Optional ``date``, ``end_date``, ``label`` table of known events.

    Returns:
        Columns ``contact_date``, ``channel``, ``count``, ``expected``, ``expected_low``,
        ``is_flagged``, ``is_zero``, ``excused``, ``event_label``, ``missed_low``,
        ``missed_high``. Each channel covers the open days from its own first to its last
        daily contact; months given only as totals (``is_monthly``) are left out, with a
        sentence each in ``attrs["notes"]``.

    Raises:
        NeedsDailyData: Every hand-logged channel in ``contacts`` is only monthly ("The
            undercount needs daily data; email is monthly (12 months, 2023-07 to 2024-06).").
    """
    if low_rule not in _LOW_RULES:
        raise ValueError(f"low_rule must be one of {', '.join(_LOW_RULES)}, got {low_rule!r}")
    profile = profile or default_profile()
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    rules = _Rules(window, flag_ratio, low_quantile, min_expected, low_rule)
    daily, notes = daily_rows(select_channel(contacts, channels), "The undercount needs")
    frames = [
        _channel_days(mine, channel, profile, rules, events)
        for channel in channels
        if not (mine := select_channel(daily, channel)).empty
    ]
    if not frames:
        if notes:
            raise NeedsDailyData(" ".join(notes))
        # Typed, so that callers can filter on ``is_flagged`` and use ``.dt`` on no rows.
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DAY_DTYPES.items()})
    out = pd.concat(frames, ignore_index=True)[list(_DAY_DTYPES)]
    out["channel"] = out["channel"].astype("str")
    out["event_label"] = out["event_label"].astype("str")
    out.attrs["notes"] = notes
    return out


@dataclass(frozen=True)
class _Rules:
    """How days are flagged and what each one misses (see :func:`undercount_days`)."""

    window: int
    flag_ratio: float
    low_quantile: float
    min_expected: float
    low_rule: str


def _channel_days(
    mine: pd.DataFrame,
    channel: str,
    profile: Profile,
    rules: _Rules,
    events: pd.DataFrame | None,
) -> pd.DataFrame:
    """The open days of one channel, from its first to its last contact, flagged and valued."""
    days = daily_series(mine)
    calendar = service_days(days.index[0], days.index[-1], profile.service, channel)
    open_days = pd.DatetimeIndex(calendar.loc[calendar["is_open"], "date"])
    counts = days.reindex(open_days, fill_value=0).to_numpy(dtype="float64")
    expected, expected_low = neighbour_stats(open_days, counts, rules.window, rules.low_quantile)
    valid = np.isfinite(expected) & (expected >= rules.min_expected)
    low = valid & (counts < rules.flag_ratio * np.nan_to_num(expected))
    labels = np.asarray(match_events(pd.Series(open_days), events, False, 0), dtype=object)
    excused = low & (labels != "")
    flagged = low & ~excused
    zero = flagged & (counts == 0)
    if rules.low_rule == "zero_days":
        missed_low = np.where(zero, expected_low, 0.0)
    else:
        missed_low = np.where(flagged, np.maximum(expected_low - counts, 0.0), 0.0)
    return pd.DataFrame(
        {
            "contact_date": open_days,
            "channel": channel,
            "count": counts.astype("int64"),
            "expected": expected,
            "expected_low": expected_low,
            "is_flagged": flagged,
            "is_zero": zero,
            "excused": excused,
            "event_label": labels.astype(str),
            "missed_low": missed_low,
            "missed_high": np.where(flagged, np.maximum(expected - counts, 0.0), 0.0),
        }
    )


def undercount(
    contacts: pd.DataFrame,
    profile: Profile | None = None,
    channels: Iterable[str] = MANUAL_CHANNELS,
    *,
    window: int = 4,
    flag_ratio: float = 0.5,
    low_quantile: float = 0.25,
    min_expected: float = 5.0,
    low_rule: str = "flagged",
    events: pd.DataFrame | None = None,
    style: str = "fy",
    days: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Likely missed hand-logged contacts per fiscal year and channel: a low and a high estimate.

    See :func:`undercount_days` for how days are flagged and what each one misses.

    Args:
        contacts: The core contacts table (all channels: ``period_total`` counts them all).
        profile: Service calendar and fiscal year start (default: the bundled PDX 311 profile).
        channels: Channels logged by hand.
        window: Weeks on each side used for the expected count.
        flag_ratio: A day below this share of its expected count is flagged.
        low_quantile: Quantile of the neighbouring days used as the low estimate's expectation.
        min_expected: Days whose expected count is below this are never flagged.
        low_rule: ``zero_days`` (only days with no contacts feed the low estimate) or
            ``flagged`` (every flagged day does, with the low quantile as expectation).
        events: Optional ``date``, ``end_date``, ``label`` table; low days inside an event are
            excused.
        style: Period labels, ``fy`` or ``ending-year``.
        days: What :func:`undercount_days` returned for the same contacts, profile and settings,
            when the caller already has it (a report shows both); computed here otherwise.

    Returns:
        One row per period and channel: ``period_key``, ``period``, ``channel``, ``counted``
        (the channel's counted contacts), ``open_days``, ``flagged_days``, ``zero_days``,
        ``excused_days``, ``missed_low``, ``missed_high`` (whole contacts), ``missed_low_pct``,
        ``missed_high_pct`` (percent of ``counted``), ``period_total`` (all channels' counted
        contacts) and ``method``. Empty when none of ``channels`` has a contact on an open day
        (e.g. phone data only). A period and channel with monthly totals (``is_monthly``) has no
        row: a month's total hides its days; ``attrs["notes"]`` says which were left out.

    Raises:
        NeedsDailyData: Every hand-logged channel in ``contacts`` is only monthly.
    """
    profile = profile or default_profile()
    channels = (channels,) if isinstance(channels, str) else tuple(channels)
    if contacts.empty:
        return pd.DataFrame(columns=_PERIOD_COLUMNS)
    if days is None:
        days = undercount_days(
            contacts,
            profile,
            channels,
            window=window,
            flag_ratio=flag_ratio,
            low_quantile=low_quantile,
            min_expected=min_expected,
            low_rule=low_rule,
            events=events,
        )
    if days.empty:
        # No hand-logged contact at all (e.g. phone data only): nothing to estimate, rather
        # than a row of zeros per channel that would read as "no contacts were missed".
        return pd.DataFrame(columns=_PERIOD_COLUMNS)
    method = wording.undercount_method(
        channels,
        window,
        flag_ratio,
        low_quantile,
        min_expected,
        low_rule,
        events is not None and not events.empty,
    )
    start_month = profile.fiscal_year_start_month
    keys = assign_periods(contacts["contact_date"], year_basis(start_month), start_month)
    counted = contacts.assign(period_key=keys.to_numpy(), channel=contacts["channel"].astype("str"))
    by_channel = counted.groupby(["period_key", "channel"])["count"].sum()
    totals = counted.groupby("period_key")["count"].sum()
    per = _days_per_period(days, start_month)
    monthly = set(
        counted.loc[monthly_mask(contacts), ["period_key", "channel"]].itertuples(
            index=False, name=None
        )
    )
    rows = [
        _period_row(key, channel, by_channel, totals, per, start_month, style, method)
        for key in range(int(keys.min()), int(keys.max()) + 1)
        for channel in channels
        if (key, channel) not in monthly
    ]
    out = pd.DataFrame(rows, columns=_PERIOD_COLUMNS)
    out.attrs["notes"] = list(days.attrs.get("notes", []))
    return out


#: Columns of :func:`undercount` in order.
_PERIOD_COLUMNS = [
    "period_key",
    "period",
    "channel",
    "counted",
    "open_days",
    "flagged_days",
    "zero_days",
    "excused_days",
    "missed_low",
    "missed_high",
    "missed_low_pct",
    "missed_high_pct",
    "period_total",
    "method",
]


def _days_per_period(days: pd.DataFrame, start_month: int) -> pd.DataFrame:
    """Open, flagged, zero and excused days and the missed contacts, per period and channel."""
    keys = assign_periods(days["contact_date"], year_basis(start_month), start_month)
    return (
        days.assign(period_key=keys.to_numpy())
        .groupby(["period_key", "channel"])
        .agg(
            open_days=("contact_date", "size"),
            flagged_days=("is_flagged", "sum"),
            zero_days=("is_zero", "sum"),
            excused_days=("excused", "sum"),
            missed_low=("missed_low", "sum"),
            missed_high=("missed_high", "sum"),
        )
    )


def _period_row(
    key: int,
    channel: str,
    by_channel: pd.Series,
    totals: pd.Series,
    per: pd.DataFrame,
    start_month: int,
    style: str,
    method: str,
) -> dict[str, Any]:
    """One period and channel of :func:`undercount`.

    ``by_channel`` and ``totals`` are the counted contacts per period and channel and per
    period; ``per`` the day statistics. A channel with no open day in a period (e.g. before its exports start) has all zeros.
    """
    n = int(by_channel.get((key, channel), 0))
    stats = per.loc[(key, channel)] if (key, channel) in per.index else pd.Series(0, per.columns)
    low = int(round(float(stats["missed_low"])))
    high = int(round(float(stats["missed_high"])))
    return {
        "period_key": key,
        "period": period_label(key, year_basis(start_month), start_month, style),
        "channel": channel,
        "counted": n,
        "open_days": int(stats["open_days"]),
        "flagged_days": int(stats["flagged_days"]),
        "zero_days": int(stats["zero_days"]),
        "excused_days": int(stats["excused_days"]),
        "missed_low": low,
        "missed_high": high,
        "missed_low_pct": 100 * low / n if n else math.nan,
        "missed_high_pct": 100 * high / n if n else math.nan,
        "period_total": int(totals.get(key, 0)),
        "method": method,
    }
