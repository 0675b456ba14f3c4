"""Data-lake tables of tickets, ticket events or audits, and users: Parquet or flattened CSV.

A data lake holds each Zendesk table as columns: nested (``via`` a struct with ``channel``,
``custom_fields`` a list of ``{id, value}`` structs, ``user_fields`` a struct) or flattened
(``via_channel``, ``field_<id>``, ``user_fields_<name>``), ids as integers, floats or text, times
as timestamps or ISO-8601 text. Only the columns the rules need are read (column projection:
subjects, descriptions, requesters and comments are never read); they are put in the shape of
the incremental export and go through the same code (:mod:`.json_records`). A gzip-compressed
Parquet table is read like a plain one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from contacts311.errors import InputError
from contacts311.profile import TicketRules
from contacts311.sources._base import parquet_columns, plain_parquet
from contacts311.sources.zendesk.envelopes import record_kind
from contacts311.sources.zendesk.json_records import (
    ArrowColumns,
    event_records,
    ticket_records,
    user_records,
)
from contacts311.sources.zendesk.parsed import Parsed

_FIELD = re.compile(r"field_(\d+)$")

_EXPECTED = (
    "the columns of Zendesk tickets (id, created_at, status, custom_fields or via), ticket "
    "events (ticket_id, updater_id, created_at), ticket audits (ticket_id, author_id, "
    "created_at, events) or users (id, role or user_fields)"
)


def table_kind(columns: list[str]) -> str | None:
    """Which Zendesk table column names describe (``None`` if none), struct fields dotted."""
    names = {c.strip().lower() for c in columns}
    if names & {"via.channel", "via_channel"}:
        names.add("via")
    if any(c.startswith(("user_fields.", "user_fields_")) for c in names):
        names.add("user_fields")
    if "ticket_id" in names and "author_id" in names:
        names.add("events")  # an audit's events list may be left out of a flattened table
    return record_kind(dict.fromkeys(names))


def parse_parquet(
    path: Path, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> Parsed:
    """Read a Parquet table of tickets, ticket events, audits or users (needed columns only).

    A gzip-compressed table (``tickets.parquet.gz``) is read from a decompressed temporary
    copy, removed afterwards (:func:`~contacts311.sources._base.plain_parquet`).

    Raises:
        InputError: Columns of no Zendesk table, a missing id or time, an unreadable time.
    """
    with plain_parquet(path) as local:
        return _parse_local_parquet(local, name, rules, lookup, tz)


def _parse_local_parquet(
    path: Path, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> Parsed:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    columns = parquet_columns(path)
    try:
        table = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(name, f"not a readable Parquet table ({exc}); re-export it") from None

    def read(column: str) -> Any:
        # One column (or one struct field) at a time: Parquet stores each apart, and the
        # result's name is then never ambiguous (``via.channel`` comes back as ``channel``).
        col = table.read(columns=[column]).column(0).combine_chunks()
        for part in column.split(".")[1:]:  # the struct read holds only the field asked for
            if pa.types.is_struct(col.type):
                col = pc.struct_field(col, part)
        return col

    with table:  # closed before a decompressed copy is removed
        return _parse_table(columns, read, name, rules, lookup, tz)


def parse_flat_csv(
    text: str, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> Parsed:
    """Read a flattened table saved as CSV (``id,created_at,status,via_channel,...``)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]), [])
    # One pass of the parser for every column the rules may need; the rest are skipped.
    wanted = [h for h in dict.fromkeys(header) if _maybe_needed(h)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string())
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(name, f"not a readable CSV table ({exc})") from None

    def read(column: str) -> Any:
        return table.column(column).combine_chunks()

    return _parse_table(header, read, name, rules, lookup, tz)


_NEEDED = {
    "id",
    "created_at",
    "updated_at",
    "status",
    "tags",
    "current_tags",
    "custom_fields",
    "via",
    "via.channel",
    "via_channel",
    "ticket_id",
    "updater_id",
    "author_id",
    "role",
    "default_group_id",
    "user_fields",
}


def reads_parquet_column(column: str) -> bool:
    """Whether a data-lake table's column (dotted for a struct's field) may be read.

    A superset of what :func:`parse_parquet` reads, for copying remote tables column by column
    (:mod:`contacts311.remote_parquet`).
    """
    return _maybe_needed(column)


