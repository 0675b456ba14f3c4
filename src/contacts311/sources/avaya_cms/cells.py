"""Typing the cells of all files at once: summary rows, dates, skills, counts, durations."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.sources.avaya_cms.columns import column, distinct, spread
from contacts311.sources.avaya_cms.intervals import parse_intervals

COUNT_FIELDS = ("acd_calls", "abandoned_calls", "calls_offered")

_TIME_FIELDS = {
    "acd_time": "acd_time_seconds",
    "acw_time": "acw_time_seconds",
    "staffed_time": "staffed_seconds",
    # Total waits, for the patience estimate of Erlang A (staffing).
    "answer_time": "answer_wait_seconds",
    "abandon_time": "abandon_wait_seconds",
}


_SUMMARY_WORDS = {"total", "totals", "summary"}

# What CMS Supervisor prints in a cell where it had no calls (and what a spreadsheet's
# accounting format prints for 0): read as 0, and counted per file for the ledger's notes.
NO_CALLS_DASHES = frozenset({"-", "--", "\u2013", "\u2014"})


def drop_blank_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Drop blank lines (they are not rows); done once for all files."""
    text_cols = [c for c in cells.columns if c not in ("source_file", "line", "file_order", "kind")]
    blank = np.ones(len(cells), dtype=bool)
    for c in text_cols:
        codes, uniques = distinct(cells[c])
        blank &= spread([u == "" for u in uniques], codes, True, bool)
    return cells[~blank].reset_index(drop=True)


