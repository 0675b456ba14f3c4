"""Zendesk tickets: the Support "Export as CSV" and the incremental export (JSON or NDJSON).

All files are read together: tickets (CSV and/or JSON), ticket events and users. One copy of
each ticket survives (latest ``updated_at``), then the rules in ``profile.tickets`` decide whether
it counts. Only the columns the rules need are kept; names, e-mail addresses, phone numbers,
subjects, descriptions and comments are dropped while each row is parsed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError, warn_input
from contacts311.ledger import LedgerBuilder
from contacts311.profile import Profile, TicketRules
from contacts311.sources._base import SourceResult, read_text, xlsx_rows

if TYPE_CHECKING:  # the pipeline imports the sources, so only for type checkers
    from contacts311.pipeline import InputFile

FORMAT = "zendesk"
KIND = "contacts"
DESCRIPTION = (
    "Zendesk tickets (email, webform, in-person): Support 'Export as CSV', or incremental-export "
    "JSON/NDJSON of tickets, ticket events and users"
)

__all__ = ["DESCRIPTION", "FORMAT", "KIND", "read", "sniff"]

_PAGE_KEYS = ("tickets", "ticket_events", "users")
_CSV_SNIFF = {"id", "status", "created at", "updated at"}
# Internal name -> the CSV column as Zendesk writes it (matched case-insensitively); the
# contact-type column is added per profile.
_CSV_REQUIRED = {
    "ticket_id": "ID",
    "status": "Status",
    "created": "Created at",
    "updated": "Updated at",
}
_CSV_OPTIONAL = {"tags": "Tags", "replies": "Replies"}
_CSV_EXPECT = {
    "ticket_id": "the ticket number",
    "status": "New, Open, Pending, Hold, Solved or Closed",
    "created": "the creation time, YYYY-MM-DD HH:MM:SS in the account's time zone",
    "updated": "the last update time, YYYY-MM-DD HH:MM:SS in the account's time zone",
    "contact_type": "the Contact Type custom field (e.g. Email, Webform, In-Person)",
}
_LOCAL_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
)
_LOCAL_FORMATS_TEXT = (
    "YYYY-MM-DD HH:MM:SS (or with T, without seconds, or with a UTC offset)"
    " or MM/DD/YYYY HH:MM[:SS] [AM/PM]"
)
_UTC_FORMATS_TEXT = "ISO-8601 UTC, e.g. 2024-03-11T16:15:02Z"
_HANDLED_STATUSES = ("solved", "closed")
_MAX_FIELD_CHARS = 2**31 - 1
_REP_ROLES = ("agent", "admin")


def sniff(head: str) -> bool:
    """Recognise a Zendesk export by its first lines.

    Args:
        head: The first lines of a file (decoded text).

    Returns:
        True for a Support CSV export header (``ID``, ``Status``, ``Created at``, ``Updated at``)
        and for incremental-export JSON/NDJSON of tickets, ticket events or users.
    """
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        return False
    if text[0] in "{[":
        if re.match(r"\{\s*\"(tickets|ticket_events|users)\"\s*:\s*\[", text):
            return True
        first = text.split("\n", 1)[0].strip()
        if first.startswith("["):
            first = first[1:].lstrip()
        try:
            obj, _ = json.JSONDecoder().raw_decode(first)
        except ValueError:
            # A first record longer than the sniffed head is cut off: look at its keys instead.
            keys = dict.fromkeys(re.findall(r'"(\w+)"\s*:', first), True)
            return "\n" not in text and _record_kind(keys) is not None
        if not isinstance(obj, dict):
            return False
        if any(isinstance(obj.get(k), list) for k in _PAGE_KEYS):
            return True
        return _record_kind(obj) is not None
    first_line = text.split("\n", 1)[0]
    try:
        header = next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        return False
    return {h.strip().lower() for h in header} >= _CSV_SNIFF


def _record_kind(obj: dict[str, Any]) -> str | None:
    """Which incremental-export table a JSON object belongs to (``None`` if none)."""
    if "ticket_id" in obj and "updater_id" in obj:
        return "ticket_events"
    if "id" in obj and "role" in obj:
        return "users"
    if (
        "id" in obj
        and "created_at" in obj
        and ("status" in obj or "custom_fields" in obj or "via" in obj)
    ):
        return "tickets"
    return None


@dataclass
class _Parsed:
    """One file after parsing: which table it holds and the kept fields only."""

    kind: str  # "tickets", "ticket_events", "users" or "empty"
    frame: pd.DataFrame
    columns: list[str]
    rows: int


def read(files: list[InputFile], profile: Profile) -> SourceResult:
    """Read Zendesk exports and count the tickets handled by 311.

    Args:
        files: Input files (``.path``; ``.name`` becomes ``source_file``); every ticket, event
            and user file of the run, read together.
        profile: The profile; ``profile.tickets`` holds the rules and ``profile.timezone`` the
            account's time zone (CSV times are local, JSON times UTC).

    Returns:
        One core row per counted ticket, the ledger (every ticket copy in exactly one bucket;
        events and users ``excluded``/``supporting_record``), notes on the rules used, and each
        file's columns.

    Raises:
        InputError: A missing required column, an unparseable timestamp or a bad JSON line.
    """
    rules = profile.tickets
    lookup = _contact_type_lookup(rules)
    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    tickets, events, users = [], [], []
    ordered = sorted(files, key=lambda f: f.name)
    for order, f in enumerate(ordered):
        parsed = _parse_file(Path(f.path), f.name, rules, lookup, profile.timezone)
        columns[f.name] = parsed.columns
        ledger.read(f.name, parsed.rows)
        if parsed.kind == "tickets":
            frame = parsed.frame.assign(source_file=f.name, file_order=order)
            tickets.append(frame)
        elif parsed.kind in ("ticket_events", "users"):
            ledger.add(f.name, "excluded", "supporting_record", parsed.rows)
            (events if parsed.kind == "ticket_events" else users).append(parsed.frame)

    notes: list[str] = []
    if not tickets:
        return SourceResult(contacts=_empty_core(), ledger=ledger, notes=notes, columns=columns)
    all_tickets = pd.concat(tickets, ignore_index=True)
    ev = pd.concat(events, ignore_index=True) if events else None
    us = pd.concat(users, ignore_index=True) if users else None
    decided = _apply_rules(all_tickets, ev, us, rules, lookup)
    ledger.add_frame(decided[["source_file", "bucket", "reason"]])

    counted = decided[decided["bucket"] == "counted"]
    contacts = pd.DataFrame(
        {
            "contact_date": counted["contact_date"].astype("datetime64[ns]"),
            "channel": counted["channel"].astype("string"),
            "count": np.ones(len(counted), dtype="int64"),
            "source": pd.Series(FORMAT, index=counted.index, dtype="string"),
            "source_file": counted["source_file"].astype("string"),
            "contact_id": counted["ticket_id"].astype("string"),
            "queue": counted["contact_type"].astype("string"),
        }
    ).reset_index(drop=True)
    notes.extend(_notes(decided, ev, us, rules))
    return SourceResult(contacts=contacts, ledger=ledger, notes=notes, columns=columns)


def _empty_core() -> pd.DataFrame:
    from contacts311.schema import empty_contacts

    return empty_contacts()


# --------------------------------------------------------------------------- contact types


def _norm_text(value: str) -> str:
    """Case- and punctuation-insensitive contact type, without a ``contact_type_`` tag prefix."""
    v = value.strip().lower()
    if v.startswith("contact_type_"):
        v = v[len("contact_type_") :]
    return re.sub(r"[\W_]+", "", v)


def _contact_type_lookup(rules: TicketRules) -> dict[str, str]:
    """Normalised Contact Type value -> channel (the first channel listing a value wins)."""
    lookup: dict[str, str] = {}
    for channel, values in rules.channels.items():
        for v in values:
            lookup.setdefault(_norm_text(str(v)), channel)
    return lookup


# --------------------------------------------------------------------------- parsing


def _parse_file(
    path: Path, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> _Parsed:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = xlsx_rows(path)
        nonblank = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
        if not nonblank:
            return _Parsed("empty", pd.DataFrame(), [], 0)
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
    text = read_text(path)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        return _parse_json(text, name, rules, lookup, tz)
    return _parse_csv(text.lstrip("\ufeff"), name, rules, tz)


def _parse_csv(text: str, name: str, rules: TicketRules, tz: str) -> _Parsed:
    """Parse a Support CSV export, converting only the needed columns."""
    header = next((cells for _, cells in _csv_records(text, name) if cells), None)
    if header is None:
        return _Parsed("empty", pd.DataFrame(), [], 0)
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


def _ticket_table(
    frame: pd.DataFrame, header: list[str], lines: Any, name: str, tz: str
) -> _Parsed:
    """Turn the kept CSV/xlsx cells into the ticket table (local times -> UTC)."""
    n = len(frame)
    if n == 0:
        return _Parsed("empty", pd.DataFrame(), [h.lstrip("\ufeff") for h in header], 0)
    # Arrow-backed text: strip and lower-case run in C++, not per cell in Python.
    frame = frame.astype("str").apply(lambda s: s.str.strip())
    empty_id = (frame["ticket_id"] == "").to_numpy()
    if empty_id.any():
        pos = int(np.flatnonzero(empty_id)[0])
        raise InputError(
            name, "empty ticket ID; expected the ticket number", line=lines[pos], column="ID"
        )
    created_utc, created_local = _parse_local_times(frame["created"], name, "Created at", lines, tz)
    upd = frame["updated"].where(frame["updated"] != "", frame["created"])
    updated_utc, _ = _parse_local_times(upd, name, "Updated at", lines, tz)
    tags = _normalise_tags(frame["tags"]) if "tags" in frame else pd.Series("", index=frame.index)
    replies = (
        pd.to_numeric(frame["replies"].replace("", np.nan), errors="coerce")
        if "replies" in frame
        else pd.Series(np.nan, index=frame.index)
    )
    out = pd.DataFrame(
        {
            # Text columns go in as pandas text arrays (no round trip through Python objects).
            "ticket_id": frame["ticket_id"].array,
            "status": frame["status"].str.lower().array,
            "tags": tags.astype("str").array,
            "contact_type": frame["contact_type"].replace("", None).array,
            "replies": replies.to_numpy(dtype="float64"),
            "created_utc": created_utc.to_numpy(),
            "updated_utc": updated_utc.to_numpy(),
            "contact_date": created_local.dt.normalize().to_numpy(),
            "row": np.arange(n),
        }
    )
    return _Parsed("tickets", out, [h.lstrip("\ufeff") for h in header], n)


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


def _parse_local_times(
    values: pd.Series, name: str, column: str, lines: Any, tz: str
) -> tuple[pd.Series, pd.Series]:
    """Parse account-local times; return (UTC, local) as naive datetimes.

    A local time in the spring-forward gap (02:30 on the day clocks jump to 03:00) is shifted
    forward to the first valid instant (03:00); an ambiguous fall-back time (01:30 twice) takes
    the first occurrence (daylight time), because the export gives no way to tell them apart.
    """
    values = values.reset_index(drop=True).astype("str")
    if len(values) == 0:
        empty = pd.Series(pd.DatetimeIndex([], dtype="datetime64[ns]"))
        return empty, empty
    has_offset = values.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).astype(bool)
    if has_offset.any():
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        naive = pd.to_datetime(values.where(~has_offset), format="ISO8601", errors="coerce")
    else:  # the usual Zendesk CSV: every time naive, parse once
        naive = _arrow_times(values, None)
        if naive is None:
            naive = pd.to_datetime(values, format="ISO8601", errors="coerce")
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    for fmt in _LOCAL_FORMATS:
        missing = naive.isna() & ~has_offset
        if not missing.any():
            break
        naive = naive.fillna(pd.to_datetime(values.where(missing), format=fmt, errors="coerce"))
    bad = (naive.isna() & ~has_offset) | (parsed.isna() & has_offset)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            name,
            f"cannot read time {values.iloc[pos]!r}; expected {_LOCAL_FORMATS_TEXT}"
            f" (account time zone {tz})",
            line=int(lines[pos]),
            column=column,
        )
    utc = naive.dt.tz_localize(
        tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    utc = utc.where(~has_offset, parsed)
    local = utc.dt.tz_convert(tz).dt.tz_localize(None)
    # Keep the written local wall-clock time (not the shifted one) for the contact date.
    local = naive.where(~has_offset, local)
    return utc.dt.tz_localize(None).astype("datetime64[ns]"), local.astype("datetime64[ns]")


def _parse_json(
    text: str, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> _Parsed:
    """Parse NDJSON (one object per line) or one JSON document (an API page or an array)."""
    text = text.lstrip("\ufeff")
    all_lines = _LazyLines(text)
    first_line = next((ln for ln in _first_lines(text) if ln.strip()), "")
    try:
        first = json.loads(first_line)
    except ValueError:
        first = None
    cols: Any
    if not isinstance(first, dict):
        # Not one object per line: a pretty-printed page or a JSON array.
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                name,
                f"not valid JSON ({exc.msg}); expected NDJSON or a JSON document",
                line=exc.lineno,
            ) from None
        kind, recs = _document_records(document, name)
        lines: Any = _NoLines()
        n = len(recs)
        keys = sorted(set(itertools.chain.from_iterable(recs)))
        cols = _DictColumns(recs)
    else:
        page = next((k for k in _PAGE_KEYS if isinstance(first.get(k), list)), None)
        kind = page or _record_kind(first)
        table = _arrow_table(text, kind) if page is None and kind is not None else None
        if table is not None:
            # Fast path: Arrow parsed only the needed keys; everything else was skipped unread.
            n = table.num_rows
            lines = all_lines
            head = [(0, ln) for ln in _first_lines(text, _KEY_SAMPLE) if ln.strip()]
            sample = _parse_lines_slowly(head, name)
            keys = sorted(
                set(itertools.chain.from_iterable(o for o in sample if isinstance(o, dict)))
            )
            cols = _ArrowColumns(table)
        else:
            kept = all_lines.kept()
            try:
                # One C-level parse of all lines is much faster than json.loads per line.
                objs = json.loads("[" + ",".join(ln for _, ln in kept) + "]")
            except ValueError:
                objs = _parse_lines_slowly(kept, name)
            if len(objs) != len(kept):
                objs = _parse_lines_slowly(kept, name)
            bad = next((i for i, o in enumerate(objs) if not isinstance(o, dict)), None)
            if bad is not None:
                raise InputError(name, "expected one JSON object per line", line=kept[bad][0])
            if page is not None:
                recs, nos = [], []
                for (line_no, _), o in zip(kept, objs, strict=True):
                    items = [r for r in o.get(page) or [] if isinstance(r, dict)]
                    recs.extend(items)
                    nos.extend([line_no] * len(items))
            else:
                recs, nos = objs, [line_no for line_no, _ in kept]
            lines = np.asarray(nos, dtype="int64")
            n = len(recs)
            keys = sorted(set(itertools.chain.from_iterable(recs)))
            cols = _DictColumns(recs)
    if n == 0:
        return _Parsed("empty", pd.DataFrame(), keys, 0)
    if kind is None:
        raise InputError(
            name,
            "JSON records are not Zendesk tickets (id, created_at, status), ticket events "
            "(ticket_id, updater_id, created_at) or users (id, role)",
            line=int(lines[0]) if lines[0] > 0 else None,
        )
    if kind == "tickets":
        frame = _ticket_records(cols, lines, name, rules, lookup, tz)
    elif kind == "ticket_events":
        frame = _event_records(cols, lines, name)
    else:
        frame = _user_records(cols, lines, name)
    return _Parsed(kind, frame, keys, n)


_KEY_SAMPLE = 100  # columns of an NDJSON file read by Arrow: keys of its first records

_ARROW_SCHEMAS = {
    "tickets": [
        ("id", "int64"),
        ("created_at", "string"),
        ("updated_at", "string"),
        ("status", "string"),
        ("tags", "list<string>"),
        ("custom_fields", "list<struct>"),
    ],
    "ticket_events": [("ticket_id", "int64"), ("updater_id", "int64"), ("created_at", "string")],
    "users": [
        ("id", "int64"),
        ("role", "string"),
        ("default_group_id", "int64"),
        ("tags", "list<string>"),
    ],
}


def _arrow_table(text: str, kind: str) -> Any:
    """Read NDJSON with Arrow, only the keys the rules need; ``None`` if the types differ.

    Arrow skips every other key while parsing (so free text is never materialised). Any type it
    cannot take (ids as text, a checkbox or multi-select custom field) falls back to ``json``.
    """
    import pyarrow as pa
    import pyarrow.json as pj

    kinds = {
        "int64": pa.int64(),
        "string": pa.string(),
        "list<string>": pa.list_(pa.string()),
        "list<struct>": pa.list_(pa.struct([("id", pa.int64()), ("value", pa.string())])),
    }
    schema = pa.schema([(k, kinds[t]) for k, t in _ARROW_SCHEMAS[kind]])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pj.read_json(io.BytesIO(text.encode("utf-8")), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _first_lines(text: str, limit: int = 50):
    """The first lines of ``text`` without splitting the whole (possibly huge) file."""
    start = 0
    for _ in range(limit):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


class _NoLines:
    """Line numbers of a JSON document's records: unknown (messages give the record number)."""

    def __getitem__(self, i: int) -> int:
        return -1


