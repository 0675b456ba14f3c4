"""Service calendar: which days the program is open, and contacts per open day and open hour.

The rules come from the profile's ``service`` section (:class:`contacts311.profile.ServiceRules`):
opening hours, the first date of weekend service, a front desk (``in_person``) that is open on
weekdays only, and closure on U.S. federal holidays (the ``holidays`` package; both the holiday
and its observed weekday count as closed).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from contacts311.calendar import assign_periods, federal_holidays, period_bounds, period_label
from contacts311.measures import channel_columns
from contacts311.profile import ServiceRules
from contacts311.schema import last_day_covered

__all__ = ["FRONT_DESK_CHANNEL", "service_days", "service_rates"]

#: The channel served by the walk-in desk (closed on weekends when the rules say so).
FRONT_DESK_CHANNEL = "in_person"

_DateLike = str | dt.date | pd.Timestamp


def service_days(
    start: _DateLike,
    end: _DateLike,
    service_rules: ServiceRules | None = None,
    channel: str | None = None,
) -> pd.DataFrame:
    """One row per day from ``start`` to ``end`` (inclusive): open or not, and for how long.

    Args:
        start: First day.
        end: Last day.
        service_rules: Opening rules (default: the PDX 311 rules, ``ServiceRules()``).
        channel: ``in_person`` applies the front-desk rule (weekdays only when
            ``front_desk_weekdays_only``); any other channel, or ``None``, follows the program's
            calendar.

    Returns:
        Columns ``date`` (datetime64, midnight), ``is_open`` (bool), ``open_hours`` (float, 0 on
        closed days), ``closed_reason`` (``weekend``, ``holiday`` or empty).

    Examples:
        >>> days = service_days("2024-01-01", "2024-01-31")
        >>> int(days["is_open"].sum()), float(days["open_hours"].sum())
        (29, 377.0)
    """
    rules = service_rules or ServiceRules()
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if last < first:
        raise ValueError(f"end {last.date()} is before start {first.date()}")
    dates = pd.date_range(first, last, freq="D")
    weekend = pd.Series(dates.day_of_week >= 5, index=dates)
    weekends_from = pd.Timestamp(rules.weekends_from) if rules.weekends_from else None
    if (channel == FRONT_DESK_CHANNEL and rules.front_desk_weekdays_only) or weekends_from is None:
        weekend_closed = weekend
    else:
        weekend_closed = weekend & (dates < weekends_from)
    if rules.closed_on_federal_holidays:
        fed = federal_holidays(first, last)
        holiday = pd.Series([d.date() in fed for d in dates], index=dates)
    else:
        holiday = pd.Series(False, index=dates)
    is_open = ~(weekend_closed | holiday)
    # A holiday on a closed weekend is reported as "weekend": that is why the day was closed anyway.
    reason = pd.Series("", index=dates, dtype="str")
    reason[holiday] = "holiday"
    reason[weekend_closed] = "weekend"
    hours = float(rules.close_hour - rules.open_hour)
    return pd.DataFrame(
        {
            "date": dates,
            "is_open": is_open.to_numpy(),
            "open_hours": is_open.to_numpy() * hours,
            "closed_reason": reason.to_numpy(),
        }
    )


def service_rates(
    contacts: pd.DataFrame,
    service_rules: ServiceRules | None = None,
    *,
    basis: str = "fiscal",
    start_month: int = 7,
    style: str = "fy",
) -> pd.DataFrame:
    """Contacts per open day and per open hour, per period and channel, plus an all-channel total.

    Only the days the data covers count (from the first to the last ``contact_date`` in
    ``contacts``), so a partial period is compared with its own open days. Each channel uses its
    own calendar (the front desk's is weekdays only); the ``total`` row uses the program's.
    Contacts received on closed days (e.g. webforms on a holiday) stay in the numerator: the rate
    says how many contacts the program handled per day it was open. A month's total
    (``is_monthly``) covers its whole month, so it is divided by all that month's open days: the
    rate of a period is its contacts over its open days, which a month's total gives exactly.

    Args:
        contacts: The core contacts table (``contact_date``, ``channel``, ``count``).
        service_rules: Opening rules (default ``ServiceRules()``).
        basis: ``fiscal`` or ``calendar``.
        start_month: First month of the fiscal year.
        style: Period labels, ``fy`` or ``ending-year``.

    Returns:
        Columns ``period_key``, ``period``, ``channel`` (channels in report order, then
        ``total``), ``first_date``, ``last_date``, ``count``, ``open_days``, ``open_hours``,
        ``contacts_per_open_day``, ``contacts_per_open_hour`` (NaN when nothing was open).
    """
    cols = [
        "period_key",
        "period",
        "channel",
        "first_date",
        "last_date",
        "count",
        "open_days",
        "open_hours",
        "contacts_per_open_day",
        "contacts_per_open_hour",
    ]
    if contacts.empty:
        return pd.DataFrame(columns=cols)
    rules = service_rules or ServiceRules()
    dates = pd.to_datetime(contacts["contact_date"]).dt.normalize()
    first, last = dates.min(), last_day_covered(contacts)
    keyed = pd.DataFrame(
        {
            "period_key": assign_periods(dates, basis, start_month).to_numpy(),
            "channel": contacts["channel"].astype("str").to_numpy(),
            "count": contacts["count"].astype("int64").to_numpy(),
        }
    )
    counts = keyed.groupby(["period_key", "channel"])["count"].sum()
    period_counts = keyed.groupby("period_key")["count"].sum()
    channels = channel_columns(keyed["channel"].unique())
    calendars = {c: service_days(first, last, rules, c) for c in [*channels, None]}
    for cal in calendars.values():
        cal["period_key"] = assign_periods(cal["date"], basis, start_month).to_numpy()
    rows = []
    for key in range(int(keyed["period_key"].min()), int(keyed["period_key"].max()) + 1):
        p_start, p_end = period_bounds(key, basis, start_month)
        label = period_label(key, basis, start_month, style)
        for channel in [*channels, None]:
            cal = calendars[channel]
            in_period = cal[cal["period_key"] == key]
            if channel is None:
                n = int(period_counts.get(key, 0))
            else:
                n = int(counts.get((key, channel), 0))
            open_days = int(in_period["is_open"].sum())
            open_hours = float(in_period["open_hours"].sum())
            rows.append(
                {
                    "period_key": key,
                    "period": label,
                    "channel": channel or "total",
                    "first_date": max(pd.Timestamp(p_start), first),
                    "last_date": min(pd.Timestamp(p_end), last),
                    "count": n,
                    "open_days": open_days,
                    "open_hours": open_hours,
                    "contacts_per_open_day": n / open_days if open_days else float("nan"),
                    "contacts_per_open_hour": n / open_hours if open_hours else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=cols)
