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

Dates are ISO ``YYYY-MM-DD`` or ``MM/DD/YYYY`` (daily), or ``YYYY-MM``, ``MM/YYYY``, ``Jan 2024``
(monthly) unless ``date_format`` says otherwise (a format without a day, such as ``%Y-%m``, means
monthly rows). **A monthly row is dated the first day of its month** (``contact_date``), so
period totals and fiscal years work unchanged, but day-level measures (spikes, the undercount) do
not apply to it.

Ledger: rows counted are ``counted``; a row repeating the same date and channel with the same
count (in the same or another file) is a ``duplicate``; rows whose date cell reads ``Total``,
``Totals`` or ``Summary`` are ``excluded``/``summary_row``. The same date and channel with two
different counts is an error naming the file, both lines, the date and both values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from contacts311.errors import InputError
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import SourceResult, read_text, xlsx_rows

FORMAT = "counts"
KIND = "contacts"
DESCRIPTION = "pre-aggregated daily or monthly counts for one channel (named in a profile)"

__all__ = [
    "DESCRIPTION",
    "FORMAT",
    "KIND",
    "cell",
    "header_index",
    "header_names",
    "open_table",
    "parse_count",
    "read",
    "read_table",
    "sniff",
]

_OPTIONS = {"channel", "date_column", "count_column", "date_format"}
_REQUIRED = ("channel", "date_column", "count_column")
_SUMMARY_CELLS = {"total", "totals", "summary", "grand total"}
_DAILY_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S")
_MONTHLY_FORMATS = ("%Y-%m", "%Y/%m", "%m/%Y", "%b %Y", "%B %Y", "%b-%Y", "%B-%Y")


def sniff(head: str) -> bool:
    """Never: a counts table has no fixed header, so it is read only when a profile names it."""
    return False


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a small delimited text table or the first worksheet of an ``.xlsx`` workbook.

    Used by the simple table sources (counts, population, forecast, events).

    Args:
        path: The file.

    Returns:
        The header cells (stripped, as written) and the data rows, each with its 1-based line
        (or worksheet row) number. Blank rows are dropped.

    Raises:
        InputError: The file has no header row.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        numbered = list(enumerate(xlsx_rows(path), start=1))
    else:
        text = read_text(path)
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        # Tab- or semicolon-separated exports exist; a comma in the header wins when present.
        delimiter = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        numbered = []
        for row in reader:
            numbered.append((reader.line_num, row))
    rows = [(n, [c.strip() for c in row]) for n, row in numbered if any(c.strip() for c in row)]
    if not rows:
        raise InputError(path, "empty file; expected a header row and data rows", line=1)
    header = rows[0][1]
    return header, rows[1:]


def header_index(header: list[str]) -> dict[str, int]:
    """Column positions keyed by lower-cased, stripped name (first occurrence wins)."""
    out: dict[str, int] = {}
    for i, name in enumerate(header):
        out.setdefault(name.strip().lstrip("\ufeff").strip('"').strip().lower(), i)
    return out