class _LazyLines:
    """1-based numbers of the non-blank lines of NDJSON, computed only when needed."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._kept: list[tuple[int, str]] | None = None

    def kept(self) -> list[tuple[int, str]]:
        """(line number, line) of every non-blank line."""
        if self._kept is None:
            self._kept = [(i + 1, ln) for i, ln in enumerate(self._text.split("\n")) if ln.strip()]
        return self._kept

    def __getitem__(self, i: int) -> int:
        return self.kept()[i][0]


def _parse_lines_slowly(kept: list[tuple[int, str]], name: str) -> list[Any]:
    """Parse NDJSON line by line, to name the line that is not valid JSON."""
    out = []
    for n, ln in kept:
        try:
            out.append(json.loads(ln))
        except ValueError as exc:
            raise InputError(
                name, f"not valid JSON ({exc}); expected one JSON object per line", line=n
            ) from None
    return out


def _document_records(document: Any, name: str) -> tuple[str | None, list[dict[str, Any]]]:
    if isinstance(document, dict):
        for k in _PAGE_KEYS:
            if isinstance(document.get(k), list):
                return k, [r for r in document[k] if isinstance(r, dict)]
        return _record_kind(document), [document]
    if isinstance(document, list):
        items = [r for r in document if isinstance(r, dict)]
        return (_record_kind(items[0]) if items else None), items
    raise InputError(name, "expected a JSON object or array of Zendesk records")


class _DictColumns:
    """Columns of JSON records already parsed with :mod:`json` (the fallback path)."""

    def __init__(self, recs: list[dict[str, Any]]) -> None:
        self._recs = recs

    def get(self, key: str) -> pd.Series:
        """The values of ``key`` (``None`` where missing)."""
        return pd.Series([r.get(key) for r in self._recs], dtype=object)

    def tags(self, key: str) -> pd.Series:
        """Each record's tags as one lower-case, space-separated string."""
        return pd.Series(
            [" ".join(str(t) for t in r.get(key) or ()).lower() for r in self._recs],
            dtype=object,
        )

    def contact_types(self, field_id: int | None, lookup: dict[str, str]) -> pd.Series:
        """The contact type of each ticket (see :func:`_contact_type_picker`)."""
        pick = _contact_type_picker(field_id, lookup)
        return pd.Series([pick(r.get("custom_fields")) for r in self._recs], dtype=object)


