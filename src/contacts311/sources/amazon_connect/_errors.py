"""A record that cannot be counted, or a file that cannot be read: one line naming where and why."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from contacts311.errors import InputError
from contacts311.sources._base import open_binary
from contacts311.sources.amazon_connect import _fields as f
from contacts311.sources.amazon_connect._json_values import TRAILING_COMMA, iter_values
from contacts311.sources.amazon_connect._scan import Scan

_JSON_SHAPES = ("newline_delimited", "array", "unstructured")


def problem(con: duckdb.DuckDBPyConnection, scan: Scan) -> InputError | None:
    """The first record of ``scan`` that cannot be counted, explained (``None``: none)."""
    found = con.execute(
        f"SELECT row, no_id, initiated_text, initiated IS NULL, updated_text, updated IS NULL "
        f"FROM ({scan.sql}) WHERE problem ORDER BY row LIMIT 1"
    ).fetchone()
    if found is None:
        return None
    row, no_id, *stamps = found
    line, record = _where(scan, row)
    if scan.shape in _JSON_SHAPES:
        explained = json_record_problem(record)
        if explained is not None:
            return InputError(scan.path, explained[0], line=line, column=explained[1])
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
    for meaning, (text, unreadable) in zip(f.TIMESTAMPS, (stamps[:2], stamps[2:]), strict=True):
        if text is not None and (unreadable or (scan.zoned and not re.search(f.ZONED, text))):
            return InputError(
                scan.path,
                f"expected an ISO-8601 UTC timestamp {f.TS_EXAMPLE}, got {text.strip()!r}",
                line=line,
                column=scan.names.get(meaning, meaning),
            )
    fields = {k: record.get(k) for k in (f.ID, f.INITIATED, f.UPDATED)}
    return _json_error(scan.path, f"got {json.dumps(fields)}", line=line)


def loop(scan: Scan, row: int) -> InputError:
    """A leg whose ``PreviousContactId`` links go round in a loop, never reaching a first leg."""
    line, _ = _where(scan, row)
    return InputError(
        scan.path,
        "expected PreviousContactId to lead back to a call's first contact, found transfers "
        "linked in a loop",
        line=line,
        column=scan.names.get(f.PREVIOUS, f.PREVIOUS),
    )


def _where(scan: Scan, row: int) -> tuple[int, Any]:
    """The line of ``scan``'s ``row``-th record, and the record itself for JSON (else ``{}``)."""
    if scan.shape in _JSON_SHAPES:
        return _nth_record(scan.path, row, scan.shape)
    if scan.shape == "csv":
        return _csv_record_line(scan.path, row), {}
    return row, {}  # a Parquet table's row


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each record of a CSV file, header first, with the line it starts on (a blank line: ``[]``).

    DuckDB numbers records, not lines: a quoted cell over several lines is one record. The
    csv module reads the same quoting and says where each record starts, so the file is
    read again this way only when an error is reported.

    Raises:
        csv.Error: Text the csv module cannot read (an unclosed quote, a huge cell).
    """
    with (
        open_binary(path) as fh,
        io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace", newline="") as text,
    ):
        reader = csv.reader(text)
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1


def _csv_record_line(path: Path, row: int) -> int:
    """The line the ``row``-th record after the header starts on (``row`` as ``ordinality``).

    DuckDB's ordinality skips blank lines: the ``row``-th record is the ``row``-th one with
    cells after the header.
    """
    seen = -1  # the header is record 0
    try:
        for line, cells in _csv_records(path):
            seen += bool(cells)
            if cells and seen == row:
                return line
    except csv.Error:
        pass
    return row + 1  # the header on line 1, one line a record


def _csv_engine_line(path: Path, number: int) -> int:
    """The line DuckDB's ``CSV Error on Line: number`` starts on.

    DuckDB's number counts the header, each record and each blank line as one line, so a
    quoted cell over several lines puts it behind the file's own numbering.
    """
    try:
        for n, (line, _) in enumerate(_csv_records(path), start=1):
            if n == number:
                return line
    except csv.Error:
        pass
    return number


def engine_error(scan: Scan, exc: duckdb.Error) -> InputError:
    """A file DuckDB cannot parse: the line it stopped at, in a few words (no values)."""
    words = str(exc).splitlines()
    if scan.shape == "newline_delimited":
        with open_binary(scan.path) as fh:
            for number, raw in enumerate(fh, start=1):
                if raw.strip() and (found := _not_a_record(scan.path, raw, number)):
                    return found
        return _json_error(scan.path, words[0])
    if scan.shape in _JSON_SHAPES:
        text = _text(scan.path)
        try:
            for pos, record in iter_values(text, array=scan.shape == "array"):
                if not isinstance(record, dict):
                    return _not_an_object(scan.path, text.count("\n", 0, pos) + 1)
        except json.JSONDecodeError as bad:
            found = "a comma after the last record" if bad.msg == TRAILING_COMMA else None
            return InputError(
                scan.path,
                "expected JSON contact records (objects, or an array of them), found "
                f"{found or 'text that is not JSON'}",
                line=bad.lineno,
            )
        return _json_error(scan.path, words[0])
    found = re.search(r"Line: (\d+)", words[0]) if scan.shape == "csv" else None
    expected = [w for w in words if w.startswith("Expected Number of Columns")]
    # The engine's own line number is dropped: the error names the file's line instead.
    first = re.sub(r" on Line: \d+", "", words[0]) if found else words[0]
    return InputError(
        scan.path,
        f"cannot read as Amazon Connect contact records ({'; '.join([first, *expected])})",
        line=_csv_engine_line(scan.path, int(found.group(1))) if found else None,
    )


def json_record_problem(record: object) -> tuple[str, str | None] | None:
    """What is wrong in one JSON record, if a check can tell: (message, field)."""
    if not isinstance(record, dict):
        return "expected a JSON object (one contact record) on every line", None
    for key in (f.ID, f.INITIAL, f.PREVIOUS, f.CHANNEL, f.METHOD):
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"expected text in {key}, got {record[key]!r}", key
    for key, inner in (("Queue", "Name"), ("Agent", "ConnectedToAgentTimestamp")):
        value = record.get(key)
        if value is not None and not isinstance(value, dict):
            return f"expected an object (or null) in {key}, got {value!r}", key
        if value and value.get(inner) is not None and not isinstance(value[inner], str):
            return f"expected text in {key}.{inner}, got {value[inner]!r}", f"{key}.{inner}"
    for key in f.TIMESTAMPS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"expected an ISO-8601 UTC timestamp {f.TS_EXAMPLE}, got {value!r}", key
    return None


def _not_a_record(path: Path, raw: bytes, number: int) -> InputError | None:
    try:
        record = json.loads(raw)
    except ValueError:
        return InputError(
            path,
            "expected one JSON contact record per line, found text that is not JSON",
            line=number,
        )
    return None if isinstance(record, dict) else _not_an_object(path, number)


def _not_an_object(path: Path, line: int) -> InputError:
    return InputError(path, "expected a JSON object (one contact record) on every line", line=line)


def _json_error(path: Path, detail: str, line: int | None = None) -> InputError:
    msg = " ".join(detail.split())
    return InputError(
        path,
        f"expected JSON contact records with ISO-8601 timestamps ({msg})",
        line=line,
    )


def _text(path: Path) -> str:
    with open_binary(path) as fh:
        return fh.read().decode("utf-8", "replace").lstrip("\ufeff")


def _nth_record(path: Path, row: int, shape: str) -> tuple[int, Any]:
    """The line number and value of the ``row``-th record of a JSON file."""
    if shape == "newline_delimited":  # one record a line: no need to parse the others
        seen = 0
        with open_binary(path) as fh:
            for number, raw in enumerate(fh, start=1):
                seen += bool(raw.strip())
                if seen == row:
                    return number, json.loads(raw)
    else:
        text = _text(path)
        for n, (pos, record) in enumerate(iter_values(text, array=shape == "array"), start=1):
            if n == row:
                return text.count("\n", 0, pos) + 1, record
    raise AssertionError(f"{path} has fewer than {row} records")  # the engine read them
