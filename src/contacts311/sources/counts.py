"""``counts`` — a pre-aggregated daily or monthly table of contacts for one channel.

For programs without raw exports (a city's summary spreadsheet, an open-data download). A counts
file is read only when a profile names it::

    sources:
      - format: counts
        path: phone_daily.csv
        channel: phone
        date_column: Date
        count_column: Calls
        date_format: "%m/%d/%Y"     # optional
        period: month               # optional: day or month

Dates are ISO ``YYYY-MM-DD`` or ``MM/DD/YYYY`` (daily), or ``YYYY-MM``, ``MM/YYYY``, ``Jan 2024``
(monthly) unless ``date_format`` says otherwise (a format without a day, such as ``%Y-%m``, means
monthly rows). ``period: month`` makes every row a month's total, ``period: day`` every row a
day's; without it a file whose dates are all the first of a month (at midnight) is monthly.
**A monthly row is dated the first day of its month** (``contact_date``) and marked
``is_monthly``, so period totals and fiscal years work unchanged, while day-level measures
(spikes, the undercount, weekday shares, weekly totals) leave it out and say so.

Ledger: rows counted are ``counted``; a row repeating the same date and channel with the same
count (in the same or another file) is a ``duplicate``; rows whose date cell reads ``Total``,
``Totals`` or ``Summary`` are ``excluded``/``summary_row``. The same date and channel with two
different counts is an error naming the file, both lines, the date and both values.

A daily date may have a time of day after it (``12/01/2015 12:00:00 AM``, Socrata's
``2015-12-01T00:00:00.000``, ``2015-12-01 08:15:00``): the date part is the contact date.

An entry with ``count_rows: true`` is a row-level table instead (one row per call or service
request, as city open-data 311 extracts are): see ``contacts311.sources._count_rows``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import (
    SourceResult,
    cell,
    column_positions,
    parse_count,
    read_table,
    refuse_wide_rows,
)
from contacts311.sources._count_rows import (
    DateReader,
    RowSeen,
    read_rows,
    refuse_rows_and_counts,
    row_options,
)

FORMAT = "counts"
KIND = "contacts"
DESCRIPTION = (
    "pre-aggregated daily or monthly counts for one channel, or one row per contact "
    "(count_rows), named in a profile"
)

__all__ = ["DESCRIPTION", "FORMAT", "KIND", "read", "sniff"]

_OPTIONS = {"channel", "date_column", "count_column", "date_format", "period"}
_REQUIRED = ("channel", "date_column", "count_column")
_SUMMARY_CELLS = {"total", "totals", "summary", "grand total"}
_DAILY_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S")
_MONTHLY_FORMATS = ("%Y-%m", "%Y/%m", "%m/%Y", "%b %Y", "%B %Y", "%b-%Y", "%B-%Y")


def sniff(head: str) -> bool:
    """Never: a counts table has no fixed header, so it is read only when a profile names it."""
    return False


def _parse_date(text: str, date_format: str | None) -> tuple[dt.date, bool] | None:
    """The date and whether the row is monthly, or ``None`` when the text is not a date."""
    if date_format:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            return None
        monthly = "%d" not in date_format and "%j" not in date_format
        return parsed.date().replace(day=1) if monthly else parsed.date(), monthly
    stamped = _date_of_timestamp(text) if ":" in text else None  # first: a row-level table
    if stamped is not None:  # has a date-time in every row, and strptime misses are slow
        return stamped, False
    for fmt in _DAILY_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date(), False
        except ValueError:
            continue
    for fmt in _MONTHLY_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().replace(day=1), True
        except ValueError:
            continue
    return None


# A date, then a time of day: `12/01/2015 12:00:00 AM`, `2015-12-01T00:00:00.000` (Socrata's
# floating timestamps), `2015-12-01 08:15`. No offset: a `Z` or `+00:00` time is not a local date.
_TIMESTAMP = re.compile(
    r"(?P<date>[0-9/-]+)(?:T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.\d{1,9})?)?(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?"
)
_TIMESTAMP_DATES = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d")


def _date_of_timestamp(text: str) -> dt.date | None:
    """The date part of a date and time of day (the contact date), or ``None``.

    The time must be a real one (``13:00 PM`` and ``24:00`` are not), so a cell that only looks
    like a timestamp is reported rather than half read.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    hours = range(1, 13) if match["half"] else range(24)
    if hour not in hours or minute > 59 or second > 59:
        return None
    return _calendar_day(match["date"])


