"""The sample's calendar: its eras, time zone, open days, months, quarters and fiscal years."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

START_DATE = dt.date(2020, 7, 1)
WEEKENDS_FROM = dt.date(2023, 7, 1)
#: CMS Supervisor reports until June 2023, ``hsplit`` interval dumps from July 2023.
HSPLIT_FROM = dt.date(2023, 7, 1)
#: Local creation dates: the CSV export holds tickets up to this date, NDJSON from INCREMENTAL_FROM.
CSV_UNTIL = dt.date(2023, 9, 30)
INCREMENTAL_FROM = dt.date(2023, 8, 1)
TZ = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


def open_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Days the 311 phone lines are open between ``first`` and ``last`` (inclusive).

    Weekdays only before Saturday 1 July 2023, every day from then; closed on U.S. federal
    holidays (including observed days).
    """
    # Imported here so that importing the generator does not load pandas (calendar needs it).
    from contacts311.calendar import federal_holidays

    closed = federal_holidays(first, last)
    days = []
    day = first
    while day <= last:
        weekend = day.weekday() >= 5
        if day not in closed and (not weekend or day >= WEEKENDS_FROM):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def month_iter(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    """Every (year, month) from ``first``'s month to ``last``'s month, inclusive."""
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def month_end(y: int, m: int) -> dt.date:
    """The last day of month ``m`` of year ``y``."""
    nxt = dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
    return nxt - dt.timedelta(days=1)


def fy_end_year(d: dt.date) -> int:
    """The fiscal year ``d`` falls in, by the calendar year it ends in."""
    # Fiscal years run July to June and are numbered by the calendar year they end in.
    return d.year + (1 if d.month >= 7 else 0)


def fy_label(end_year: int) -> str:
    """``FY 2023-24`` for the fiscal year ending in 2024."""
    return f"FY {end_year - 1}-{end_year % 100:02d}"


def quarter(d: dt.date) -> str:
    """``2023Q3`` for a date in July to September 2023 (the Zendesk files' period)."""
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def dst_change_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Days between ``first`` and ``last`` on which the local clock changes."""
    days = []
    d = first
    while d <= last:
        a = dt.datetime.combine(d, dt.time(0), tzinfo=TZ).utcoffset()
        b = dt.datetime.combine(d, dt.time(23), tzinfo=TZ).utcoffset()
        if a != b:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def local_time(day: dt.date, seconds: int) -> dt.datetime:
    """A local time on ``day``; times skipped by the spring-forward change move one hour on."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    aware = naive.replace(tzinfo=TZ)
    if aware.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) != naive:
        aware = (naive + dt.timedelta(hours=1)).replace(tzinfo=TZ)
    return aware
