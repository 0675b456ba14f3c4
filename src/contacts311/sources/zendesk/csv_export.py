"""The Support "Export as CSV" (and its ``.xlsx`` form): the kept columns as a ticket table.

Only the columns the rules need are converted; names, e-mail addresses, subjects and
descriptions are skipped by the parser or dropped while each row is read.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.profile import TicketRules
from contacts311.sources._base import parse_count, xlsx_rows
from contacts311.sources.zendesk.parsed import Parsed
from contacts311.sources.zendesk.times import parse_local_times

# Internal name -> the CSV column as Zendesk writes it (matched case-insensitively); the
# contact-type column is added per profile.
_CSV_REQUIRED = {
    "ticket_id": "ID",
    "status": "Status",
    "created": "Created at",
    "updated": "Updated at",
}

_CSV_OPTIONAL = {"tags": "Tags", "replies": "Replies", "via": "Via"}

_CSV_EXPECT = {
    "ticket_id": "the ticket number",
    "status": "New, Open, Pending, Hold, Solved or Closed",
    "created": "the creation time, YYYY-MM-DD HH:MM:SS in the account's time zone",
    "updated": "the last update time, YYYY-MM-DD HH:MM:SS in the account's time zone",
    "contact_type": "the Contact Type custom field (e.g. Email, Webform, In-Person)",
}

_MAX_FIELD_CHARS = 2**31 - 1


def parse_xlsx(path: Path, name: str, rules: TicketRules, tz: str) -> Parsed:
    """Parse the first worksheet of a workbook saved from the Support CSV export."""
    rows = xlsx_rows(path)
    nonblank = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not nonblank:
        return Parsed("empty", pd.DataFrame(), [], 0)
    header = [c.strip() for c in rows[nonblank[0]]]
    index = _table_index(header, name, rules)
    data_rows = [(i + 1, rows[i]) for i in nonblank[1:]]
    width = len(header)
    # Only the kept cells are copied; the rest of each row (PII) is dropped here.
    frame = pd.DataFrame(
        {key: [(r + [""] * width)[pos] for _, r in data_rows] for key, pos in index.items()},
        dtype=object,
    )
    lines = np.asarray([n for n, _ in data_rows], dtype="int64")
    return _ticket_table(frame, header, lines, name, tz)


def parse_csv(text: str, name: str, rules: TicketRules, tz: str) -> Parsed:
    """Parse a Support CSV export, converting only the needed columns."""
    header = next((cells for _, cells in _csv_records(text, name) if cells), None)
    if header is None:
        return Parsed("empty", pd.DataFrame(), [], 0)
    index = _table_index(header, name, rules)
    positions = sorted(set(index.values()))
    cells = _arrow_cells(text, header, positions)
    if cells is None:
        cells = _pandas_cells(text, name, header, positions)
    frame = pd.DataFrame({key: cells[pos] for key, pos in index.items()})
    return _ticket_table(frame, header, _CsvLines(text, name), name, tz)


def _arrow_cells(text: str, header: list[str], positions: list[int]) -> dict[int, pd.Series] | None:
    """The cells of the columns at ``positions``, read by Arrow's C++ CSV parser, or ``None``.

    The fast path: Arrow tokenises every record (quoted line ends included) but converts only
    these columns, straight to pandas text, and fails on any record whose width differs from the
    header's (a wider one has shifted cells). ``None`` then, or for a header that spans lines,
    leaves the file to :func:`_pandas_cells`, which says which record is wrong.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    end = text.find("\n")
    try:
        first = next(csv.reader([(text if end < 0 else text[:end]).rstrip("\r")]), None)
    except csv.Error:
        return None
    if first != header:
        return None  # a quoted line end in the header: skipping one line would not skip it
    names = [f"c{i}" for i in range(len(header))]
    wanted = [names[p] for p in positions]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string())
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeEncodeError):
        return None
    frame = table.to_pandas()
    return {p: frame[names[p]] for p in positions}