@functools.lru_cache(maxsize=4096)
def _calendar_day(text: str) -> dt.date | None:
    """``text`` as a day in one of ``_TIMESTAMP_DATES`` (cached: rows share their days)."""
    for fmt in _TIMESTAMP_DATES:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _date_expected(text: str, date_format: str | None) -> str:
    """What a date cell should have held, for the one-line error."""
    if date_format:
        return date_format
    if re.search(r"\d:\d\d.*(?:Z|[+-]\d\d:?\d\d)$", text.strip()):
        return (
            "a local date and time without a UTC offset (the contact date would depend on the "
            "time zone): export local times, or give date_format"
        )
    return (
        "YYYY-MM-DD, MM/DD/YYYY (either may have a time after it, such as 12:00:00 AM), "
        "YYYY-MM or MM/YYYY"
    )


def _options(file: Any) -> dict[str, Any]:
    opts = dict(getattr(file, "options", {}) or {})
    if "count_rows" in opts:
        rows = row_options(file.name, opts)
        if rows is not None:
            return rows
        del opts["count_rows"]  # count_rows: false is an ordinary counts table
    unknown = sorted(set(opts) - _OPTIONS)
    if unknown:
        raise InputError(
            file.name,
            f"unknown counts option(s) {', '.join(unknown)}; a counts source takes "
            "channel, date_column, count_column and optional date_format and period",
        )
    missing = [k for k in _REQUIRED if not str(opts.get(k) or "").strip()]
    if missing:
        raise InputError(
            file.name,
            f"the profile's counts entry needs {', '.join(missing)} "
            "(e.g. channel: phone, date_column: Date, count_column: Calls)",
        )
    channel = str(opts["channel"]).strip().lower().replace(" ", "_").replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", channel):
        raise InputError(
            file.name, f"channel {opts['channel']!r} must be a name such as phone or email"
        )
    opts["channel"] = channel
    return opts


@dataclass
class _Seen:
    """What the rows counted so far hold, across files.

    Attributes:
        first: ``(channel, monthly?, date)`` -> ``(file, line, count)`` of its first row.
        months: ``(channel, monthly?)`` -> months covered and one file each, to refuse a month
            given both day by day and as a monthly total.
    """

    first: dict[tuple[str, bool, dt.date], tuple[str, int, int]] = field(default_factory=dict)
    months: dict[tuple[str, bool], dict[tuple[int, int], str]] = field(default_factory=dict)


def read(files: list[InputFile], profile: Any) -> SourceResult:
    """Read counts tables named by the profile's ``sources`` entries.

    Args:
        files: :class:`contacts311.inputs.InputFile` items; ``options`` hold the entry's
            ``channel``, ``date_column``, ``count_column`` and optional ``date_format`` and
            ``period`` (``day`` or ``month``), or
            ``count_rows: true`` with the row-level options (``_count_rows.row_options``).
        profile: The profile in force (unused beyond the entries).

    Returns:
        Contacts rows (``source`` = ``counts``; ``contact_id`` only for row-level rows with an
        ``id_column``) and the ledger.

    Raises:
        InputError: A missing option or column, an unreadable date or count, the same date
            and channel with two different counts, or a day given both row by row and as a
            count.
    """
    ledger = LedgerBuilder(FORMAT)
    notes: list[str] = []
    columns: dict[str, list[str]] = {}
    seen = _Seen()
    out_rows: list[dict[str, Any]] = []
    row_seen = RowSeen()
    midnight: dict[str, bool] = {}
    tables: list[tuple[int, _Table]] = []  # their notes wait for each table's grain
    for file in files:
        opts = _options(file)
        if opts.get("count_rows"):
            _read_row_table(file, opts, ledger, row_seen, columns, notes, out_rows)
            continue
        table = _read_count_table(file, opts, ledger, seen, columns, out_rows)
        midnight[file.name] = table.midnight
        tables.append((len(notes), table))
        notes.append("")
    _refuse_mixed_grain(seen.months)
    refuse_rows_and_counts(row_seen.days, seen.first)
    contacts, period_notes = _with_period(_contacts(out_rows), files, midnight)
    for at, table in tables:
        grains = set(contacts.loc[contacts["source_file"] == table.name, "is_monthly"])
        notes[at] = _file_note(table, grains or table.kinds)
    notes.extend(period_notes)
    return SourceResult(contacts=contacts, ledger=ledger, notes=notes, columns=columns)