def _maybe_needed(column: str) -> bool:
    """Whether the rules may read a column (subjects, names, bodies: never)."""
    c = column.strip().lower()
    return c in _NEEDED or bool(_FIELD.match(c)) or c.startswith(("user_fields.", "user_fields_"))


def _parse_table(
    columns: list[str],
    read: Any,
    name: str,
    rules: TicketRules,
    lookup: dict[str, str],
    tz: str,
) -> Parsed:
    """One table from its column names and a function reading one column as Arrow."""
    kind = table_kind(columns)
    if kind is None:
        shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
        raise InputError(name, f"a table with columns {shown}; expected {_EXPECTED}")
    by_name = {c.strip().lower(): c for c in reversed(columns)}  # the first of each wins
    lines = _Records()
    if kind == "tickets":
        cols = ArrowColumns(_tickets(by_name, read, name))
        frame = ticket_records(cols, lines, name, rules, lookup, tz)
    elif kind in ("ticket_events", "audits"):
        author = "updater_id" if kind == "ticket_events" else "author_id"
        table = _plain(by_name, read, ["ticket_id", author, "created_at"])
        frame = event_records(ArrowColumns(table), lines, name, author)
        kind = "ticket_events"
    else:
        table = _users(by_name, read, rules.agent_user_field, name)
        frame = user_records(ArrowColumns(table), lines, name, rules.agent_user_field)
    return Parsed(kind, frame, list(columns), len(frame))


class _Records:
    """A table's rows have no line: messages name the record (row) number instead."""

    def __getitem__(self, i: int) -> int:
        return -1


def _plain(by_name: dict[str, str], read: Any, keys: list[str]) -> Any:
    """The columns ``keys`` as text (ids, times and statuses alike); missing ones left out."""
    import pyarrow as pa

    arrays = {k: _text(read(by_name[k])) for k in keys if k in by_name}
    return pa.table(arrays) if arrays else pa.table({})


def _text(col: Any) -> Any:
    """A column as text: times as ISO-8601 UTC (a time without a zone is UTC, as Zendesk's)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(col.type):
        if col.type.tz is None:
            col = pc.assume_timezone(col, "UTC")
        return pc.strftime(col.cast(pa.timestamp(col.type.unit, "UTC")), "%Y-%m-%dT%H:%M:%SZ")
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_floating(col.type):
        # Whole-number floats (ids written by a pipeline tool) as integer digits.
        whole = pc.equal(col, pc.floor(col)).fill_null(False)
        digits = pc.cast(pc.cast(col, pa.int64(), safe=False), pa.string())
        return pc.if_else(whole, digits, pc.cast(col, pa.string()))
    return col if pa.types.is_string(col.type) else pc.cast(col, pa.string())


def _tickets(by_name: dict[str, str], read: Any, name: str) -> Any:
    """The ticket columns in the incremental export's shape (tags, custom_fields, via)."""
    import pyarrow as pa

    table = _plain(by_name, read, ["id", "created_at", "updated_at", "status"])
    n = _rows(table, by_name, read)
    tags_col = by_name.get("tags", by_name.get("current_tags"))
    tags = _tag_lists(read(tags_col)) if tags_col else pa.nulls(n, pa.list_(pa.string()))
    fields = _custom_fields(by_name, read, n, name)
    via_col = next(
        (by_name[k] for k in ("via.channel", "via_channel", "via") if k in by_name), None
    )
    via = read(via_col) if via_col else pa.nulls(n, pa.string())
    if pa.types.is_struct(via.type):  # a ``via`` struct read whole (a CSV has none)
        has = any(f.name == "channel" for f in via.type)
        via = via.field("channel") if has else pa.nulls(n, pa.string())
    via = _text(via)
    via = pa.StructArray.from_arrays([via], ["channel"])
    return (
        table.append_column("tags", tags)
        .append_column("custom_fields", fields)
        .append_column("via", via)
    )


def _rows(table: Any, by_name: dict[str, str], read: Any) -> int:
    if table.num_columns:
        return table.num_rows
    return len(read(next(iter(by_name.values()))))


