"""Amazon Connect contact records (CSV with dotted column names, or JSON lines): answered calls.

Amazon Connect writes one contact record per contact and delivers it *at least once*: a record
may arrive again, later, with a newer ``LastUpdateTimestamp``. This source counts answered voice
calls per local day:

* records are deduplicated by ``ContactId`` across every file read, keeping the latest
  ``LastUpdateTimestamp`` (on a tie, the first one read); every other copy is a ``duplicate``
  in the ledger of the file it came from;
* the surviving record counts when ``Channel`` is ``VOICE`` (else ``not_voice``) and
  ``Agent.ConnectedToAgentTimestamp`` is present (else ``not_answered``);
* it counts on the local date (profile time zone) of its ``InitiationTimestamp``.

The core rows are aggregates per file, local date and ``Queue.Name`` (``contact_id`` empty,
``channel`` ``phone``); per-contact ids are needed only for deduplication and never leave.

The whole rule is one DuckDB query (:data:`_COUNT`) over every file at once: DuckDB reads the
CSV or JSON lines (gzip or not) in parallel, converts only the six columns the rule needs, and
keeps one row per ``ContactId`` in a hash table that spills to a temporary folder past
:data:`_MEMORY_LIMIT`, so memory follows the number of distinct contacts, not the files' size.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from contacts311.errors import InputError
from contacts311.ledger import LedgerBuilder
from contacts311.profile import Profile
from contacts311.schema import INTERVAL_COLUMNS as SCHEMA_INTERVAL_COLUMNS
from contacts311.sources._base import SourceResult, is_gzip, open_binary, read_head

__all__ = ["DESCRIPTION", "FORMAT", "KIND", "read", "sniff"]

FORMAT = "amazon_connect"
KIND = "contacts"
DESCRIPTION = (
    "Amazon Connect contact records (CSV with dotted columns such as Queue.Name, or JSON lines): "
    "answered VOICE calls per local day, deduplicated by ContactId (latest LastUpdateTimestamp)"
)

#: Meaning -> dotted column name (CSV header; JSON path split on the dot).
ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED = (
    "ContactId",
    "Channel",
    "InitiationTimestamp",
    "Queue.Name",
    "Agent.ConnectedToAgentTimestamp",
    "LastUpdateTimestamp",
)
_NEEDED = (ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED)
_REQUIRED = (ID, CHANNEL, INITIATED, CONNECTED, UPDATED)
_TIMESTAMPS = (INITIATED, UPDATED)
_REASONS = ("not_voice", "not_answered")

#: Columns of the ``intervals`` table; call records carry no CMS wait totals.
INTERVAL_COLUMNS = {
    k: v for k, v in SCHEMA_INTERVAL_COLUMNS.items() if not k.endswith("_wait_seconds")
}
_INTERVAL_MINUTES = 30

#: DuckDB's working memory; past it the deduplication state spills to a temporary folder.
_MEMORY_LIMIT = "2GB"
#: Engine threads (``None``: one per core).
_THREADS: int | None = None

_TS_EXAMPLE = "such as 2024-03-11T16:15:02Z"
_ZONED = r"(?:[Zz]|[+-]\d\d:?\d\d)\s*$"  # the value names its zone ("Z" or an offset)

#: The counting rule. ``{records}`` is one ``SELECT`` per file (:func:`_select`) giving file,
#: row, id, class, initiated, queue, updated and problem (the record cannot be counted).
_COUNT = """
WITH latest AS (  -- the latest copy of each ContactId (on a tie, the copy read first)
    SELECT arg_max({{'file': file, 'class': class, 'queue': queue,
                     'quarter': epoch_ms(initiated) // 900000}},
                   {{'updated': coalesce(updated, '-infinity'), 'file': -file, 'row': -row}}) AS copy,
           list(file) AS files, count(*) FILTER (WHERE problem) AS problems
    FROM ({records}) GROUP BY id
),
quarters AS (  -- per UTC quarter hour first: every zone offset is a whole number of them
    SELECT copy.*, CASE WHEN len(files) > 1 THEN list_sort(files) END AS copies_in,
           count(*) AS calls, sum(problems) AS problems
    FROM latest GROUP BY ALL
)
SELECT file, class, queue, local::DATE AS day, copies_in,
       (hour(local) * 60 + minute(local)) // $minutes * $minutes AS interval_start,
       sum(calls)::BIGINT AS calls, sum(problems)::BIGINT AS problems
FROM (SELECT *, timezone($tz, to_timestamp(quarter * 900)) AS local FROM quarters)
GROUP BY ALL
"""


def sniff(head: str) -> bool:
    """True for a contact-record CSV header or a JSON-lines contact record.

    Args:
        head: The first lines of a file.
    """
    text = head.lstrip("\ufeff").lstrip()
    if not text:
        return False
    first = text.splitlines()[0]
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except ValueError:
            return '"ContactId"' in first and '"InitiationTimestamp"' in first
        return isinstance(record, dict) and ID in record and INITIATED in record
    names = {_norm(c) for c in _split_header(first)}
    return _norm(ID) in names and _norm(INITIATED) in names


def read(files: list[Any], profile: Profile) -> SourceResult:
    """Count answered voice calls per local day, file and queue.

    Args:
        files: ``InputFile``-like objects (``path``, ``name``) of this format.
        profile: Supplies the time zone of the local dates.

    Returns:
        Aggregated core rows, the ledger and an ``intervals`` table (calls offered, answered
        and abandoned per local half hour and queue).

    Raises:
        InputError: A required column is missing, a ``ContactId`` or ``InitiationTimestamp`` is
            empty, or a timestamp cannot be read (the message names the file and line).
    """
    columns: dict[str, list[str]] = {}
    scans = [_records(i, Path(f.path), f.name, columns) for i, f in enumerate(files)]
    with _engine() as con:
        tally = _tally(con, scans, profile.timezone) if scans else None
    ledger = LedgerBuilder(FORMAT)
    names = [f.name for f in files]
    contacts, intervals = _tables(tally, names, ledger)
    notes = [
        "Amazon Connect: answered VOICE calls (Agent.ConnectedToAgentTimestamp present), "
        f"deduplicated by ContactId keeping the latest LastUpdateTimestamp, counted on the "
        f"local date ({profile.timezone}) of InitiationTimestamp."
    ]
    return SourceResult(
        contacts=contacts,
        ledger=ledger,
        notes=notes,
        tables={"intervals": intervals},
        columns=columns,
    )


@contextmanager
def _engine() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with bounded memory, spilling to a folder removed afterwards."""
    spill = tempfile.mkdtemp(prefix="contacts311-duckdb-")
    config = {
        "threads": _THREADS or os.cpu_count() or 1,
        "memory_limit": _MEMORY_LIMIT,
        "temp_directory": spill,
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(config=config)
    try:
        # A timestamp without a zone is UTC; a library must not draw progress bars.
        con.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _tally(con: duckdb.DuckDBPyConnection, scans: list[_Scan], timezone: str) -> pd.DataFrame:
    """Run the counting rule; a bad record or unreadable file raises :class:`InputError`."""
    query = _COUNT.format(records=" UNION ALL ".join(s.sql for s in scans))
    try:
        tally = con.execute(query, {"tz": timezone, "minutes": _INTERVAL_MINUTES}).df()
    except duckdb.Error as exc:  # a file the engine cannot parse: find which, name the line
        for scan in scans:
            try:
                con.execute(f"SELECT count(*) FROM ({scan.sql})").fetchall()
            except duckdb.Error as own:
                raise _engine_error(scan, own) from None
        raise InputError(scans[0].path, f"cannot read Amazon Connect records ({exc})") from None
    if tally["problems"].sum():  # find the first, file by file (a second pass)
        for scan in scans:
            if (found := _problem(con, scan)) is not None:
                raise found
    return tally


def _tables(
    tally: pd.DataFrame | None, names: list[str], ledger: LedgerBuilder
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger entries, the core rows and the intervals table from the tally."""
    if tally is None:
        tally = pd.DataFrame(
            columns=["file", "class", "queue", "day", "copies_in", "interval_start", "calls"]
        )
    calls = tally
    per_class = calls.groupby(["file", "class"])["calls"].sum()
    # Every copy read is the winner or a duplicate: the files of a contact read more than once
    # are listed (``copies_in``), the others were read once, from the winner's file.
    once = calls[calls["copies_in"].isna()].groupby("file")["calls"].sum()
    more = calls[calls["copies_in"].notna()].explode("copies_in")
    read = once.add(more.groupby("copies_in")["calls"].sum(), fill_value=0)
    winners = per_class.groupby(level="file").sum()
    for i, name in enumerate(names):
        ledger.read(name, int(read.get(i, 0)))
        ledger.add(name, "duplicate", "duplicate", int(read.get(i, 0) - winners.get(i, 0)))
    for i, name in enumerate(names):
        counted = int(per_class.get((i, "counted"), 0))
        ledger.add(name, "counted", "", counted, counted)
        for reason in _REASONS:
            ledger.add(name, "excluded", reason, int(per_class.get((i, reason), 0)))

    answered = calls[calls["class"] == "counted"]
    days = answered.groupby(["file", "day", "queue"], dropna=False, sort=True)["calls"].sum()
    days = days.reset_index()
    core = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(days["day"]).astype("datetime64[us]"),
            "channel": pd.Series("phone", index=days.index, dtype="string"),
            "count": days["calls"].astype("int64"),
            "source": pd.Series(FORMAT, index=days.index, dtype="string"),
            "source_file": pd.array([names[int(i)] for i in days["file"]], dtype="string"),
            "contact_id": pd.Series(pd.NA, index=days.index, dtype="string"),
            "queue": pd.array(days["queue"], dtype="string"),
            # One counted record per answered call: the pipeline moves this many ledger rows
            # when a day turns out to be in the future.
            "ledger_rows": days["calls"].astype("int64"),
        }
    ).reset_index(drop=True)

    # Intervals (for staffing): voice calls that reached a queue, per local half hour.
    queued = calls[(calls["class"] != "not_voice") & calls["queue"].notna()]
    queued = queued.assign(acd=queued["calls"].where(queued["class"] == "counted", 0))
    slots = queued.groupby(["day", "interval_start", "queue"], sort=True)[["calls", "acd"]].sum()
    slots = slots.reset_index()
    unknown = pd.array([pd.NA] * len(slots), dtype="Int64")
    intervals = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(slots["day"]),
            "interval_start": slots["interval_start"],
            "interval_minutes": _INTERVAL_MINUTES,
            "queue": pd.array(slots["queue"], dtype="string"),
            "calls_offered": slots["calls"],
            "acd_calls": slots["acd"],
            "abandoned_calls": slots["calls"] - slots["acd"],
            # Handle and staffed times are not in contact records in a comparable form.
            "acd_time_seconds": unknown,
            "acw_time_seconds": unknown.copy(),
            "staffed_seconds": unknown.copy(),
        },
        columns=list(INTERVAL_COLUMNS),
    ).astype(INTERVAL_COLUMNS)
    return core, intervals


# --------------------------------------------------------------------------- one SELECT per file


@dataclass
class _Scan:
    """One file as the ``records`` of :data:`_COUNT`: a ``SELECT`` of the columns it needs."""

    file: int  # position in reading order: ties go to the lower one
    path: Path
    sql: str
    json_lines: bool
    zoned: bool  # its first timestamps carry a zone, so every one must
    names: dict[str, str]  # meaning -> the column's name in the file


def _records(file: int, path: Path, name: str, columns: dict[str, list[str]]) -> _Scan:
    head = read_head(path)
    if head.lstrip("\ufeff").lstrip().startswith("{"):
        return _json_records(file, path, head, name, columns)
    return _csv_records(file, path, head, name, columns)


def _select(file: int, raw: dict[str, str], zoned: bool, source: str, checks: str = "") -> str:
    """The ``records`` columns from ``raw`` text expressions (meaning -> SQL) of one file."""
    init, upd = raw[INITIATED], raw[UPDATED]
    zone = f"OR NOT regexp_matches({init}, '{_ZONED}') OR NOT regexp_matches({upd}, '{_ZONED}')"
    return f"""
        SELECT {file} AS file, ordinality AS row,
               -- A canonical UUID (what Amazon writes) is the same contact in either case.
               CASE WHEN length({raw[ID]}) = 36 THEN lower({raw[ID]}) ELSE {raw[ID]} END AS id,
               CASE WHEN upper(trim({raw[CHANNEL]})) IS DISTINCT FROM 'VOICE' THEN 'not_voice'
                    WHEN {raw[CONNECTED]} IS NULL THEN 'not_answered' ELSE 'counted' END AS class,
               try_cast({init} AS TIMESTAMPTZ) AS initiated,
               try_cast({upd} AS TIMESTAMPTZ) AS updated,
               nullif(trim({raw[QUEUE]}), '') AS queue, {init} AS initiated_text,
               {upd} AS updated_text, id IS NULL AS no_id,
               coalesce(id IS NULL OR initiated IS NULL OR (updated IS NULL AND {upd} IS NOT NULL)
                        {zone if zoned else ""} {checks}, false) AS problem
        FROM {source} WITH ORDINALITY"""


def _csv_records(file: int, path: Path, head: str, name: str, columns: dict) -> _Scan:
    text = head.lstrip("\ufeff")
    header = _split_header(text.splitlines()[0]) if text.strip() else []
    columns[name] = [h.strip() for h in header]
    position = {}
    for i, h in enumerate(header):
        position.setdefault(_norm(h), i)
    missing = [c for c in _REQUIRED if _norm(c) not in position]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)}; expected Amazon Connect contact records with "
            f"{', '.join(_NEEDED)}",
            line=1,
        )
    at = {c: position[_norm(c)] for c in _NEEDED if _norm(c) in position}
    raw = {c: f"c{at[c]}" if c in at else "NULL::VARCHAR" for c in _NEEDED}
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    # Line ends are detected, except a bare CR (old Mac exports), which must be named.
    new_line = ", new_line = '\\r'" if "\n" not in text and "\r" in text else ""
    source = (
        f"read_csv({_literal(path)}, header = true, auto_detect = false, columns = {{{types}}}, "
        f"delim = ',', quote = '\"', escape = '\"'{new_line}, "
        f"compression = '{'gzip' if is_gzip(path) else 'none'}')"
    )
    zoned = _zoned(_csv_timestamps(text.splitlines()[1:-1], at))
    names = {c: header[i].strip() for c, i in at.items()}
    return _Scan(file, path, _select(file, raw, zoned, source), False, zoned, names)


def _json_records(file: int, path: Path, head: str, name: str, columns: dict) -> _Scan:
    columns[name] = list(_NEEDED)
    fields = (ID, CHANNEL, INITIATED, "Queue", "Agent", UPDATED)
    types = ", ".join(f"'{f}': 'JSON'" for f in fields)
    source = (
        f"read_json({_literal(path)}, format = 'newline_delimited', columns = {{{types}}}, "
        f"compression = '{'gzip' if is_gzip(path) else 'none'}')"
    )
    raw = {c: f"{c}->>'$'" for c in (ID, CHANNEL, INITIATED, UPDATED)}
    raw[QUEUE], raw[CONNECTED] = "Queue->>'Name'", "Agent->>'ConnectedToAgentTimestamp'"
    # What the JSON reader would accept as text or an object is checked here, so that a
    # wrong type is a problem with a line rather than a value quietly converted.
    kinds = {f: "VARCHAR" for f in (ID, CHANNEL, INITIATED, UPDATED)} | {
        "Queue": "OBJECT",
        "Agent": "OBJECT",
        "Queue, '$.Name'": "VARCHAR",
        "Agent, '$.ConnectedToAgentTimestamp'": "VARCHAR",
    }
    checks = " ".join(f"OR json_type({f}) NOT IN ('{k}', 'NULL')" for f, k in kinds.items())
    zoned = _zoned(_json_timestamps(head.splitlines()[:-1]))
    names = {c: c for c in _NEEDED}
    return _Scan(file, path, _select(file, raw, zoned, source, checks), True, zoned, names)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _norm(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _split_header(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)), [])


def _zoned(values: Iterator[Any]) -> bool:
    """Whether the timestamps in a file's first lines all carry a zone (``Z`` or an offset).

    Amazon Connect always writes UTC with ``Z``; exports re-saved by other tools may drop it,
    and such a file is read tolerantly (no zone means UTC). Once a file starts with zones, a
    value without one is an error: it is most likely local time that would be read as UTC.
    """
    return all(not isinstance(v, str) or not v.strip() or re.search(_ZONED, v) for v in values)


def _csv_timestamps(lines: list[str], at: dict[str, int]) -> Iterator[Any]:
    for line in [line for line in lines if line.strip()][:50]:
        cells = _split_header(line)
        yield from (cells[at[k]] if at[k] < len(cells) else "" for k in _TIMESTAMPS)


def _json_timestamps(lines: list[str]) -> Iterator[Any]:
    for line in [line for line in lines if line.strip()][:50]:
        try:
            record = json.loads(line)
        except ValueError:
            yield "?"  # unreadable: read tolerantly
            continue
        yield from (record.get(k) if isinstance(record, dict) else None for k in _TIMESTAMPS)


# --------------------------------------------------------------------------- errors


def _problem(con: duckdb.DuckDBPyConnection, scan: _Scan) -> InputError | None:
    """The first record of ``scan`` that cannot be counted, explained (``None``: none)."""
    found = con.execute(
        f"SELECT row, no_id, initiated_text, initiated IS NULL, updated_text, updated IS NULL "
        f"FROM ({scan.sql}) WHERE problem ORDER BY row LIMIT 1"
    ).fetchone()
    if found is None:
        return None
    row, no_id, *stamps = found
    if scan.json_lines:
        line, text = _nth_record(scan.path, row)
        record = json.loads(text)
        explained = _json_record_problem(record)
        if explained is not None:
            return InputError(scan.path, explained[0], line=line, column=explained[1])
    else:
        line = row + 1  # the header is line 1
    if no_id:
        return InputError(
            scan.path, "expected a ContactId on every record, found an empty one", line=line
        )
    if stamps[0] is None:
        return InputError(
            scan.path,
            "expected an InitiationTimestamp on every record, found an empty one",
            line=line,
        )
    utc = " UTC" if scan.zoned else ""
    for meaning, (text, unreadable) in zip(_TIMESTAMPS, (stamps[:2], stamps[2:]), strict=True):
        if text is not None and (unreadable or (scan.zoned and not re.search(_ZONED, text))):
            return InputError(
                scan.path,
                f"expected an ISO-8601{utc} timestamp {_TS_EXAMPLE}, got {text.strip()!r}",
                line=line,
                column=scan.names[meaning],
            )
    fields = {k: record.get(k) for k in (ID, INITIATED, UPDATED)} if scan.json_lines else {}
    return _json_error(scan.path, f"got {json.dumps(fields)}", line=line)


def _engine_error(scan: _Scan, exc: duckdb.Error) -> InputError:
    """A file DuckDB cannot parse: the line it stopped at, in a few words (no values)."""
    words = str(exc).splitlines()
    if scan.json_lines:
        with open_binary(scan.path) as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except ValueError:
                    return InputError(
                        scan.path,
                        "expected one JSON contact record per line, found text that is not JSON",
                        line=number,
                    )
                if not isinstance(record, dict):
                    return InputError(
                        scan.path,
                        "expected a JSON object (one contact record) on every line",
                        line=number,
                    )
        return _json_error(scan.path, words[0])
    line = re.search(r"Line: (\d+)", words[0])
    expected = [w for w in words if w.startswith("Expected Number of Columns")]
    return InputError(
        scan.path,
        f"cannot read as Amazon Connect contact records ({'; '.join([words[0], *expected])})",
        line=int(line.group(1)) if line else None,
    )


def _json_error(path: Path, detail: str, line: int | None = None) -> InputError:
    msg = " ".join(detail.split())
    return InputError(
        path,
        f"expected one JSON contact record per line with ISO-8601 timestamps ({msg})",
        line=line,
    )


def _nth_record(path: Path, row: int) -> tuple[int, str]:
    """The line number and text of the ``row``-th record (non-blank line) of a JSON-lines file."""
    seen = 0
    with open_binary(path) as fh:
        for number, raw in enumerate(fh, start=1):
            seen += bool(raw.strip())
            if seen == row:
                return number, raw.decode("utf-8", "replace")
    raise AssertionError(f"{path} has fewer than {row} records")  # the engine read them


def _json_record_problem(record: object) -> tuple[str, str | None] | None:
    """What is wrong in one JSON record, if a check can tell: (message, field)."""
    if not isinstance(record, dict):
        return "expected a JSON object (one contact record) on every line", None
    for key in (ID, CHANNEL):
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"expected text in {key}, got {record[key]!r}", key
    for key, inner in (("Queue", "Name"), ("Agent", "ConnectedToAgentTimestamp")):
        value = record.get(key)
        if value is not None and not isinstance(value, dict):
            return f"expected an object (or null) in {key}, got {value!r}", key
        if value and value.get(inner) is not None and not isinstance(value[inner], str):
            return f"expected text in {key}.{inner}, got {value[inner]!r}", f"{key}.{inner}"
    for key in _TIMESTAMPS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"expected an ISO-8601 UTC timestamp {_TS_EXAMPLE}, got {value!r}", key
    return None