@dataclass
class _Table:
    """What one daily or monthly counts table held, for its note.

    Attributes:
        name: The file.
        channel: Its channel.
        count_column: The count column's header.
        counted: Rows counted.
        kinds: Whether its dates were months (``True``) or days, as written.
        midnight: Every date had no time of day, or midnight.
    """

    name: str
    channel: str
    count_column: str
    counted: int = 0
    kinds: set[bool] = field(default_factory=set)
    midnight: bool = True


def _read_count_table(
    file: InputFile,
    opts: dict[str, Any],
    ledger: LedgerBuilder,
    seen: _Seen,
    columns: dict[str, list[str]],
    out_rows: list[dict[str, Any]],
) -> _Table:
    """One daily or monthly counts table: each row a date's (or a month's) count."""
    header, rows = read_table(Path(file.path))
    columns[file.name] = header
    positions = column_positions(file.name, header, opts, ("date_column", "count_column"))
    refuse_wide_rows(file.name, Path(file.path), header, rows)
    ledger.read(file.name, len(rows))
    _period(file.name, opts)  # a bad period is reported before any row
    table = _Table(file.name, opts["channel"], header[positions["count_column"]])
    for line, cells in rows:
        row = _count_row(file.name, line, cells, header, positions, opts)
        if row is None:
            ledger.add(file.name, "excluded", "summary_row", 1)
            continue
        day, monthly, count = row
        if table.midnight and not _at_midnight(cell(cells, positions["date_column"])):
            table.midnight = False
        table.kinds.add(monthly)
        if not _first_time(seen, (opts["channel"], monthly, day), file.name, line, count):
            ledger.add(file.name, "duplicate", "same_date_and_value", 1)
            continue
        ledger.add(file.name, "counted", "counted", 1, count)
        table.counted += 1
        out_rows.append(_core_row(day, opts["channel"], count, file.name, monthly))
    return table


def _read_row_table(
    file: InputFile,
    opts: dict[str, Any],
    ledger: LedgerBuilder,
    seen: RowSeen,
    columns: dict[str, list[str]],
    notes: list[str],
    out_rows: list[dict[str, Any]],
) -> None:
    """One ``count_rows: true`` table: each row one contact (see ``_count_rows``)."""
    header, rows, note = read_rows(
        file, opts, ledger, seen, DateReader(_parse_date, _date_expected, frozenset(_SUMMARY_CELLS))
    )
    columns[file.name] = header
    notes.append(note)
    out_rows.extend(rows)