def _tag_lists(col: Any) -> Any:
    """Tags as lists of text: a list column as it is, a text column split at spaces/commas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        return pc.cast(col, pa.list_(pa.string()))
    text = pc.utf8_trim_whitespace(_text(col))
    return pc.split_pattern_regex(text, r"[\s,]+")


def _field_type() -> Any:
    """list<struct<id: string, value: string>>: custom fields with ids and values as text."""
    import pyarrow as pa

    return pa.list_(pa.struct([("id", pa.string()), ("value", pa.string())]))


def _custom_fields(by_name: dict[str, str], read: Any, n: int, name: str) -> Any:
    """Each ticket's custom fields as a list of ``{id, value}`` (ids and values as text).

    From a ``custom_fields`` list of structs, the same list as JSON text, or ``field_<id>``
    columns (one per field, as the legacy export and flattened tables have them).
    """
    import pyarrow as pa

    if "custom_fields" in by_name:
        col = read(by_name["custom_fields"])
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            items = col.flatten()
            if pa.types.is_struct(items.type) and {"id", "value"} <= {f.name for f in items.type}:
                ids, values = _text(items.field("id")), _value_text(items.field("value"))
                flat = pa.StructArray.from_arrays([ids, values], ["id", "value"])
                return pa.ListArray.from_arrays(_offsets(col), flat, mask=col.is_null())
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            return _fields_from_json(col, name)
        raise InputError(
            name,
            f"custom_fields of type {col.type}; expected a list of {{id, value}} or JSON text",
            column=by_name["custom_fields"],
        )
    flat_cols = [(m.group(1), c) for k, c in by_name.items() if (m := _FIELD.match(k))]
    if not flat_cols:
        return pa.nulls(n, _field_type())
    rows = [[] for _ in range(n)]
    for field_id, column in flat_cols:
        for i, v in enumerate(_value_text(read(column)).to_pylist()):
            rows[i].append({"id": field_id, "value": v})
    return pa.array(rows, type=_field_type())


def _offsets(col: Any) -> Any:
    import pyarrow as pa

    offsets = col.offsets
    if pa.types.is_large_list(col.type):
        offsets = offsets.cast(pa.int32())
    return offsets


def _value_text(values: Any) -> Any:
    """Custom field values as text: a checkbox ``true``/``false``, a multi-select joined."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "true", "false")
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        return pc.binary_join(pc.cast(values, pa.list_(pa.string())), " ")
    return _text(values)


def _fields_from_json(col: Any, name: str) -> Any:
    """``custom_fields`` kept as JSON text by a pipeline tool, one list per row."""
    import pyarrow as pa

    rows = []
    for i, text in enumerate(col.to_pylist()):
        try:
            items = json.loads(text) if text else None
        except ValueError:
            raise InputError(
                name,
                f"custom_fields of row {i + 1} is not JSON; expected a list of {{id, value}}",
                column="custom_fields",
            ) from None
        if not isinstance(items, list):
            rows.append(None)
            continue
        rows.append(
            [
                {"id": _plain_text(f.get("id")), "value": _plain_text(f.get("value"))}
                for f in items
                if isinstance(f, dict)
            ]
        )
    return pa.array(rows, type=_field_type())


def _plain_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _users(by_name: dict[str, str], read: Any, user_field: str, name: str) -> Any:
    """The user columns, with ``user_fields`` holding only the one field the rules name."""
    import pyarrow as pa

    table = _plain(by_name, read, ["id", "role", "default_group_id"])
    n = _rows(table, by_name, read)
    tags = (
        _tag_lists(read(by_name["tags"]))
        if "tags" in by_name
        else pa.nulls(n, pa.list_(pa.string()))
    )
    table = table.append_column("tags", tags)
    if not user_field:
        return table
    key = user_field.strip().lower()
    values = None
    for flat in (f"user_fields.{key}", f"user_fields_{key}"):
        if flat in by_name:
            values = read(by_name[flat])
            break
    if values is None and "user_fields" in by_name:
        values = _user_field_from(read(by_name["user_fields"]), user_field)
    if values is None:
        values = pa.nulls(n, pa.string())
    return table.append_column("user_fields", pa.StructArray.from_arrays([values], [user_field]))


def _user_field_from(col: Any, user_field: str) -> Any:
    """One field of a ``user_fields`` column kept as JSON text or as a map."""
    import pyarrow as pa

    if pa.types.is_map(col.type):
        rows = [dict(r) if r is not None else {} for r in col.to_pylist()]
    else:
        rows = []
        for text in _text(col).to_pylist():
            try:
                value = json.loads(text) if text else {}
            except ValueError:
                value = {}
            rows.append(value if isinstance(value, dict) else {})
    return pa.array([_plain_text(r.get(user_field)) for r in rows], type=pa.string())
