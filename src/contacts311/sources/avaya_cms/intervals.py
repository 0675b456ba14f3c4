"""Interval rows: the start and length of each row's interval (daily rows have none)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from contacts311.errors import warn_input
from contacts311.sources.avaya_cms.columns import column, distinct, spread

_DEFAULT_INTERVAL_MINUTES = 30

# One clock time: ``7:00``, ``0700``, ``7:00:00`` (Excel writes seconds when it saved a time
# cell), with an optional ``AM``/``a.m.``/``A`` after it.
_CLOCK = r"(\d{1,2}):?(\d{2})(?::00)?\s*(?:([ap])\.?m?\.?)?"
# Start and end are joined by a hyphen or by the en or em dash a spreadsheet may put there.
_INTERVAL_RE = re.compile(rf"^{_CLOCK}(?:\s*[-\u2013\u2014]\s*{_CLOCK})?$", re.IGNORECASE)


def _clock_minutes(hour: str, minute: str, meridiem: str | None) -> int | None:
    h, m = int(hour), int(minute)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem.lower() == "p" else 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 60 + m


def _start_minutes(
    hour: str, minute: str, meridiem: str | None, end: int, end_meridiem: str | None
) -> int | None:
    """The start of an interval whose AM/PM may be written only after its end (``7:00-7:30 PM``).

    Such a start takes the AM/PM that makes the interval shortest: ``1:00-1:30 PM`` starts at
    1:00 PM, ``11:30-12:00 PM`` at 11:30 AM.
    """
    if meridiem or not end_meridiem or not 1 <= int(hour) <= 12:
        return _clock_minutes(hour, minute, meridiem)
    candidates = [_clock_minutes(hour, minute, m) for m in ("a", "p")]
    if None in candidates:
        return None
    return min(candidates, key=lambda s: (end - s) % 1440 or 1440)


def _parse_interval_text(text: str) -> tuple[int, int | None] | None:
    """(Start minute, length) of an interval cell; the length is None when only a start is written.

    Read: ``7:00 AM-7:30 AM``, ``7:00AM-7:30AM``, ``7:00-7:30 PM``, ``07:00-07:30``, ``7:00 AM``,
    ``07:00``, ``0700`` and ``7:00:00 AM``.
    """
    m = _INTERVAL_RE.fullmatch(text)
    if not m:
        return None
    if m[4] is None:
        start = _clock_minutes(m[1], m[2], m[3])
        return None if start is None or start >= 1440 else (start, None)
    end = _clock_minutes(m[4], m[5], m[6])
    if end is None:
        return None
    start = _start_minutes(m[1], m[2], m[3], end, m[6])
    if start is None or start >= 1440:
        return None
    if end <= start:  # the last interval of the day ends at midnight ("12:00 AM" or "00:00")
        end += 1440
    return start, end - start


def _hhmm_minutes(text: str) -> int | None:
    """Minutes after midnight from an hsplit ``starttime`` (HHMM as an integer, e.g. ``700``)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        return None
    hhmm = int(text)
    minutes = hhmm // 100 * 60 + hhmm % 100
    return minutes if hhmm % 100 < 60 and minutes < 1440 else None


def parse_intervals(d: pd.DataFrame, fail) -> tuple[pd.Series, pd.Series]:  # noqa: ANN001
    """Interval start (minutes after midnight) and length of each row; NA for daily rows.

    hsplit: ``intrvl`` 1440 (or no ``starttime``) is a daily row, else ``starttime`` is HHMM.
    Supervisor: an empty interval cell (or no interval column) is a daily row.
    """
    n = len(d)
    hsplit = d["kind"].eq("hsplit").to_numpy(dtype=bool)
    codes, uniques = distinct(column(d, "interval"))
    given = spread([u != "" for u in uniques], codes, False, bool)
    start = np.full(n, -1, dtype="int64")
    minutes = np.full(n, -1, dtype="int64")  # -1: daily row, or length still to infer

    lcodes, luniques = distinct(column(d, "intrvl"))
    lengths = [
        int(u) if u.isascii() and u.isdigit() and 1 <= int(u) <= 1440 else None for u in luniques
    ]
    has_len = hsplit & (lcodes >= 0)
    fail(
        has_len & spread([v is None for v in lengths], lcodes, False, bool),
        "intrvl",
        "expected the interval length in minutes (15, 30, 60 or 1440)",
    )
    length = spread([v or 0 for v in lengths], lcodes, 0, "int64")
    daily_len = has_len & (length == 1440)
    fail(
        has_len & ~daily_len & ~given,
        "interval",
        "expected the interval start (starttime) of an interval row",
    )
    hs_rows = hsplit & given & ~daily_len
    hhmm = [_hhmm_minutes(u) for u in uniques]
    fail(
        hs_rows & spread([v is None for v in hhmm], codes, False, bool),
        "interval",
        "expected the interval start as HHMM (e.g. 700 or 1330)",
    )
    hs_start = spread([-1 if v is None else v for v in hhmm], codes, -1, "int64")
    start[hs_rows] = hs_start[hs_rows]
    minutes[hs_rows & has_len] = length[hs_rows & has_len]

    sup_rows = ~hsplit & given
    if sup_rows.any():
        parsed = [_parse_interval_text(u) for u in uniques]
        fail(
            sup_rows & spread([p is None for p in parsed], codes, False, bool),
            "interval",
            "expected an interval such as '7:00 AM-7:30 AM', '7:00 AM', '07:00-07:30' or '0700'",
        )
        sup_start = spread([-1 if p is None else p[0] for p in parsed], codes, -1, "int64")
        sup_len = spread(
            [-1 if p is None or p[1] is None else p[1] for p in parsed], codes, -1, "int64"
        )
        start[sup_rows] = sup_start[sup_rows]
        minutes[sup_rows] = sup_len[sup_rows]

    # Exports that give only interval starts: the length is the smallest gap in that file.
    unknown = (start >= 0) & (minutes < 0)
    if unknown.any():
        files = d["source_file"].to_numpy(dtype=object)
        for source_file in pd.unique(files[unknown]):
            in_file = files == source_file
            minutes[unknown & in_file] = _infer_minutes(start[in_file & (start >= 0)], source_file)
    daily = start < 0
    return (
        pd.Series(pd.arrays.IntegerArray(start, daily)),
        pd.Series(pd.arrays.IntegerArray(minutes, daily)),
    )


def _infer_minutes(starts: np.ndarray, name: str) -> int:
    """Interval length when the export gives only starts: the smallest gap between starts."""
    gaps = np.diff(np.unique(starts))
    if len(gaps):
        return int(gaps.min())
    warn_input(
        name,
        f"interval length unknown (one interval start only); assumed {_DEFAULT_INTERVAL_MINUTES} minutes",
    )
    return _DEFAULT_INTERVAL_MINUTES