def _count_row(
    name: str,
    line: int,
    cells: list[str],
    header: list[str],
    positions: dict[str, int],
    opts: dict[str, Any],
) -> tuple[dt.date, bool, int] | None:
    """A row's date, whether it is monthly, and its count; ``None`` for a summary row.

    Raises:
        InputError: The date or the count cannot be read.
    """
    date_text = cell(cells, positions["date_column"])
    count_text = cell(cells, positions["count_column"])
    if date_text.strip().lower().rstrip(":") in _SUMMARY_CELLS:
        return None
    parsed = _parse_date(date_text, opts.get("date_format"))
    if parsed is None:
        expected = _date_expected(date_text, opts.get("date_format"))
        raise InputError(
            name,
            f"date {date_text!r} is not a date; expected {expected}",
            line=line,
            column=header[positions["date_column"]],
        )
    count = parse_count(count_text)
    if count is None:
        raise InputError(
            name,
            f"count {count_text!r} is not a whole number >= 0; "
            "expected a count such as 1234 or 1,234",
            line=line,
            column=header[positions["count_column"]],
        )
    day, monthly = parsed
    return day, monthly, count


def _first_time(
    seen: _Seen, key: tuple[str, bool, dt.date], name: str, line: int, count: int
) -> bool:
    """Whether ``key`` is new (then remembered); a repeat with another count is an error."""
    channel, monthly, day = key
    if key in seen.first:
        first_file, first_line, first_count = seen.first[key]
        if first_count != count:
            raise InputError(
                name,
                f"{channel} on {day.isoformat()} has count {count} here but {first_count} in "
                f"{first_file} line {first_line}; the same date and channel must not have two values",
                line=line,
            )
        return False
    seen.first[key] = (name, line, count)
    seen.months.setdefault((channel, monthly), {}).setdefault((day.year, day.month), name)
    return True


def _core_row(day: dt.date, channel: str, count: int, name: str, monthly: bool) -> dict[str, Any]:
    return {
        "contact_date": pd.Timestamp(day),
        "channel": channel,
        "count": count,
        "source": FORMAT,
        "source_file": name,
        "is_monthly": monthly,
    }


def _file_note(table: _Table, kinds: set[bool]) -> str:
    grain = "monthly" if kinds == {True} else "daily" if kinds == {False} else "daily and monthly"
    return (
        f"{table.name}: {table.counted} {grain} {table.channel} counts from column "
        f"{table.count_column!r}"
        + ("; monthly rows are dated the first day of their month." if True in kinds else ".")
    )