def parse_cells(
    cells: pd.DataFrame, headers: dict[str, dict[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split summary rows off and type the data rows of every file in one vectorised pass.

    Returns:
        ``(summary, data)``: the summary rows (``source_file``, ``line``) and the data rows
        with typed columns; ``dash_count_cells`` and ``dash_time_cells`` say how many of a
        row's count and duration cells were a dash (no calls) read as 0.
    """
    summary = np.zeros(len(cells), dtype=bool)
    for c in ("first_cell", "date", "skill", "interval"):
        if c in cells:
            codes, uniques = distinct(cells[c])
            words = [u.lower().rstrip(":") in _SUMMARY_WORDS for u in uniques]
            summary |= spread(words, codes, False, bool)
    d = cells[~summary].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "source_file": d["source_file"].astype("str"),
            "line": d["line"].astype("int64"),
            "file_order": d["file_order"].astype("int64"),
        }
    )

    def fail(bad: np.ndarray, field_name: str, expected: str) -> None:
        _fail_if(bad, d, field_name, headers, expected)

    codes, uniques = distinct(column(d, "date"))
    dates = [parse_date_text(u) for u in uniques]
    fail(
        spread([p is None for p in dates], codes, True, bool),
        "date",
        "expected a date as MM/DD/YYYY, YYYY-MM-DD or M/D/YY",
    )
    out["contact_date"] = spread(dates, codes, None, "datetime64[ns]")

    codes, uniques = distinct(column(d, "skill"))
    fail(
        spread([u == "" for u in uniques], codes, True, bool),
        "skill",
        "expected a split/skill number or name",
    )
    # Leading zeros vary between CMS versions ("0101" vs "101"): numbers are compared as numbers.
    normal = [str(int(u)) if u.isascii() and u.isdigit() else u for u in uniques]
    out["skill_id"] = pd.Series(spread(normal, codes, None), dtype="str")
    codes, uniques = distinct(column(d, "skill_name"))
    out["skill_name"] = pd.Series(spread([u or None for u in uniques], codes, None), dtype="str")
    codes, uniques = distinct(column(d, "acd"))
    out["acd"] = pd.Series(spread(uniques, codes, ""), dtype="str")
    out["dash_count_cells"] = np.zeros(len(d), dtype="int64")
    out["dash_time_cells"] = np.zeros(len(d), dtype="int64")
    for field_name in COUNT_FIELDS:
        out[field_name], dashes = _parse_counts(column(d, field_name), field_name, fail)
        out["dash_count_cells"] += dashes
    for field_name, target in _TIME_FIELDS.items():
        out[target], dashes = _parse_durations(column(d, field_name), field_name, fail)
        out["dash_time_cells"] += dashes
    out["interval_start"], out["interval_minutes"] = parse_intervals(d, fail)
    return cells.loc[summary, ["source_file", "line"]], out


def _fail_if(
    bad: np.ndarray,
    d: pd.DataFrame,
    field_name: str,
    headers: dict[str, dict[str, str]],
    expected: str,
) -> None:
    """Raise an InputError naming file, line, column and value of the first row where ``bad``."""
    if not bad.any():
        return
    row = d.iloc[int(np.argmax(bad))]
    source_file = row["source_file"]
    raise InputError(
        source_file,
        f"{expected}, got {str(row[field_name]).strip()!r}",
        line=int(row["line"]),
        column=headers[source_file].get(field_name, field_name),
    )


def parse_date_text(text: str) -> dt.date | None:
    """A date written ``YYYY-MM-DD`` (optionally at midnight), ``MM/DD/YYYY`` or ``M/D/YY``."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})", text)
        if not m:
            return None
        mo, d, y = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            y += 2000  # M/D/YY: CMS data are from this century
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def _count_value(text: str) -> int | str:
    """A call count, or ``"negative"`` / ``"bad"``; thousands separators and ``.0`` allowed."""
    if text in NO_CALLS_DASHES:
        return 0
    t = text.replace(",", "")
    m = re.fullmatch(r"(-?)(\d+)(?:\.0*)?", t)
    if not m:
        return "bad"
    return "negative" if m[1] and int(m[2]) else int(m[2])


def _dash_cells(codes: np.ndarray, uniques: list[str]) -> np.ndarray:
    """1 where a row's cell is a no-calls dash, else 0."""
    return spread([u in NO_CALLS_DASHES for u in uniques], codes, False, bool).astype("int64")


def _parse_counts(
    values: pd.Series,
    field_name: str,
    fail,  # noqa: ANN001
) -> tuple[pd.Series, np.ndarray]:
    """Typed counts of one field, and which rows held a no-calls dash."""
    codes, uniques = distinct(values)
    parsed = [_count_value(u) for u in uniques]
    negative = "expected a number of calls of 0 or more, not negative"
    fail(spread([p == "negative" for p in parsed], codes, False, bool), field_name, negative)
    fail(
        spread([p == "bad" for p in parsed], codes, False, bool),
        field_name,
        "expected a whole number of calls (0 or more)",
    )
    ints = spread([p if isinstance(p, int) else 0 for p in parsed], codes, 0, "int64")
    return pd.Series(pd.arrays.IntegerArray(ints, codes < 0)), _dash_cells(codes, uniques)


def _duration_value(text: str) -> int | str | None:
    """Seconds from ``1234``, ``mm:ss``, ``h:mm:ss`` or a dash (0); None if empty; else ``"bad"``.

    Two parts are minutes and seconds, with no limit on the minutes (``75:12`` is 4,512 s): CMS
    Supervisor writes short totals and averages that way, and three parts are always h:mm:ss.
    """
    if text in NO_CALLS_DASHES:
        return 0
    t = text.replace(",", "")
    if t == "":
        return None
    m = re.fullmatch(r"(\d+)(?:\.(\d*))?", t)
    if m:
        return round(float(t))
    m = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", t)
    if m:
        return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
    m = re.fullmatch(r"(\d+):([0-5]\d)", t)
    if m:
        return int(m[1]) * 60 + int(m[2])
    return "bad"


def _parse_durations(
    values: pd.Series,
    field_name: str,
    fail,  # noqa: ANN001
) -> tuple[pd.Series, np.ndarray]:
    """Typed durations (seconds) of one field, and which rows held a no-calls dash."""
    codes, uniques = distinct(values)
    parsed = [_duration_value(u) for u in uniques]
    fail(
        spread([p == "bad" for p in parsed], codes, False, bool),
        field_name,
        "expected a duration in seconds, mm:ss or h:mm:ss",
    )
    ints = spread([p if isinstance(p, int) else 0 for p in parsed], codes, 0, "int64")
    absent = spread([not isinstance(p, int) for p in parsed], codes, True, bool)
    return pd.Series(pd.arrays.IntegerArray(ints, absent)), _dash_cells(codes, uniques)
