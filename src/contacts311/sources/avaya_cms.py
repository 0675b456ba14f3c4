"""Avaya CMS split/skill data (phone): CMS Supervisor report exports and ``hsplit`` dumps.

Two layouts are recognised by their header (see ``docs/formats.md``, section ``avaya_cms``):

* a CMS Supervisor report export ("311 Multi-Day Multi-Skill"): title lines, then a tab- or
  comma-delimited header with a date, a split/skill and an ``ACD Calls`` column, one row per
  skill per day or per interval, and a ``Totals``/``Total``/``Summary`` row;
* an ``hsplit`` table dump: comma-delimited, CMS database column names (``row_date``, ``split``,
  ``acdcalls``, ...).

Rules decided here (each is tested):

* Every non-blank line below the header is a row read; cells to the right of the last header
  column are ignored (CMS Supervisor writes a trailing delimiter on some rows). Rows whose first
  cell (or date, skill or interval cell) is ``Totals``, ``Total`` or ``Summary`` are excluded as
  ``summary_row`` wherever they stand (bottom of daily reports, top of some interval ones).
* Call counts (``ACD Calls``, abandoned calls, calls offered) must be whole numbers of 0 or more;
  thousands separators are allowed. An empty cell, ``N/A`` or a negative number is an
  :class:`~contacts311.errors.InputError` naming the file, line, column and expectation: a gap in
  a count column means the export is not the one the measure is defined on, so it is not guessed.
  Durations (``ACD Time``, ``ACW Time``, ``Staffed Time``) are seconds or ``h:mm:ss``; an empty
  duration cell is read as missing.
* The key of a row is (ACD, skill, date, interval start); the ACD only takes part when the data
  holds more than one ACD. Files are read in sorted order: a later row with the same key and the
  same call counts is a ``duplicate``; different call counts are an ``InputError`` naming both
  files and lines, the key and both values. A daily row for a skill-day that also has interval
  rows is a ``duplicate`` when its counts equal the intervals' sums, else an ``InputError``.
* Skills outside ``skills`` (when set) or inside ``exclude_skills`` are excluded as
  ``skill_not_counted``; a skill matches by number or by name, case-insensitively.
* ``formula: acd_minus_abandoned`` is applied to the sums of a skill-day, as the published
  formula SUM(ACD Calls) - SUM(Abandoned Calls) is: a single interval may have more abandoned than
  answered calls. A skill-day whose abandoned calls exceed its ACD calls is an ``InputError``
  (it cannot be a count of contacts; use ``formula: acd_calls``), never clipped to 0, because
  clipping would silently change the published total.
* ``formula: calls_offered`` needs a calls-offered column in every file it reads.
* Ledger reasons: ``summary_row`` and ``skill_not_counted`` (excluded);
  ``same_key_same_values`` and ``daily_row_equals_intervals`` (duplicate).
* The ``intervals`` table holds the counted interval rows (no duplicates, no excluded skills).

Per-file options (profile ``sources`` entries) may override ``formula``, ``skills`` and
``exclude_skills``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from contacts311.errors import InputError, warn_input
from contacts311.ledger import LedgerBuilder
from contacts311.profile import PHONE_FORMULAS, Profile
from contacts311.schema import CONTACT_COLUMNS, INTERVAL_COLUMNS, empty_contacts
from contacts311.sources._base import SourceResult, read_text, xlsx_rows

__all__ = ["DESCRIPTION", "FORMAT", "INTERVAL_COLUMNS", "KIND", "read", "sniff"]

FORMAT = "avaya_cms"
KIND = "contacts"
DESCRIPTION = "Avaya CMS split/skill calls: CMS Supervisor report exports and hsplit dumps (phone)"


# Field -> accepted header names, matched case-insensitively with spaces collapsed.
_SUPERVISOR = {
    "date": ("Date", "Day"),
    "skill": ("Split/Skill", "Skill", "Split"),
    "skill_name": ("Split/Skill Name", "Skill Name", "Name"),
    "interval": ("Interval", "Time"),
    "acd_calls": ("ACD Calls",),
    "abandoned_calls": ("Aban Calls", "Abandoned Calls", "Abn Calls"),
    "calls_offered": ("Calls Offered", "Offered"),
    "acd_time": ("ACD Time",),
    "acw_time": ("ACW Time",),
    "staffed_time": ("Staffed Time",),
    "answer_time": ("Ans Time", "Answer Time"),
    "abandon_time": ("Aban Time", "Abandon Time"),
}
_HSPLIT = {
    "date": ("row_date",),
    "skill": ("split",),
    "interval": ("starttime",),
    "intrvl": ("intrvl",),
    "acd": ("acd",),
    "acd_calls": ("acdcalls",),
    "abandoned_calls": ("abncalls",),
    "calls_offered": ("callsoffered",),
    "acd_time": ("acdtime",),
    "acw_time": ("acwtime",),
    "staffed_time": ("i_stafftime",),
    "answer_time": ("anstime",),
    "abandon_time": ("abntime",),
}
_REQUIRED = ("date", "skill", "acd_calls", "abandoned_calls")
_COUNT_FIELDS = ("acd_calls", "abandoned_calls", "calls_offered")
_TIME_FIELDS = {
    "acd_time": "acd_time_seconds",
    "acw_time": "acw_time_seconds",
    "staffed_time": "staffed_seconds",
    # Total waits, for the patience estimate of Erlang A (staffing).
    "answer_time": "answer_wait_seconds",
    "abandon_time": "abandon_wait_seconds",
}
_SUMMARY_WORDS = {"total", "totals", "summary"}
_OPTIONS = {"formula", "skills", "exclude_skills"}
# Title blocks are a handful of lines; a header further down is not a CMS export.
_MAX_TITLE_LINES = 60
_DEFAULT_INTERVAL_MINUTES = 30

_INTERVAL_RE = re.compile(
    r"^(\d{1,2}):?(\d{2})\s*([ap])?\.?m?\.?"
    r"(?:\s*-\s*(\d{1,2}):?(\d{2})\s*([ap])?\.?m?\.?)?$",
    re.IGNORECASE,
)


#: (formula, skills counted, skills excluded) of one file; skill sets hold ``_skill_key`` values.
_Rules = tuple[str, set[str], set[str]]


@dataclass
class _Layout:
    kind: str  # "supervisor" or "hsplit"
    fields: dict[str, int]  # field -> column index
    header: list[str]
    delimiter: str


def sniff(head: str) -> bool:
    """True when ``head`` (a file's first lines) is a CMS Supervisor export or an hsplit dump.

    Args:
        head: The first lines of the file as text.
    """
    return any(_match_header(line) is not None for line in head.splitlines()[:_MAX_TITLE_LINES])


def read(files: list, profile: Profile) -> SourceResult:
    """Read Avaya CMS exports into skill-day contact rows, the ledger and the intervals table.

    All files are read together so that overlapping exports are deduplicated.

    Args:
        files: :class:`~contacts311.pipeline.InputFile` entries (``path``, ``name``, ``options``).
        profile: Profile giving ``phone.formula``, ``phone.skills`` and ``phone.exclude_skills``.

    Returns:
        Core rows (one per file, skill and day counted), the ledger, the ``intervals`` table,
        each file's header and notes naming the formula and skills used.

    Raises:
        InputError: A file without a recognisable header, a bad date, count or duration, a
            conflicting duplicate, or a skill-day that the formula would make negative.
    """
    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    rules: dict[str, _Rules] = {}
    headers: dict[str, dict[str, str]] = {}
    # Cells of every file are gathered as arrays and framed once: a frame per file (there can
    # be hundreds of small monthly exports) costs more than parsing them.
    texts: dict[str, list[np.ndarray]] = {}
    meta: dict[str, list[np.ndarray]] = {
        "source_file": [],
        "line": [],
        "file_order": [],
        "kind": [],
    }
    for order, f in enumerate(sorted(files, key=lambda f: f.name)):
        rules[f.name] = _file_rules(f, profile)
        layout, cells, header_line = _read_cells(Path(f.path), f.name)
        columns[f.name] = layout.header
        headers[f.name] = {k: layout.header[i] for k, i in layout.fields.items()}
        if rules[f.name][0] == "calls_offered" and "calls_offered" not in layout.fields:
            raise InputError(
                f.name,
                "formula calls_offered needs a calls offered column ('Calls Offered' or "
                "'callsoffered'); this export has none",
                line=header_line,
            )
        n = len(cells["first_cell"])
        # A column a file does not have stays missing (None), unlike an empty cell ("").
        for key in [k for k in cells if k not in texts]:
            texts[key] = [np.full(len(part), None, dtype=object) for part in meta["line"]]
        for key, parts in texts.items():
            parts.append(cells[key] if key in cells else np.full(n, None, dtype=object))
        meta["source_file"].append(np.full(n, f.name, dtype=object))
        meta["line"].append(header_line + 1 + np.arange(n, dtype=np.int64))
        meta["file_order"].append(np.full(n, order, dtype=np.int64))
        meta["kind"].append(np.full(n, layout.kind, dtype=object))
    if meta["line"]:
        # Explicitly object: pandas would otherwise convert every text column to Arrow strings,
        # which the parsers below turn straight back into objects.
        cells = pd.DataFrame(
            {
                **{k: np.concatenate(v) for k, v in meta.items()},
                **{k: pd.Series(np.concatenate(v), dtype=object) for k, v in texts.items()},
            }
        )
    else:
        cells = pd.DataFrame(columns=[*meta, "first_cell"])
    cells = _drop_blank_rows(cells)
    per_file = cells["source_file"].value_counts()
    for name in columns:
        ledger.read(name, int(per_file.get(name, 0)))
    summary, data = _parse(cells, headers)

    data["bucket"] = "counted"
    data["reason"] = ""
    data = _mark_duplicates(data, headers)
    data = _mark_daily_covered_by_intervals(data)
    data = _apply_skill_rules(data, rules)
    data["count"] = _row_counts(data, rules)

    counted = data[data["bucket"] == "counted"]
    contacts = _skill_days(counted)
    ledger.add_frame(
        summary[["source_file"]].assign(bucket="excluded", reason="summary_row", count=0),
        contacts_column="count",
    )
    ledger.add_frame(data[["source_file", "bucket", "reason", "count"]], contacts_column="count")
    notes = _notes(profile, files, rules)
    notes.append(
        f"Avaya CMS: {len(contacts):,} skill-days counted from {len(files)} file(s), "
        f"{int(contacts['count'].sum()):,} calls."
    )
    return SourceResult(
        contacts=contacts,
        ledger=ledger,
        notes=notes,
        tables={"intervals": _intervals_table(counted)},
        columns=columns,
    )


# --- header recognition -------------------------------------------------------------------


def _norm(cell: str) -> str:
    return " ".join(cell.strip().strip('"').lower().split())


def _split_line(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _match_cells(cells: list[str]) -> tuple[str, dict[str, int]] | None:
    names = [_norm(c) for c in cells]
    for kind, aliases in (("hsplit", _HSPLIT), ("supervisor", _SUPERVISOR)):
        fields: dict[str, int] = {}
        for field_name, accepted in aliases.items():
            # Aliases in order of preference: "Date" wins over a "Day" column of weekday names.
            for alias in accepted:
                if alias.lower() in names:
                    fields[field_name] = names.index(alias.lower())
                    break
        if all(k in fields for k in ("date", "skill", "acd_calls")):
            return kind, fields
    return None


def _check_unique(layout: _Layout, name: str, line: int) -> None:
    """A column the reader uses must appear once: with two, which one counts is unknowable."""
    names = [_norm(c) for c in layout.header]
    for i in sorted(set(layout.fields.values())):
        where = [j + 1 for j, n in enumerate(names) if n == names[i]]
        if len(where) > 1:
            raise InputError(
                name,
                f"the header has this column {len(where)} times (positions "
                f"{', '.join(map(str, where))}); expected each column once",
                line=line,
                column=layout.header[i],
            )


def _match_header(line: str) -> _Layout | None:
    line = line.lstrip("\ufeff").rstrip("\r\n")
    for delimiter in ("\t", ","):
        if delimiter not in line:
            continue
        cells = _split_line(line, delimiter)
        found = _match_cells(cells)
        if found is not None:
            kind, fields = found
            return _Layout(kind, fields, [c.strip() for c in cells], delimiter)
    return None


def _no_header(name: str) -> InputError:
    return InputError(
        name,
        f"no column header found in the first {_MAX_TITLE_LINES} lines; expected a CMS Supervisor "
        "header with Date, Split/Skill and ACD Calls columns, or an hsplit header with row_date, "
        "split and acdcalls",
    )


# --- reading one file ---------------------------------------------------------------------


def _read_cells(path: Path, name: str) -> tuple[_Layout, dict[str, np.ndarray], int]:
    """The header and the text cells below it, one array per field (blank rows included).

    Returns:
        The layout, the cells (field name -> one text per row, and ``first_cell``) and the
        header's line number; row ``i`` is on line ``header_line + 1 + i``.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        layout, raw, header_line = _xlsx_cells(path, name)
    else:
        layout, raw, header_line = _text_cells(path, name)
    _check_unique(layout, name, header_line)
    missing = [f for f in _REQUIRED if f not in layout.fields]
    if missing:
        wanted = _HSPLIT if layout.kind == "hsplit" else _SUPERVISOR
        raise InputError(
            name,
            "header lacks required column(s): "
            + "; ".join(" or ".join(repr(a) for a in wanted[f]) for f in missing)
            + "; expected "
            + ", ".join(wanted[f][0] for f in _REQUIRED),
            line=header_line,
            column=wanted[missing[0]][0],
        )
    # A short row's missing cells are empty cells (an error where a value is required), unlike
    # a column the file does not have, which stays missing (None) after files are joined.
    by_position = {i: _filled(raw[i]) for i in raw}
    cells = {f: by_position[i] for f, i in layout.fields.items()}
    cells["first_cell"] = by_position[0]
    return layout, cells, header_line


def _filled(values: np.ndarray) -> np.ndarray:
    """Object cells with every missing one (a short row's) as ``""``."""
    values = np.asarray(values, dtype=object)
    gaps = pd.isna(values)
    if gaps.any():
        values = values.copy()
        values[gaps] = ""
    return values


def _text_cells(path: Path, name: str) -> tuple[_Layout, dict[int, np.ndarray], int]:
    """The layout, the used columns' cells by position and the header's line number."""
    text = read_text(path)
    pos = 0
    layout = None
    header_line = 0
    for lineno in range(1, _MAX_TITLE_LINES + 1):
        end = text.find("\n", pos)
        layout = _match_header(text[pos:] if end < 0 else text[pos:end])
        pos = len(text) if end < 0 else end + 1
        if layout is not None:
            header_line = lineno
            break
        if end < 0:
            break
    if layout is None:
        raise _no_header(name)
    usecols = sorted(set(layout.fields.values()) | {0})
    body = text[pos:]
    if not body.strip():
        return layout, {i: np.empty(0, dtype=object) for i in usecols}, header_line
    # With usecols, cells right of the last header column are ignored: CMS Supervisor writes a
    # trailing delimiter on some rows.
    raw = pd.read_csv(
        io.StringIO(body),
        sep=layout.delimiter,
        header=None,
        names=list(range(len(layout.header))),
        usecols=usecols,
        dtype=object,  # cells stay objects: the parsers work on each column's distinct texts
        na_filter=False,
        skip_blank_lines=False,  # keeps row i on line header_line + 1 + i
        index_col=False,
        engine="c",
    )
    return layout, {i: raw[i].to_numpy() for i in usecols}, header_line


def _xlsx_cells(path: Path, name: str) -> tuple[_Layout, dict[int, np.ndarray], int]:
    rows = xlsx_rows(path)
    for i, row in enumerate(rows[:_MAX_TITLE_LINES]):
        found = _match_cells(row)
        if found is not None:
            kind, fields = found
            layout = _Layout(kind, fields, [c.strip() for c in row], ",")
            body = rows[i + 1 :]
            cells = {
                c: np.array([r[c] if c < len(r) else "" for r in body], dtype=object)
                for c in sorted(set(fields.values()) | {0})
            }
            return layout, cells, i + 1
    raise _no_header(name)


# --- parsing the cells of all files at once -----------------------------------------------
#
# Cells stay Python objects and every parser works on a column's distinct values (dates, skills,
# counts and intervals repeat heavily), then spreads the results back with the factorize codes.
# That is vectorised and avoids converting every cell to a string array.


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's code and the column's distinct stripped texts; code -1 = column absent."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, [str(u).strip() for u in uniques]


def _spread(per_unique: list, codes: np.ndarray, missing, dtype=object) -> np.ndarray:  # noqa: ANN001
    """Per-row values from per-distinct-value results; ``missing`` where the code is -1."""
    # The sentinel goes last so that code -1 picks it.
    return np.array([*per_unique, missing], dtype=dtype)[codes]


def _drop_blank_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Drop blank lines (they are not rows); done once for all files."""
    text_cols = [c for c in cells.columns if c not in ("source_file", "line", "file_order", "kind")]
    blank = np.ones(len(cells), dtype=bool)
    for c in text_cols:
        codes, uniques = _distinct(cells[c])
        blank &= _spread([u == "" for u in uniques], codes, True, bool)
    return cells[~blank].reset_index(drop=True)


def _parse(
    cells: pd.DataFrame, headers: dict[str, dict[str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split summary rows off and type the data rows of every file in one vectorised pass.

    Returns:
        ``(summary, data)``: the summary rows (``source_file``, ``line``) and the data rows
        with typed columns.
    """
    summary = np.zeros(len(cells), dtype=bool)
    for c in ("first_cell", "date", "skill", "interval"):
        if c in cells:
            codes, uniques = _distinct(cells[c])
            words = [u.lower().rstrip(":") in _SUMMARY_WORDS for u in uniques]
            summary |= _spread(words, codes, False, bool)
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

    codes, uniques = _distinct(_column(d, "date"))
    dates = [_parse_date_text(u) for u in uniques]
    fail(
        _spread([p is None for p in dates], codes, True, bool),
        "date",
        "expected a date as MM/DD/YYYY, YYYY-MM-DD or M/D/YY",
    )
    out["contact_date"] = _spread(dates, codes, None, "datetime64[ns]")

    codes, uniques = _distinct(_column(d, "skill"))
    fail(
        _spread([u == "" for u in uniques], codes, True, bool),
        "skill",
        "expected a split/skill number or name",
    )
    # Leading zeros vary between CMS versions ("0101" vs "101"): numbers are compared as numbers.
    normal = [str(int(u)) if u.isascii() and u.isdigit() else u for u in uniques]
    out["skill_id"] = pd.Series(_spread(normal, codes, None), dtype="str")
    codes, uniques = _distinct(_column(d, "skill_name"))
    out["skill_name"] = pd.Series(_spread([u or None for u in uniques], codes, None), dtype="str")
    codes, uniques = _distinct(_column(d, "acd"))
    out["acd"] = pd.Series(_spread(uniques, codes, ""), dtype="str")
    for field_name in _COUNT_FIELDS:
        out[field_name] = _parse_counts(_column(d, field_name), field_name, fail)
    for field_name, target in _TIME_FIELDS.items():
        out[target] = _parse_durations(_column(d, field_name), field_name, fail)
    out["interval_start"], out["interval_minutes"] = _parse_intervals(d, fail)
    return cells.loc[summary, ["source_file", "line"]], out


def _column(d: pd.DataFrame, field_name: str) -> pd.Series:
    """A field's cells; missing (NaN) where a file has no such column."""
    if field_name in d:
        return d[field_name]
    return pd.Series(np.nan, index=d.index, dtype=object)


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


def _parse_date_text(text: str) -> dt.date | None:
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
    t = text.replace(",", "")
    m = re.fullmatch(r"(-?)(\d+)(?:\.0*)?", t)
    if not m:
        return "bad"
    return "negative" if m[1] and int(m[2]) else int(m[2])


def _parse_counts(values: pd.Series, field_name: str, fail) -> pd.Series:  # noqa: ANN001
    codes, uniques = _distinct(values)
    parsed = [_count_value(u) for u in uniques]
    negative = "expected a number of calls of 0 or more, not negative"
    fail(_spread([p == "negative" for p in parsed], codes, False, bool), field_name, negative)
    fail(
        _spread([p == "bad" for p in parsed], codes, False, bool),
        field_name,
        "expected a whole number of calls (0 or more)",
    )
    ints = _spread([p if isinstance(p, int) else 0 for p in parsed], codes, 0, "int64")
    return pd.Series(pd.arrays.IntegerArray(ints, codes < 0))


def _duration_value(text: str) -> int | str | None:
    """Seconds from ``1234`` or ``h:mm:ss``; None for an empty cell; ``"bad"`` otherwise."""
    t = text.replace(",", "")
    if t == "":
        return None
    m = re.fullmatch(r"(\d+)(?:\.(\d*))?", t)
    if m:
        return round(float(t))
    m = re.fullmatch(r"(\d+):([0-5]\d):([0-5]\d)", t)
    if m:
        return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
    return "bad"


def _parse_durations(values: pd.Series, field_name: str, fail) -> pd.Series:  # noqa: ANN001
    codes, uniques = _distinct(values)
    parsed = [_duration_value(u) for u in uniques]
    fail(
        _spread([p == "bad" for p in parsed], codes, False, bool),
        field_name,
        "expected a duration in seconds or h:mm:ss",
    )
    ints = _spread([p if isinstance(p, int) else 0 for p in parsed], codes, 0, "int64")
    absent = _spread([not isinstance(p, int) for p in parsed], codes, True, bool)
    return pd.Series(pd.arrays.IntegerArray(ints, absent))


def _clock_minutes(hour: str, minute: str, meridiem: str | None) -> int | None:
    h, m = int(hour), int(minute)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem.lower() == "p" else 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return h * 60 + m


def _parse_interval_text(text: str) -> tuple[int, int | None] | None:
    """``7:00 AM-7:30 AM``, ``07:00-07:30`` or ``0700`` -> (start minute, length or None)."""
    m = _INTERVAL_RE.fullmatch(text)
    if not m:
        return None
    start = _clock_minutes(m[1], m[2], m[3])
    if start is None or start >= 1440:
        return None
    if m[4] is None:
        return start, None
    end = _clock_minutes(m[4], m[5], m[6])
    if end is None:
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


def _parse_intervals(d: pd.DataFrame, fail) -> tuple[pd.Series, pd.Series]:  # noqa: ANN001
    """Interval start (minutes after midnight) and length of each row; NA for daily rows.

    hsplit: ``intrvl`` 1440 (or no ``starttime``) is a daily row, else ``starttime`` is HHMM.
    Supervisor: an empty interval cell (or no interval column) is a daily row.
    """
    n = len(d)
    hsplit = d["kind"].eq("hsplit").to_numpy(dtype=bool)
    codes, uniques = _distinct(_column(d, "interval"))
    given = _spread([u != "" for u in uniques], codes, False, bool)
    start = np.full(n, -1, dtype="int64")
    minutes = np.full(n, -1, dtype="int64")  # -1: daily row, or length still to infer

    lcodes, luniques = _distinct(_column(d, "intrvl"))
    lengths = [
        int(u) if u.isascii() and u.isdigit() and 1 <= int(u) <= 1440 else None for u in luniques
    ]
    has_len = hsplit & (lcodes >= 0)
    fail(
        has_len & _spread([v is None for v in lengths], lcodes, False, bool),
        "intrvl",
        "expected the interval length in minutes (15, 30, 60 or 1440)",
    )
    length = _spread([v or 0 for v in lengths], lcodes, 0, "int64")
    daily_len = has_len & (length == 1440)
    fail(
        has_len & ~daily_len & ~given,
        "interval",
        "expected the interval start (starttime) of an interval row",
    )
    hs_rows = hsplit & given & ~daily_len
    hhmm = [_hhmm_minutes(u) for u in uniques]
    fail(
        hs_rows & _spread([v is None for v in hhmm], codes, False, bool),
        "interval",
        "expected the interval start as HHMM (e.g. 700 or 1330)",
    )
    hs_start = _spread([-1 if v is None else v for v in hhmm], codes, -1, "int64")
    start[hs_rows] = hs_start[hs_rows]
    minutes[hs_rows & has_len] = length[hs_rows & has_len]

    sup_rows = ~hsplit & given
    if sup_rows.any():
        parsed = [_parse_interval_text(u) for u in uniques]
        fail(
            sup_rows & _spread([p is None for p in parsed], codes, False, bool),
            "interval",
            "expected an interval such as '7:00 AM-7:30 AM', '07:00-07:30' or '0700'",
        )
        sup_start = _spread([-1 if p is None else p[0] for p in parsed], codes, -1, "int64")
        sup_len = _spread(
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


# --- counting rules -----------------------------------------------------------------------


def _file_rules(f, profile: Profile) -> _Rules:  # noqa: ANN001
    """(formula, skills counted, skills excluded) for one file: the profile's, or its options."""
    options = dict(getattr(f, "options", None) or {})
    unknown = set(options) - _OPTIONS
    if unknown:
        raise InputError(
            f.name,
            f"unknown avaya_cms option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_OPTIONS))}",
        )
    formula = str(options.get("formula", profile.phone.formula))
    if formula not in PHONE_FORMULAS:
        raise InputError(
            f.name, f"formula must be one of {', '.join(PHONE_FORMULAS)}, got {formula!r}"
        )

    def skill_set(value) -> set[str]:
        items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
        return {_skill_key(str(v)) for v in items}

    skills = skill_set(options.get("skills", profile.phone.skills))
    excluded = skill_set(options.get("exclude_skills", profile.phone.exclude_skills))
    return formula, skills, excluded


def _skill_key(text: str) -> str:
    text = " ".join(text.split()).lower()
    return str(int(text)) if text.isdigit() else text


def _key_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Adds the dedup key: ACD (only when several), skill, date, interval start (-1 = daily)."""
    acds = set(data["acd"].unique()) - {""}
    data["acd_key"] = data["acd"] if len(acds) > 1 else ""
    data["start_key"] = data["interval_start"].fillna(-1).astype("int64")
    return data


_KEY = ["acd_key", "skill_id", "contact_date", "start_key"]


def _describe_key(row: pd.Series) -> str:
    acd = f"ACD {row['acd_key']}, " if row["acd_key"] else ""
    when = row["contact_date"].date().isoformat()
    if row["start_key"] < 0:
        return f"{acd}skill {row['skill_id']}, {when}, daily row"
    start = int(row["start_key"])
    return f"{acd}skill {row['skill_id']}, {when}, interval {start // 60:02d}:{start % 60:02d}"


def _mark_duplicates(
    data: pd.DataFrame, headers: dict[str, dict[str, str]] | None = None
) -> pd.DataFrame:
    """Later rows with an earlier row's key: ``duplicate`` if equal, an error if not."""
    headers = headers or {}
    data = _key_columns(data).sort_values(["file_order", "line"], kind="stable")
    dup = data.duplicated(_KEY, keep="first")
    if dup.any():
        groups = data.groupby(_KEY, sort=False)
        for field_name in _COUNT_FIELDS:
            first = groups[field_name].transform("first")
            conflict = dup & data[field_name].notna() & first.notna() & data[field_name].ne(first)
            if conflict.fillna(False).any():
                later = data[conflict.fillna(False)].iloc[0]
                same = (data[_KEY] == later[_KEY]).all(axis=1) & data[field_name].notna()
                earlier = data[same].iloc[0]
                raise InputError(
                    later["source_file"],
                    f"conflicting duplicate for {_describe_key(later)}: {field_name} is "
                    f"{earlier[field_name]} in {earlier['source_file']} line {earlier['line']} but "
                    f"{later[field_name]} in {later['source_file']} line {later['line']}; "
                    "expected overlapping exports to agree",
                    line=int(later["line"]),
                    column=headers.get(later["source_file"], {}).get(field_name, field_name),
                )
        data.loc[dup, ["bucket", "reason"]] = ("duplicate", "same_key_same_values")
    return data


def _mark_daily_covered_by_intervals(data: pd.DataFrame) -> pd.DataFrame:
    """A daily row for a skill-day with interval rows is a duplicate when it equals their sums."""
    live = data["bucket"].eq("counted")
    daily = live & data["start_key"].lt(0)
    interval = live & data["start_key"].ge(0)
    if not (daily.any() and interval.any()):
        return data
    day_key = ["acd_key", "skill_id", "contact_date"]
    # Only skill-days that have a daily row matter (usually none: exports are one kind or other).
    daily_days = pd.MultiIndex.from_frame(data.loc[daily, day_key])
    iv = data[interval]
    iv = iv[pd.MultiIndex.from_frame(iv[day_key]).isin(daily_days)]
    if iv.empty:
        return data
    sums = iv.groupby(day_key).agg(
        acd_calls=("acd_calls", "sum"),
        abandoned_calls=("abandoned_calls", "sum"),
        calls_offered=("calls_offered", "sum"),
        offered_n=("calls_offered", "count"),
        rows=("line", "size"),
        files=("source_file", lambda x: ", ".join(sorted(set(x)))),
        first_line=("line", "min"),
        last_line=("line", "max"),
    )
    sums.loc[sums["offered_n"] < sums["rows"], "calls_offered"] = pd.NA
    days = data[daily].join(sums.add_suffix("_iv"), on=day_key)
    matched = days["rows_iv"].notna()
    for field_name in _COUNT_FIELDS:
        a, b = days[field_name], days[f"{field_name}_iv"]
        conflict = matched & a.notna() & b.notna() & a.ne(b)
        conflict = conflict.fillna(False)
        if conflict.any():
            row = days[conflict].iloc[0]
            raise InputError(
                row["source_file"],
                f"daily row for {_describe_key(row)} has {field_name} {row[field_name]} but the "
                f"{int(row['rows_iv'])} interval rows of that skill-day ({row['files_iv']}, lines "
                f"{int(row['first_line_iv'])}-{int(row['last_line_iv'])}) sum to {row[f'{field_name}_iv']}; "
                "expected the daily row to equal the sum of its intervals",
                line=int(row["line"]),
            )
    covered = days.index[matched.to_numpy()]
    data.loc[covered, ["bucket", "reason"]] = ("duplicate", "daily_row_equals_intervals")
    return data


def _skill_names(data: pd.DataFrame) -> dict[str, str]:
    """Skill number -> name, from any export that shows names (the latest date's name wins)."""
    named = data[data["skill_name"].notna()].sort_values("contact_date", kind="stable")
    named = named.drop_duplicates("skill_id", keep="last")
    return dict(zip(named["skill_id"], named["skill_name"], strict=True))


def _apply_skill_rules(data: pd.DataFrame, rules: dict[str, _Rules]) -> pd.DataFrame:
    """Sets ``queue`` (name if known, else number) and excludes skills the rules leave out."""
    names = _skill_names(data)
    named = data["skill_id"].map(names).astype("str")
    data["queue"] = named.where(named.notna(), data["skill_id"])
    live = data["bucket"].eq("counted")
    if not any(skills or excluded for _, skills, excluded in rules.values()):
        return data
    # Match on distinct (number, name) pairs only: a skill filter is a few names, rows are many.
    pairs = data[["skill_id", "queue"]].drop_duplicates()
    id_key = pairs["skill_id"].map(_skill_key)
    name_key = pairs["queue"].map(_skill_key)
    for source_file, (_, skills, excluded) in rules.items():
        out = pd.Series(False, index=pairs.index)
        if skills:
            out |= ~(id_key.isin(skills) | name_key.isin(skills))
        if excluded:
            out |= id_key.isin(excluded) | name_key.isin(excluded)
        dropped = set(pairs.loc[out, "skill_id"])
        if dropped:
            mask = live & data["source_file"].eq(source_file) & data["skill_id"].isin(dropped)
            data.loc[mask, ["bucket", "reason"]] = ("excluded", "skill_not_counted")
    return data


def _row_counts(data: pd.DataFrame, rules: dict[str, _Rules]) -> pd.Series:
    """Each row's contribution under its file's formula (summed per skill-day later)."""
    formula = data["source_file"].map({k: v[0] for k, v in rules.items()})
    acd = data["acd_calls"].astype("int64")
    aban = data["abandoned_calls"].astype("int64")
    offered = data["calls_offered"]
    count = acd.where(formula.eq("acd_calls"), acd - aban)
    use_offered = formula.eq("calls_offered")
    if use_offered.any():
        count = count.where(~use_offered, offered.astype("Int64").fillna(0).astype("int64"))
    return count.astype("int64")


def _skill_days(counted: pd.DataFrame) -> pd.DataFrame:
    """One core row per file, ACD, skill and day; checks acd_minus_abandoned is not negative."""
    if counted.empty:
        return empty_contacts()
    keys = ["source_file", "acd_key", "skill_id", "contact_date"]
    days = (
        counted.groupby(keys, sort=True)
        .agg(
            count=("count", "sum"),
            queue=("queue", "first"),
            acd_calls=("acd_calls", "sum"),
            abandoned_calls=("abandoned_calls", "sum"),
            first_line=("line", "min"),
            last_line=("line", "max"),
            ledger_rows=("line", "size"),
        )
        .reset_index()
    )
    negative = days["count"].lt(0)
    if negative.any():
        row = days[negative].iloc[0]
        lines = (
            str(row["first_line"])
            if row["first_line"] == row["last_line"]
            else f"{row['first_line']}-{row['last_line']}"
        )
        raise InputError(
            row["source_file"],
            f"formula acd_minus_abandoned gives {row['count']} for skill {row['skill_id']} on "
            f"{row['contact_date'].date().isoformat()} (ACD calls {row['acd_calls']}, abandoned "
            f"{row['abandoned_calls']}); expected ACD calls >= abandoned calls per skill-day. "
            "Use formula acd_calls (ACD calls are already answered calls) or check the export",
            line=lines,
        )
    out = pd.DataFrame(
        {
            "contact_date": days["contact_date"].astype("datetime64[ns]"),
            "channel": "phone",
            "count": days["count"].astype("int64"),
            "source": FORMAT,
            "source_file": days["source_file"],
            "contact_id": pd.Series(pd.NA, index=days.index, dtype="string"),
            "queue": days["queue"],
            # Rows read behind each skill-day, so the pipeline can move them in the ledger
            # (future dates); the core schema drops the column.
            "ledger_rows": days["ledger_rows"].astype("int64"),
        }
    )
    return out.astype(CONTACT_COLUMNS)


def _intervals_table(counted: pd.DataFrame) -> pd.DataFrame:
    rows = counted[counted["start_key"].ge(0)] if "start_key" in counted else counted.iloc[:0]
    out = rows.reindex(columns=list(INTERVAL_COLUMNS)).astype(INTERVAL_COLUMNS)
    return out.sort_values(["contact_date", "queue", "interval_start"], kind="stable").reset_index(
        drop=True
    )


def _notes(profile: Profile, files: list, rules: dict[str, _Rules]) -> list[str]:
    phone = profile.phone
    skills = ", ".join(phone.skills) if phone.skills else "all skills"
    text = f"Avaya CMS phone calls counted as {phone.describe()}; skills counted: {skills}"
    if phone.exclude_skills:
        text += f"; excluded: {', '.join(phone.exclude_skills)}"
    notes = [text + "."]
    for f in sorted(files, key=lambda f: f.name):
        if getattr(f, "options", None):
            formula, skills_set, excluded = rules[f.name]
            notes.append(
                f"{f.name}: per-file rules: {PHONE_FORMULAS[formula]}; skills counted: "
                f"{', '.join(sorted(skills_set)) or 'all skills'}"
                + (f"; excluded: {', '.join(sorted(excluded))}" if excluded else "")
                + "."
            )
    return notes