def _contacts(out_rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Daily and monthly rows have no id or queue; row-level rows (count_rows) may have both.
    contacts = pd.DataFrame(
        out_rows,
        columns=[
            "contact_date",
            "channel",
            "count",
            "source",
            "source_file",
            "contact_id",
            "queue",
            "is_monthly",
        ],
    )
    contacts["contact_id"] = contacts["contact_id"].astype("string")
    contacts["queue"] = contacts["queue"].astype("string")
    # Row-level rows are single contacts, each on its day.
    contacts["is_monthly"] = contacts["is_monthly"].astype("boolean").fillna(False).astype(bool)
    return contacts


def _refuse_mixed_grain(months: dict[tuple[str, bool], dict[tuple[int, int], str]]) -> None:
    """A month given both day by day and as a monthly total would be counted twice."""
    for (channel, monthly), covered in months.items():
        if monthly:
            continue
        other = months.get((channel, True), {})
        both = sorted(set(covered) & set(other))
        if both:
            year, month = both[0]
            raise InputError(
                covered[both[0]],
                f"{channel} for {year}-{month:02d} has daily rows here and a monthly total in "
                f"{other[both[0]]}; give each month once, daily or monthly",
            )


def _with_period(
    contacts: pd.DataFrame, files: list[InputFile], midnight: dict[str, bool]
) -> tuple[pd.DataFrame, list[str]]:
    """Mark each counts table's rows daily or monthly: ``period`` when given, else its dates.

    ``period: month`` makes every row a month's total (each must be dated the first of its
    month); ``period: day`` makes every row a day's. Without it, a table whose dates are all the
    first of a month at midnight (at least two of them: a spreadsheet of monthly totals saved as
    dates) is monthly, and rows with a month-only date (``2024-01``) are monthly anyway.
    Row-level tables (``count_rows``) are always days.

    Args:
        contacts: The rows read, ``is_monthly`` set from each date's form.
        files: The entries read.
        midnight: File name -> whether every date in it had no time of day or midnight.

    Returns:
        The rows with ``is_monthly`` set, and a note for each table read as monthly from its
        dates.

    Raises:
        InputError: A ``period: month`` row is not dated the first of a month, a ``period:
            day`` row has a month-only date, or a month of a channel has both daily rows and a
            monthly total.
    """
    notes = []
    for file in files:
        opts = getattr(file, "options", {}) or {}
        mine = (contacts["source_file"] == file.name).to_numpy()
        if opts.get("count_rows") or not mine.any():
            continue
        period = _period(file.name, opts)
        monthly = _file_is_monthly(file.name, opts, period, contacts[mine], midnight[file.name])
        if period is None and monthly and not contacts.loc[mine, "is_monthly"].all():
            notes.append(
                f"{file.name}: every date is the first of a month, so each row is read as a "
                "month's total (period: day in the profile reads them as days)."
            )
        contacts.loc[mine, "is_monthly"] = monthly
    _refuse_month_twice(contacts)
    return contacts, notes


def _period(name: str, opts: dict[str, Any]) -> str | None:
    """The entry's ``period`` (``day`` or ``month``), ``None`` when not given."""
    value = opts.get("period")
    if value is None or str(value).strip() == "":
        return None
    period = str(value).strip().lower()
    if period not in ("day", "month"):
        raise InputError(
            name, f"period {value!r} (period in the profile) must be day or month, or left out"
        )
    return period


def _file_is_monthly(
    name: str, opts: dict[str, Any], period: str | None, rows: pd.DataFrame, midnight: bool
) -> bool:
    """Whether one table's rows are months' totals (see :func:`_with_period`)."""
    dates = pd.to_datetime(rows["contact_date"])
    column = str(opts.get("date_column"))
    if period == "month":
        off = dates[dates.dt.day != 1]
        if not off.empty:
            raise InputError(
                name,
                f"date {off.iloc[0].date().isoformat()} is not the first of a month; with "
                "period: month every row is a month's total, dated YYYY-MM or YYYY-MM-01",
                column=column,
            )
        return True
    if period == "day":
        if rows["is_monthly"].any():
            month = dates[rows["is_monthly"].to_numpy(dtype=bool)].iloc[0].strftime("%Y-%m")
            raise InputError(
                name,
                f"date {month} is a month but period is day; give whole dates or period: month",
                column=column,
            )
        return False
    if rows["is_monthly"].all():
        return True
    return bool(midnight and (dates.dt.day == 1).all() and dates.nunique() > 1)


def _refuse_month_twice(contacts: pd.DataFrame) -> None:
    """A channel's month given both as days and as a month's total would be counted twice."""
    if contacts.empty:
        return
    keys = contacts.assign(month=pd.to_datetime(contacts["contact_date"]).dt.to_period("M"))
    grains = keys.groupby(["channel", "month"])["is_monthly"].nunique()
    if (grains > 1).any():
        channel, month = grains[grains > 1].index[0]
        both = keys[(keys["channel"] == channel) & (keys["month"] == month)]
        monthly = both["is_monthly"].to_numpy(dtype=bool)
        raise InputError(
            str(both.loc[~monthly, "source_file"].iloc[0]),
            f"{channel} for {month} has daily rows here and a monthly total in "
            f"{both.loc[monthly, 'source_file'].iloc[0]}; give each month once, daily or monthly",
        )


def _at_midnight(text: str) -> bool:
    """Whether a date cell has no time of day, or midnight (``12:00:00 AM``, ``T00:00:00``)."""
    if ":" not in text:
        return True
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return True  # a date_format with a time: strptime read it, its time is not checked
    hour = int(match["hour"]) % 12 if match["half"] else int(match["hour"])
    if match["half"] and match["half"].lower() == "p":
        return False
    return hour == 0 and int(match["minute"]) == 0 and int(match["second"] or 0) == 0