class _ArrowColumns:
    """Columns of an Arrow table read from NDJSON (the fast path, no Python objects per row)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: str) -> pd.Series:
        """The values of ``key`` as text (ids included), missing ones as NaN."""
        import pyarrow as pa
        import pyarrow.compute as pc

        col = self._table.column(key)
        if pa.types.is_integer(col.type):
            col = pc.cast(col, pa.string())
        # Arrow-backed text (missing as NaN): no Python object per value.
        return col.to_pandas().reset_index(drop=True)

    def tags(self, key: str) -> pd.Series:
        """Each record's tags as one lower-case, space-separated string."""
        import pyarrow.compute as pc

        joined = pc.utf8_lower(pc.binary_join(self._table.column(key), " "))
        return pd.Series(joined.fill_null("").to_numpy(), dtype=object)

    def contact_types(self, field_id: int | None, lookup: dict[str, str]) -> pd.Series:
        """The contact type of each ticket, picked from ``custom_fields`` without a Python loop.

        As :func:`_contact_type_picker` picks it: the first field with ``field_id`` (an empty
        value is none), else the first value that names a known contact type.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        col = self._table.column("custom_fields").combine_chunks()
        out = np.full(len(col), None, dtype=object)
        fields = pc.list_flatten(col)
        if len(fields):
            parent = pc.list_parent_indices(col).to_numpy()
            values = fields.field("value")
            if field_id is not None:
                pick = pc.equal(pc.cast(fields.field("id"), pa.string()), str(field_id))
                pick = pick.fill_null(False).to_numpy(zero_copy_only=False)
            else:
                # Few distinct values: normalise each once.
                codes = pc.dictionary_encode(values)
                known = [
                    lookup.get(_norm_text(v)) is not None for v in codes.dictionary.to_pylist()
                ]
                table = np.array([*known, False])  # the last entry: a missing value
                pick = table[codes.indices.fill_null(len(known)).to_numpy()]
            rows = np.flatnonzero(pick)
            # Fields are in ticket order: the first picked field of each ticket wins.
            first = rows[np.r_[True, parent[rows][1:] != parent[rows][:-1]]] if len(rows) else rows
            chosen = values.take(pa.array(first)).to_numpy(zero_copy_only=False)
            chosen[chosen == ""] = None
            out[parent[first]] = chosen
        return pd.Series(out, dtype=object)


def _required(values: pd.Series, key: str, lines: Any, name: str, what: str) -> pd.Series:
    """``values`` of ``key``; a missing or empty value is an error naming the line."""
    missing = (values.isna() | (values == "")).to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        line = int(lines[i]) if lines[i] > 0 else None
        where = "" if line is not None else f" (record {i + 1})"
        raise InputError(
            name, f"{what} record{where} has no {key!r}; expected a value", line=line, column=key
        )
    return values


def _ticket_records(
    cols: Any,
    lines: Any,
    name: str,
    rules: TicketRules,
    lookup: dict[str, str],
    tz: str,
) -> pd.DataFrame:
    # Only these fields are taken from the records; subject, description, requester and
    # via.source (which holds e-mail addresses) are never read.
    ids = _required(cols.get("id"), "id", lines, name, "ticket").astype(str)
    created = _required(cols.get("created_at"), "created_at", lines, name, "ticket")
    updated = cols.get("updated_at")
    updated = updated.where(updated.notna() & (updated.astype(str) != ""), created)
    statuses = cols.get("status").fillna("").astype(str).str.lower()
    created_utc = _parse_utc(created, name, "created_at", lines)
    updated_utc = _parse_utc(updated, name, "updated_at", lines)
    return pd.DataFrame(
        {
            # Text columns go in as pandas text arrays: an object array would be converted
            # back to text by the constructor, one Python string at a time.
            "ticket_id": ids.array,
            "status": statuses.array,
            "tags": cols.tags("tags").to_numpy(),
            "contact_type": cols.contact_types(rules.contact_type_field_id, lookup).to_numpy(),
            "replies": np.nan,
            "created_utc": created_utc.to_numpy(),
            "updated_utc": updated_utc.to_numpy(),
            # A ticket counts on the local date (profile time zone) it was created.
            "contact_date": created_utc.dt.tz_localize("UTC")
            .dt.tz_convert(tz)
            .dt.tz_localize(None)
            .dt.normalize()
            .to_numpy(),
            "row": np.arange(len(ids)),
        }
    )


def _contact_type_picker(field_id: int | None, lookup: dict[str, str]):
    """A function custom_fields -> the contact type value, or ``None``."""
    matches: dict[str, bool] = {}  # few distinct values: normalise each once

    def known(value: str) -> bool:
        hit = matches.get(value)
        if hit is None:
            hit = matches[value] = _norm_text(value) in lookup
        return hit

    def pick(custom_fields: Any) -> str | None:
        if not isinstance(custom_fields, list):
            return None
        for cf in custom_fields:
            if not isinstance(cf, dict):
                continue
            value = cf.get("value")
            if field_id is not None:
                if str(cf.get("id")) == str(field_id):
                    return str(value) if isinstance(value, str | int) and value != "" else None
            elif isinstance(value, str) and known(value):
                return value
        return None

    return pick


def _event_records(cols: Any, lines: Any, name: str) -> pd.DataFrame:
    # child_events may carry comment bodies: never read.
    tickets = _required(cols.get("ticket_id"), "ticket_id", lines, name, "ticket event")
    created = _required(cols.get("created_at"), "created_at", lines, name, "ticket event")
    return pd.DataFrame(
        {
            "ticket_id": tickets.astype(str).array,
            "updater_id": cols.get("updater_id").astype(str).array,
            "created_utc": _parse_utc(created, name, "created_at", lines).to_numpy(),
        }
    )


def _user_records(cols: Any, lines: Any, name: str) -> pd.DataFrame:
    # Users carry names, e-mail addresses and phone numbers: only these four fields are read.
    ids = _required(cols.get("id"), "id", lines, name, "user")
    return pd.DataFrame(
        {
            "user_id": ids.astype(str).astype(object).to_numpy(),
            "role": cols.get("role").fillna("").astype(str).str.lower().astype(object).to_numpy(),
            "group_id": cols.get("default_group_id").astype(str).astype(object).to_numpy(),
            "tags": cols.tags("tags").to_numpy(),
        }
    )


def _arrow_times(values: pd.Series, zone: str | None) -> pd.Series | None:
    """Naive datetimes read by Arrow's C++ ISO-8601 parser, or ``None`` unless every value reads.

    With ``zone="UTC"`` every value must carry its zone (Z or an offset) and comes back as UTC;
    with ``None`` no value may carry one. Anything Arrow rejects (a UTC time without a zone,
    which is warned about, or an unreadable time, which is an error) takes the slower pandas
    path that says so.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
        if text.null_count:
            return None
        stamps = pc.cast(text, pa.timestamp("ns", tz=zone))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    nanos = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return pd.Series(nanos.view("datetime64[ns]"), index=values.index)


