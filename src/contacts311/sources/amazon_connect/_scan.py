"""One ``SELECT`` per file: every shape a contact record arrives in, read by DuckDB's own readers.

* CSV (``read_csv``): flattened records with dotted names (``Agent.ConnectedToAgentTimestamp``)
  or the lower-case underscored names Athena and Glue give them
  (``agent_connectedtoagenttimestamp``); names are matched by :func:`_fields.norm`.
* JSON (``read_json``): one record per line (``newline_delimited``, read in parallel); an array
  of records (``array``); records pretty-printed over many lines or written back to back with
  no separator, as Kinesis Data Firehose delivers them (``unstructured``).
* Parquet (``read_parquet``): nested structs (``Agent`` with ``ConnectedToAgentTimestamp``) or
  flattened columns, text or typed timestamps.

Gzip is recognised by its magic bytes: CSV and JSON are read through DuckDB's gzip reader; a
gzip-compressed Parquet table (``records.parquet.gz``) is read from a decompressed temporary copy
(:func:`~contacts311.sources._base.plain_parquet`, made by the caller), since Parquet is read by
seeking.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from contacts311.errors import InputError
from contacts311.sources._base import HEAD_BYTES, is_gzip, is_parquet, open_binary, read_head
from contacts311.sources.amazon_connect import _fields as f
from contacts311.sources.amazon_connect._json_values import iter_values, json_shape


@dataclass
class Scan:
    """One file as ``records`` of the counting rule: a ``SELECT`` of the columns it needs."""

    file: int  # position in reading order: ties go to the lower one
    path: Path
    sql: str  # with each record's position in the file (``row``), for ties and messages
    unnumbered: str  # the same with ``row`` NULL: read faster, in parallel
    shape: str  # csv, parquet, or read_json's format: newline_delimited, array, unstructured
    zoned: bool  # its first timestamps carry a zone, so every one must
    names: dict[str, str]  # meaning -> the column's name in the file


def records(
    file: int, path: Path, name: str, columns: dict[str, list[str]], local: Path | None = None
) -> Scan:
    """The scan of one file, by its content (Parquet magic bytes, a JSON opening, else CSV).

    Args:
        file: Its position in reading order.
        path: The file, as messages name it.
        name: Its name in the ledger.
        columns: ``SourceResult.columns``, filled in for this file.
        local: The file to read instead of ``path`` (a gzip-compressed Parquet table's
            decompressed copy, which must outlive the scan's query).
    """
    if is_parquet(local or path):
        return _parquet(file, path, name, columns, local)
    head = read_head(path)
    _not_empty(path, head)
    if head.lstrip("\ufeff").lstrip().startswith(("{", "[")):
        return _json(file, path, head, name, columns)
    return _csv(file, path, head, name, columns)


def _not_empty(path: Path, head: str) -> None:
    """Name an empty file as such, in the words used when it is found without a profile.

    Raises:
        InputError: The file is empty (0 bytes) or holds nothing but white space.
    """
    if head.lstrip("\ufeff").strip() or not _holds_all(path):
        return
    what = "0 bytes" if path.stat().st_size == 0 else "nothing but white space"
    raise InputError(
        path, f"empty file ({what}); expected an export with a header row (re-export it)", line=1
    )


def _whole_lines(head: str, path: Path) -> list[str]:
    """The lines of ``head`` (a file's first :data:`HEAD_BYTES`) that are not cut short.

    The last line is dropped only when the head's size may have cut it: not when the head
    ends with a line end, nor when it holds the whole file (a file of one record, or one
    without a final line end, keeps its only record in the sample).
    """
    lines = head.splitlines()
    if lines and not head.endswith(("\n", "\r")) and not _holds_all(path):
        lines.pop()
    return lines


def _holds_all(path: Path) -> bool:
    """Whether the file (un-gzipped) ends within its first :data:`HEAD_BYTES`."""
    try:
        with open_binary(path) as fh:
            fh.read(HEAD_BYTES)
            return not fh.read(1)
    except (OSError, EOFError):  # a truncated gzip: read_head got what it could
        return False


def selects(
    file: int, raw: dict[str, str], zoned: bool, source: str, checks: str = ""
) -> tuple[str, str]:
    """One file's ``records`` from ``raw`` text expressions (meaning -> SQL), numbered and not.

    The first gives ``row``, each record's position in the file (``ordinality``); the second
    leaves it NULL, which DuckDB reads in parallel, faster.
    """
    return (
        _select(file, raw, zoned, f"{source} WITH ORDINALITY", checks, "ordinality"),
        _select(file, raw, zoned, source, checks, "NULL::BIGINT"),
    )


def _select(file: int, raw: dict[str, str], zoned: bool, source: str, checks: str, row: str) -> str:
    """The ``records`` columns from ``raw`` text expressions (meaning -> SQL) of one file."""
    init, upd = raw[f.INITIATED], raw[f.UPDATED]
    zone = f"OR NOT regexp_matches({init}, '{f.ZONED}') OR NOT regexp_matches({upd}, '{f.ZONED}')"
    # A blank id (JSON "", a CSV cell of spaces) is no id: an error, never one shared contact.
    cid, initial, previous = (
        _uid(f"nullif(trim({raw[k]}), '')") for k in (f.ID, f.INITIAL, f.PREVIOUS)
    )
    return f"""
        SELECT {file} AS file, {row} AS row, {cid} AS id,
               coalesce({initial}, {previous}, id) AS root,
               {initial} IS NULL AND {previous} IS NOT NULL AS follows,
               CASE WHEN upper(trim({raw[f.CHANNEL]})) IS DISTINCT FROM 'VOICE' THEN 'not_voice'
                    WHEN upper(trim({raw[f.METHOD]})) = 'OUTBOUND' THEN 'outbound'
                    ELSE 'voice' END AS kind,
               {raw[f.CONNECTED]} IS NOT NULL AS answered,
               try_cast({init} AS TIMESTAMPTZ) AS initiated,
               try_cast({upd} AS TIMESTAMPTZ) AS updated,
               nullif(trim({raw[f.QUEUE]}), '') AS queue, {init} AS initiated_text,
               {upd} AS updated_text, id IS NULL AS no_id,
               coalesce(id IS NULL OR initiated IS NULL OR (updated IS NULL AND {upd} IS NOT NULL)
                        {zone if zoned else ""} {checks}, false) AS problem
        FROM {source}"""


def _uid(sql: str) -> str:
    # A canonical UUID (what Amazon writes) is the same contact in either case.
    return f"CASE WHEN length({sql}) = 36 THEN lower({sql}) ELSE {sql} END"


def _missing(path: Path, found: set[str], line: int | None) -> None:
    missing = [c for c in f.REQUIRED if f.norm(c) not in found]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)}; expected Amazon Connect contact records with "
            f"{', '.join(f.EXPECTED)}",
            line=line,
        )


def _compression(path: Path) -> str:
    return f"compression = '{'gzip' if is_gzip(path) else 'none'}'"


def _csv(file: int, path: Path, head: str, name: str, columns: dict) -> Scan:
    text = head.lstrip("\ufeff")
    header = f.split_header(text.splitlines()[0]) if text.strip() else []
    columns[name] = [h.strip() for h in header]
    position: dict[str, int] = {}
    for i, h in enumerate(header):
        position.setdefault(f.norm(h), i)
    _missing(path, set(position), line=1)
    at = {c: position[f.norm(c)] for c in f.NEEDED if f.norm(c) in position}
    raw = {c: f"c{at[c]}" if c in at else "NULL::VARCHAR" for c in f.NEEDED}
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    # Line ends are detected, except a bare CR (old Mac exports), which must be named.
    new_line = ", new_line = '\\r'" if "\n" not in text and "\r" in text else ""
    source = (
        f"read_csv({_literal(path)}, header = true, auto_detect = false, columns = {{{types}}}, "
        f"delim = ',', quote = '\"', escape = '\"'{new_line}, {_compression(path)})"
    )
    stamps = []
    for line in [line for line in _whole_lines(text, path)[1:] if line.strip()][:50]:
        cells = f.split_header(line)
        stamps += [cells[at[k]] if at[k] < len(cells) else "" for k in f.TIMESTAMPS]
    zoned = f.zoned(stamps)
    names = {c: header[i].strip() for c, i in at.items()}
    return Scan(file, path, *selects(file, raw, zoned, source), "csv", zoned, names)


def _json(file: int, path: Path, head: str, name: str, columns: dict) -> Scan:
    columns[name] = list(f.NEEDED)
    shape = json_shape(head)
    top = (f.ID, f.INITIAL, f.PREVIOUS, f.CHANNEL, f.METHOD, f.INITIATED, "Queue", "Agent")
    types = ", ".join(f"'{k}': 'JSON'" for k in (*top, f.UPDATED))
    source = (
        f"read_json({_literal(path)}, format = '{shape}', columns = {{{types}}}, "
        f"{_compression(path)})"
    )
    texts = (f.ID, f.INITIAL, f.PREVIOUS, f.CHANNEL, f.METHOD, f.INITIATED, f.UPDATED)
    raw = {c: f"{c}->>'$'" for c in texts}
    raw[f.QUEUE], raw[f.CONNECTED] = "Queue->>'Name'", "Agent->>'ConnectedToAgentTimestamp'"
    # What the JSON reader would accept as text or an object is checked here, so that a
    # wrong type is a problem with a line rather than a value quietly converted.
    kinds = {k: "VARCHAR" for k in texts} | {
        "Queue": "OBJECT",
        "Agent": "OBJECT",
        "Queue, '$.Name'": "VARCHAR",
        "Agent, '$.ConnectedToAgentTimestamp'": "VARCHAR",
    }
    checks = " ".join(f"OR json_type({k}) NOT IN ('{v}', 'NULL')" for k, v in kinds.items())
    zoned = f.zoned(_json_timestamps(head, shape, path))
    names = {c: c for c in f.NEEDED}
    return Scan(file, path, *selects(file, raw, zoned, source, checks), shape, zoned, names)


def _json_timestamps(head: str, shape: str, path: Path) -> list[Any]:
    """The timestamps of the first (up to 50) complete records in ``head``."""
    text = head.lstrip("\ufeff")
    if shape == "newline_delimited":
        text = "\n".join(_whole_lines(text, path))
    out: list[Any] = []
    try:
        for n, (_, record) in enumerate(iter_values(text, array=shape == "array")):
            if n == 50:
                break
            out += [record.get(k) if isinstance(record, dict) else None for k in f.TIMESTAMPS]
    except ValueError:  # a line that is not JSON: read tolerantly (else the head was cut short)
        if shape == "newline_delimited":
            out.append("?")
    return out


def _parquet(file: int, path: Path, name: str, columns: dict, local: Path | None = None) -> Scan:
    import pyarrow as pa  # only a Parquet input pays for pyarrow
    import pyarrow.parquet as pq

    local = local or path
    try:
        schema = pq.read_schema(local)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(path, f"cannot read as a Parquet table ({exc})") from None
    found: dict[str, tuple[str, str, Any]] = {}  # norm(dotted) -> dotted, SQL, arrow type

    def walk(field: pa.Field, dotted: str, sql: str) -> None:
        if pa.types.is_struct(field.type):
            for child in field.type:
                walk(child, f"{dotted}.{child.name}", f'{sql}."{_ident(child.name)}"')
        else:
            found.setdefault(f.norm(dotted), (dotted, sql, field.type))

    for field in schema:
        walk(field, field.name, f'"{_ident(field.name)}"')
    columns[name] = [dotted for dotted, _, _ in found.values()]
    _missing(path, set(found), line=None)
    raw, names = {}, {}
    for meaning in f.NEEDED:
        if (hit := found.get(f.norm(meaning))) is None:
            raw[meaning] = "NULL::VARCHAR"
            continue
        dotted, sql, kind = hit
        names[meaning] = dotted
        timestamp = pa.types.is_timestamp(kind) or pa.types.is_date(kind)
        # A typed timestamp without a zone is UTC, like a text one.
        raw[meaning] = (
            f"strftime({sql}, '%Y-%m-%dT%H:%M:%S.%fZ')" if timestamp else f"CAST({sql} AS VARCHAR)"
        )
    source = f"read_parquet({_literal(local)})"
    with duckdb.connect() as con:
        first = con.execute(
            f"SELECT {raw[f.INITIATED]}, {raw[f.UPDATED]} FROM {source} LIMIT 50"
        ).fetchall()
    zoned = f.zoned(v for row in first for v in row)
    return Scan(file, path, *selects(file, raw, zoned, source), "parquet", zoned, names)


def _ident(name: str) -> str:
    return name.replace('"', '""')


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