def _pandas_cells(
    text: str, name: str, header: list[str], positions: list[int]
) -> dict[int, pd.Series]:
    """The cells of the columns at ``positions`` by pandas' C reader; narrower rows padded."""
    try:
        # usecols: the other columns (requester, subject, ...) are skipped by the parser.
        raw = pd.read_csv(
            io.StringIO(text),
            usecols=positions,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise _csv_error(text, name, exc) from None
    # With usecols the C parser silently drops cells beyond the header, so a row shifted by an
    # unquoted comma would be read from the wrong columns: find a wider record, by line.
    width = len(header)
    for line, cells in _csv_records(text, name):
        if len(cells) > width:
            raise _too_wide(name, line, len(cells), width)
    return {pos: raw[col].fillna("") for pos, col in zip(positions, raw.columns, strict=True)}


def _too_wide(name: str, line: int, cells: int, width: int) -> InputError:
    return InputError(
        name,
        f"this row has {cells} cells but the header has {width}; expected one cell per header "
        "column (is a comma in a text field not quoted?)",
        line=line,
    )


def _csv_error(text: str, name: str, exc: Exception) -> InputError:
    """An InputError naming the line of the record the C parser stopped at, when it says."""
    records = list(_csv_records(text, name))
    width = len(records[0][1]) if records else 0
    for line, cells in records[1:]:
        if len(cells) > width:
            return _too_wide(name, line, len(cells), width)
    m = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if m:
        # pandas counts records from 0 (the header); quoted newlines make lines differ.
        record = int(m[1])
        starts = [line for line, _ in records]
        line = starts[record] if record < len(starts) else None
        return InputError(
            name,
            "the file ends inside a quoted field (a truncated export?); expected every opening "
            "quote to be closed",
            line=line,
        )
    return InputError(name, f"not a readable CSV export ({exc}); expected a Zendesk CSV export")


def _csv_records(text: str, name: str):
    """Yield (first line number, cells) of each CSV record (quoted newlines make lines differ)."""
    # Free-text fields (descriptions, comments) can exceed the csv module's 128 KiB default.
    if csv.field_size_limit() < _MAX_FIELD_CHARS:
        csv.field_size_limit(_MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(name, f"not a readable CSV record ({exc})", line=line) from None


class _CsvLines:
    """Line where each data record of a CSV starts; computed only for an error message."""

    def __init__(self, text: str, name: str) -> None:
        self._text = text
        self._name = name
        self._lines: list[int] | None = None

    def __getitem__(self, i: int) -> int:
        if self._lines is None:
            records = [line for line, cells in _csv_records(self._text, self._name) if cells]
            self._lines = records[1:]  # the first record is the header
        return self._lines[i]


def _find_column(header: list[str], wanted: list[str]) -> int | None:
    keys = [h.strip().lower() for h in header]
    for w in wanted:
        if w.lower() in keys:
            return keys.index(w.lower())
    return None


def _table_index(header: list[str], name: str, rules: TicketRules) -> dict[str, int]:
    """Position of each needed column; a missing required one is an error naming it."""
    header = [h.lstrip("\ufeff") for h in header]
    ct = rules.contact_type_field.strip()
    wanted = {k: [n] for k, n in _CSV_REQUIRED.items()}
    wanted["contact_type"] = [f"{ct} [list]", ct]
    index: dict[str, int] = {}
    keys = [h.strip().lower() for h in header]
    for key, names in wanted.items():
        pos = _find_column(header, names)
        if pos is not None and keys.count(keys[pos]) > 1:
            where = [str(i + 1) for i, k in enumerate(keys) if k == keys[pos]]
            raise InputError(
                name,
                f"the header has this column {len(where)} times (positions {', '.join(where)}); "
                "expected each column once",
                line=1,
                column=header[pos].strip(),
            )
        if pos is None:
            shown = " or ".join(repr(n) for n in names)
            raise InputError(
                name,
                f"Zendesk CSV export has no {shown} column; expected {_CSV_EXPECT[key]}",
                line=1,
                column=names[0],
            )
        index[key] = pos
    for key, n in _CSV_OPTIONAL.items():
        pos = _find_column(header, [n])
        if pos is not None:
            index[key] = pos
    return index


def _ticket_table(frame: pd.DataFrame, header: list[str], lines: Any, name: str, tz: str) -> Parsed:
    """Turn the kept CSV/xlsx cells into the ticket table (local times -> UTC)."""
    n = len(frame)
    if n == 0:
        return Parsed("empty", pd.DataFrame(), [h.lstrip("\ufeff") for h in header], 0)
    # Arrow-backed text: strip and lower-case run in C++, not per cell in Python.
    frame = frame.astype("str").apply(lambda s: s.str.strip())
    empty_id = (frame["ticket_id"] == "").to_numpy()
    if empty_id.any():
        pos = int(np.flatnonzero(empty_id)[0])
        raise InputError(
            name, "empty ticket ID; expected the ticket number", line=lines[pos], column="ID"
        )
    created_utc, created_local = parse_local_times(frame["created"], name, "Created at", lines, tz)
    upd = frame["updated"].where(frame["updated"] != "", frame["created"])
    updated_utc, _ = parse_local_times(upd, name, "Updated at", lines, tz)
    tags = _normalise_tags(frame["tags"]) if "tags" in frame else pd.Series("", index=frame.index)
    replies = _replies(frame, lines, name)
    out = pd.DataFrame(
        {
            # Text columns go in as pandas text arrays (no round trip through Python objects).
            "ticket_id": frame["ticket_id"].array,
            "status": frame["status"].str.lower().array,
            "tags": tags.astype("str").array,
            "contact_type": frame["contact_type"].replace("", None).array,
            "replies": replies.to_numpy(dtype="float64"),
            "via": _via(frame),
            "created_utc": created_utc.to_numpy(),
            "updated_utc": updated_utc.to_numpy(),
            "contact_date": created_local.dt.normalize().to_numpy(),
            "row": np.arange(n),
        }
    )
    return Parsed("tickets", out, [h.lstrip("\ufeff") for h in header], n)


def _replies(frame: pd.DataFrame, lines: Any, name: str) -> pd.Series:
    """Each ticket's ``Replies`` as a number, NaN where the cell is empty (no reply).

    Anything else that is not a whole number >= 0 (``abc``, ``-1``) is an error: read as no
    reply, it would quietly turn a handled ticket into a ``not_handled`` one.

    Raises:
        InputError: The first such cell, naming its line.
    """
    if "replies" not in frame:
        return pd.Series(np.nan, index=frame.index)
    cells = frame["replies"]
    # Few distinct values, however many tickets: each is read once.
    numbers = {v: parse_count(v) for v in cells.unique() if v != ""}
    bad = [v for v, n in numbers.items() if n is None]
    if bad:
        pos = int(np.flatnonzero(cells.isin(bad).to_numpy())[0])
        raise InputError(
            name,
            f"replies {cells.iloc[pos]!r} is not a whole number >= 0; expected the number of "
            "replies, such as 0 or 3 (an empty cell is no reply)",
            line=lines[pos],
            column="Replies",
        )
    return cells.map({**numbers, "": np.nan}).astype("float64")


def _via(frame: pd.DataFrame) -> np.ndarray:
    """The ``Via`` column lower-case (``Web Form``, ``Mail``, ...), ``None`` where empty."""
    if "via" not in frame:
        return np.full(len(frame), None, dtype=object)
    via = frame["via"].str.lower()
    return via.where(via != "", None).astype(object).to_numpy()


#: What splits tags in a CSV cell: commas and whitespace as Python's ``\s`` has it (every
#: character for which ``str.isspace`` is true), spelled for Arrow's RE2, whose own ``\s`` is
#: narrower.
_TAG_SEPARATORS = r"[\t\n\v\f\r \x1c-\x1f\x85\p{Z},]+"


def _normalise_tags(tags: pd.Series) -> pd.Series:
    """Lower-case tags separated by single spaces, as the JSON exports' tag lists are joined."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_lower(pa.array(tags, type=pa.string(), from_pandas=True))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _TAG_SEPARATORS, " "))
    return pd.Series(text.to_pandas().array, index=tags.index)