def _parse_utc(values: pd.Series, name: str, column: str, lines: Any) -> pd.Series:
    """Parse ISO-8601 UTC times (a value without an offset is taken as UTC) to naive UTC."""
    if len(values) == 0:
        return pd.Series(pd.DatetimeIndex([], dtype="datetime64[ns]"))
    zoned = _arrow_times(values, "UTC")
    if zoned is not None:
        return zoned
    text = values.astype(str)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        line = int(lines[pos]) if lines[pos] > 0 else None
        where = "" if line is not None else f" (record {pos + 1})"
        raise InputError(
            name,
            f"cannot read time {values.iloc[pos]!r}{where}; expected {_UTC_FORMATS_TEXT}",
            line=line,
            column=column,
        )
    unzoned = ~text.str.endswith("Z")
    if unzoned.any():
        # Most values end in Z; only the rest need the slower offset pattern.
        unzoned[unzoned] = ~text[unzoned].str.contains(r"[+-]\d\d:?\d\d$", regex=True)
    if unzoned.any():
        warn_input(
            name,
            f"{int(unzoned.sum())} {column} time(s) have no time zone (e.g. "
            f"{text[unzoned].iloc[0]!r}); taken as UTC, as the incremental export writes",
        )
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


# --------------------------------------------------------------------------- rules