def open_table(
    file, ledger, columns: dict[str, list[str]], required: tuple[str, ...], expected: str
) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Read one reference table, record its header and rows read, and check its columns.

    Args:
        file: The :class:`~contacts311.pipeline.InputFile`.
        ledger: The source's :class:`~contacts311.ledger.LedgerBuilder`.
        columns: ``SourceResult.columns``, filled in for this file.
        required: Column names (lower case) that must be present.
        expected: The layout named in the error, e.g. ``date,end_date,label``.

    Returns:
        The column index and the ``(line, cells)`` rows.

    Raises:
        InputError: A required column is missing (line 1).
    """
    header, rows = read_table(Path(file.path))
    columns[file.name] = header
    ledger.read(file.name, len(rows))
    index = header_index(header)
    for col in required:
        if col not in index:
            raise InputError(file.name, f"no {col!r} column; expected {expected}", line=1)
    return index, rows


def header_names(head: str) -> set[str]:
    """Lower-cased column names of the first non-blank line of ``head``, for sniffing.

    Cells are split on commas, tabs and semicolons alike (a sniff only asks which names occur).
    """
    first = next((ln for ln in head.lstrip("\ufeff").splitlines() if ln.strip()), "")
    return {c.strip().strip('"').strip().lower() for c in re.split(r"[,\t;]", first)}


def cell(cells: list[str], i: int) -> str:
    """The stripped cell at position ``i`` of a row, or ``""`` when the row is shorter."""
    return cells[i].strip() if i < len(cells) else ""


def parse_count(text: str) -> int | None:
    """A non-negative whole number written as ``1234``, ``1,234`` or ``1234.0``; else ``None``."""
    cleaned = text.replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"\d+(\.0*)?", cleaned):
        return None
    return int(float(cleaned)) if "." in cleaned else int(cleaned)


def _parse_date(text: str, date_format: str | None) -> tuple[dt.date, bool] | None:
    """The date and whether the row is monthly, or ``None`` when the text is not a date."""
    if date_format:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            return None
        monthly = "%d" not in date_format and "%j" not in date_format
        return parsed.date().replace(day=1) if monthly else parsed.date(), monthly
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


def _options(file: Any) -> dict[str, Any]:
    opts = dict(getattr(file, "options", {}) or {})
    unknown = sorted(set(opts) - _OPTIONS)
    if unknown:
        raise InputError(
            file.name,
            f"unknown counts option(s) {', '.join(unknown)}; a counts source takes "
            "channel, date_column, count_column and optional date_format",
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


def read(files: list, profile: Any) -> SourceResult:
    """Read counts tables named by the profile's ``sources`` entries.

    Args:
        files: :class:`contacts311.pipeline.InputFile` items; ``options`` hold the entry's
            ``channel``, ``date_column``, ``count_column`` and optional ``date_format``.
        profile: The profile in force (unused beyond the entries).

    Returns:
        Contacts rows (``source`` = ``counts``, no ``contact_id``) and the ledger.

    Raises:
        InputError: A missing option or column, an unreadable date or count, or the same date
            and channel with two different counts.
    """
    ledger = LedgerBuilder(FORMAT)
    notes: list[str] = []
    columns: dict[str, list[str]] = {}
    # (channel, monthly?, date) -> (file, line, count): the first occurrence of each key.
    seen: dict[tuple[str, bool, dt.date], tuple[str, int, int]] = {}
    # (channel, monthly?) -> months covered and one file, to refuse mixing daily and monthly rows.
    months: dict[tuple[str, bool], dict[tuple[int, int], str]] = {}
    out_rows: list[dict[str, Any]] = []
    for file in files:
        opts = _options(file)
        channel = opts["channel"]
        header, rows = read_table(Path(file.path))
        columns[file.name] = header
        index = header_index(header)
        positions = {}
        for key in ("date_column", "count_column"):
            wanted = str(opts[key]).strip().lower()
            if wanted not in index:
                raise InputError(
                    file.name,
                    f"no column {opts[key]!r} ({key} in the profile); the header has: {', '.join(header)}",
                    line=1,
                )
            positions[key] = index[wanted]
        ledger.read(file.name, len(rows))
        kinds: set[bool] = set()
        counted = 0
        for line, cells in rows:
            date_text = cell(cells, positions["date_column"])
            count_text = cell(cells, positions["count_column"])
            if date_text.strip().lower().rstrip(":") in _SUMMARY_CELLS:
                ledger.add(file.name, "excluded", "summary_row", 1)
                continue
            parsed = _parse_date(date_text, opts.get("date_format"))
            if parsed is None:
                expected = opts.get("date_format") or "YYYY-MM-DD, MM/DD/YYYY, YYYY-MM or MM/YYYY"
                raise InputError(
                    file.name,
                    f"date {date_text!r} is not a date; expected {expected}",
                    line=line,
                    column=header[positions["date_column"]],
                )
            day, monthly = parsed
            count = parse_count(count_text)
            if count is None:
                raise InputError(
                    file.name,
                    f"count {count_text!r} is not a whole number >= 0; "
                    "expected a count such as 1234 or 1,234",
                    line=line,
                    column=header[positions["count_column"]],
                )
            kinds.add(monthly)
            key = (channel, monthly, day)
            if key in seen:
                first_file, first_line, first_count = seen[key]
                if first_count != count:
                    raise InputError(
                        file.name,
                        f"{channel} on {day.isoformat()} has count {count} here but {first_count} in "
                        f"{first_file} line {first_line}; the same date and channel must not have two values",
                        line=line,
                    )
                ledger.add(file.name, "duplicate", "same_date_and_value", 1)
                continue
            seen[key] = (file.name, line, count)
            months.setdefault((channel, monthly), {}).setdefault((day.year, day.month), file.name)
            ledger.add(file.name, "counted", "counted", 1, count)
            counted += 1
            out_rows.append(
                {
                    "contact_date": pd.Timestamp(day),
                    "channel": channel,
                    "count": count,
                    "source": FORMAT,
                    "source_file": file.name,
                }
            )
        grain = (
            "monthly" if kinds == {True} else "daily" if kinds == {False} else "daily and monthly"
        )
        notes.append(
            f"{file.name}: {counted} {grain} {channel} counts from column {header[positions['count_column']]!r}"
            + ("; monthly rows are dated the first day of their month." if True in kinds else ".")
        )
    _refuse_mixed_grain(months)
    contacts = pd.DataFrame(
        out_rows, columns=["contact_date", "channel", "count", "source", "source_file"]
    )
    contacts["contact_id"] = pd.Series([None] * len(contacts), dtype="string")
    contacts["queue"] = pd.Series([None] * len(contacts), dtype="string")
    return SourceResult(contacts=contacts, ledger=ledger, notes=notes, columns=columns)


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