def _rep_users(users: pd.DataFrame | None, rules: TicketRules) -> set[str]:
    """Ids of users who are 311 representatives (agent/admin, in a 311 group or with a 311 tag)."""
    if users is None or users.empty:
        return set()
    staff = users[users["role"].isin(_REP_ROLES)]
    if not rules.agent_group_ids and not rules.agent_tags:
        return set(staff["user_id"])
    groups = {str(g) for g in rules.agent_group_ids}
    in_group = staff["group_id"].isin(groups)
    tagged = _has_tag(staff["tags"], {t.lower() for t in rules.agent_tags})
    return set(staff.loc[in_group | tagged, "user_id"])


def _has_tag(tags: pd.Series, wanted: set[str]) -> pd.Series:
    """Whether each space-separated tag string holds one of ``wanted``.

    Zendesk tags never contain spaces, so a whole-word match is an exact tag match.
    """
    if tags.empty or not wanted:
        return pd.Series(False, index=tags.index)
    import pyarrow as pa
    import pyarrow.compute as pc

    alternatives = "|".join(re.escape(w) for w in sorted(wanted))
    pattern = rf"(?:^|\s)(?:{alternatives})(?:\s|$)"
    text = pa.array(tags.fillna(""), type=pa.string(), from_pandas=True)
    hit = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
    return pd.Series(hit.astype(bool), index=tags.index)


def _isin(values: pd.Series, wanted: Any) -> np.ndarray:
    """Membership test in Arrow (pandas' ``isin`` on text builds one scalar per wanted value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Straight from the Series: zero-copy for Arrow-backed text, no Python objects per row.
    left = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(wanted, pd.Series):
        right = pc.cast(pa.array(wanted, from_pandas=True), pa.string())
    else:
        right = pa.array([str(w) for w in wanted], type=pa.string())
    hit = pc.is_in(left, value_set=right, skip_nulls=True)
    return hit.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _channels(contact_types: pd.Series, lookup: dict[str, str]) -> pd.Series:
    """Channel of each contact type (``None`` when missing or unmapped); few distinct values."""
    mapping = {v: lookup.get(_norm_text(str(v))) for v in contact_types.dropna().unique()}
    return contact_types.map(mapping).astype(object).where(lambda c: c.notna(), None)


_NAT = np.datetime64("NaT", "ns").view(np.int64)


def _apply_rules(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    users: pd.DataFrame | None,
    rules: TicketRules,
    lookup: dict[str, str],
) -> pd.DataFrame:
    """Dedupe ticket copies and put each in one bucket with a reason (vectorised)."""
    t = tickets.reset_index(drop=True)
    # The winner of each ticket is its last copy by (updated_utc, file_order, row): one sort of
    # integer keys (the ticket ids as codes; a missing update time sorts last).
    ticket = pd.factorize(t["ticket_id"])[0]
    updated = t["updated_utc"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    updated = np.where(updated == _NAT, np.iinfo(np.int64).max, updated)
    order = np.lexsort((t["row"].to_numpy(), t["file_order"].to_numpy(), updated, ticket))
    ends = np.append(ticket[order][1:] != ticket[order][:-1], True)
    winner = np.zeros(len(t), dtype=bool)
    winner[order[ends]] = True
    t["is_winner"] = winner

    channel = _channels(t["contact_type"], lookup)
    t["channel"] = channel
    deleted = t["status"] == "deleted"
    merged = _has_tag(t["tags"], {"closed_by_merge"})
    spam = _has_tag(t["tags"], {x.lower() for x in rules.exclude_tags})
    phone_type = channel.isin(rules.not_counted_channels)
    no_type = channel.isna()
    rep_ids = _rep_users(users, rules)
    if events is not None and not events.empty:
        lo, hi = events["created_utc"].min(), events["created_utc"].max()
        in_span = t["created_utc"].between(lo, hi)
        by_rep = events.loc[_isin(events["updater_id"], rep_ids), "ticket_id"]
        agent_ok = pd.Series(_isin(t["ticket_id"], by_rep), index=t.index)
    else:
        in_span = pd.Series(False, index=t.index)
        agent_ok = pd.Series(False, index=t.index)
    fallback_ok = t["status"].isin(_HANDLED_STATUSES) | (t["replies"].fillna(0) >= 1)
    conditions = [
        ~t["is_winner"],
        deleted,
        merged,
        spam,
        phone_type,
        no_type,
        in_span & ~agent_ok,
        in_span & agent_ok,
        ~fallback_ok,
    ]
    reasons = [
        "duplicate",
        "deleted",
        "merged",
        "spam_or_test",
        "phone_type",
        "contact_type_not_counted",
        "no_agent_event",
        "agent_event",
        "not_handled",
    ]
    labels = [*reasons, "handled_fallback"]  # the last one: no condition held
    # Categories from integer codes: a text column per row would cost more than the rules.
    reason = np.select(conditions, list(range(len(reasons))), default=len(reasons))
    t["reason"] = pd.Categorical.from_codes(reason, labels)
    counted = np.isin(reason, [labels.index("agent_event"), labels.index("handled_fallback")])
    bucket = np.select([reason == labels.index("duplicate"), counted], [0, 1], default=2)
    t["bucket"] = pd.Categorical.from_codes(bucket, ["duplicate", "counted", "excluded"])
    # Which handling rule decided a ticket that reached it (for the notes).
    reached = t["is_winner"] & ~(deleted | merged | spam | phone_type | no_type)
    decided_by = np.where(reached, np.where(in_span, 1, 2), 0)
    t["decided_by"] = pd.Categorical.from_codes(decided_by, ["", "agent_event", "fallback"])
    return t


def _notes(
    decided: pd.DataFrame,
    events: pd.DataFrame | None,
    users: pd.DataFrame | None,
    rules: TicketRules,
) -> list[str]:
    winners = decided[decided["is_winner"]]
    n_agent = int((decided["decided_by"] == "agent_event").sum())
    n_fallback = int((decided["decided_by"] == "fallback").sum())
    counted = int((decided["bucket"] == "counted").sum())
    dups = int((decided["bucket"] == "duplicate").sum())
    notes = [
        f"Zendesk: {counted} of {len(winners)} distinct tickets counted; {dups} older copies of "
        "tickets found in more than one export were set aside as duplicates "
        "(the latest updated_at wins).",
        f"{n_agent} tickets decided by the published rule (agent event), {n_fallback} by the CSV "
        "fallback rule (solved/closed or a reply).",
    ]
    if events is not None and not events.empty:
        lo, hi = events["created_utc"].min(), events["created_utc"].max()
        if rules.agent_group_ids or rules.agent_tags:
            who = "agents/admins in groups " + (
                ", ".join(map(str, rules.agent_group_ids)) or "(none)"
            )
            who += " or tagged " + (", ".join(rules.agent_tags) or "(none)")
        else:
            who = "any agent or admin"
        notes.append(
            f"Ticket events cover {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC; tickets created "
            f"in that span count only with an event by a 311 representative ({who}; "
            f"{len(_rep_users(users, rules))} such users found)."
        )
    else:
        notes.append("No Zendesk ticket events were loaded: every ticket used the fallback rule.")
    return notes
