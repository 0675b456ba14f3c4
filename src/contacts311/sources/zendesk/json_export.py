"""The incremental export (NDJSON, JSON pages or arrays): records as columns of kept keys."""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.profile import TicketRules
from contacts311.sources.zendesk.envelopes import PAGE_KEYS, group_records, record_kind, unwrap
from contacts311.sources.zendesk.json_records import (
    ArrowColumns,
    DictColumns,
    event_records,
    ticket_records,
    user_records,
)
from contacts311.sources.zendesk.parsed import Parsed


@dataclass
class _Records:
    """The records of one table in a JSON file, before they become a table.

    Attributes:
        kind: ``tickets``, ``ticket_events``, ``audits``, ``users`` or ``None`` (unknown).
        n: How many records.
        lines: Each record's line number (``-1`` where unknown), indexable by record.
        keys: Every key the records use (the file's columns, for layout changes).
        cols: The records' values by key (:class:`ArrowColumns` or :class:`DictColumns`).
        label: Where unknown records were found (page key, stream or keys seen).
    """

    kind: str | None
    n: int
    lines: Any
    keys: list[str]
    cols: Any
    label: str = ""


def parse_json(
    text: str, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> list[Parsed]:
    """Parse NDJSON (one value per line) or one JSON document: one table per kind of record.

    Returns:
        One :class:`Parsed` per table found (unknown records as kind ``unknown``, pipeline
        SCHEMA/STATE messages as kind ``messages``); an empty file gives one ``empty`` table.
    """
    text = text.lstrip("\ufeff")
    first_line = next((ln for ln in _first_lines(text) if ln.strip()), "")
    try:
        first = json.loads(first_line, parse_float=Decimal)
    except ValueError:
        first = None
    if isinstance(first, dict):
        tables = _ndjson_records(text, first, name, rules.agent_user_field)
    else:  # not one object per line: a pretty-printed page or record, or a JSON array
        tables = _document(text, name)
    parsed = [_table(r, name, rules, lookup, tz) for r in tables if r.n]
    return parsed or [Parsed("empty", pd.DataFrame(), [], 0)]


def _table(
    records: _Records, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> Parsed:
    """One table of records as the rules need it (unknown records only counted)."""
    kind, lines, cols = records.kind, records.lines, records.cols
    if kind is None:
        return Parsed("unknown", pd.DataFrame(), records.keys, records.n, records.label)
    if kind == "messages":
        return Parsed("messages", pd.DataFrame(), [], records.n)
    if kind == "tickets":
        frame = ticket_records(cols, lines, name, rules, lookup, tz)
    elif kind in ("ticket_events", "audits"):
        author = "updater_id" if kind == "ticket_events" else "author_id"
        frame = event_records(cols, lines, name, author)
        kind = "ticket_events"
    else:
        frame = user_records(cols, lines, name, rules.agent_user_field)
    return Parsed(kind, frame, records.keys, records.n)


def _document(text: str, name: str) -> list[_Records]:
    """The records of one JSON document: a page, a bare record or an array of either."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputError(
            name,
            f"not valid JSON ({exc.msg}); expected NDJSON or a JSON document",
            line=exc.lineno,
        ) from None
    if isinstance(document, dict):
        values = [document]
    elif isinstance(document, list):
        values = document
    else:
        raise InputError(name, "expected a JSON object or array of Zendesk records")
    return _grouped(values, [-1] * len(values), numbered=False)


def _grouped(values: list[Any], lines: list[int], numbered: bool) -> list[_Records]:
    """The values' records grouped by table (see :func:`group_records`)."""
    groups, messages = group_records(values, lines)
    out = []
    for g in groups:
        keys = sorted(set(itertools.chain.from_iterable(g.recs)))
        nos = np.asarray(g.lines, dtype="int64") if numbered else _NoLines()
        out.append(_Records(g.kind, len(g.recs), nos, keys, DictColumns(g.recs), g.label))
    if messages:
        out.append(_Records("messages", messages, _NoLines(), [], None))
    return out


def _ndjson_records(
    text: str, first: dict[str, Any], name: str, user_field: str = ""
) -> list[_Records]:
    """The records of NDJSON whose first line is ``first``: by Arrow when it can, else by json.

    ``user_field`` is the ``user_fields`` key users are read with (``""``: none).
    """
    plain = unwrap(first) is None and not any(isinstance(first.get(k), list) for k in PAGE_KEYS)
    kind = record_kind(first) if plain else None
    all_lines = _LazyLines(text)
    table = _arrow_table(text, kind, user_field) if kind is not None else None
    if table is None or _other_kinds(table, kind):
        # Exports of several tables joined into one file: each line is read by its own kind.
        return _parsed_lines(all_lines.kept(), name)
    # Fast path: Arrow parsed only the needed keys; everything else was skipped unread.
    head = [(0, ln) for ln in _first_lines(text, _KEY_SAMPLE) if ln.strip()]
    sample = _parse_lines_slowly(head, name)
    keys = sorted(set(itertools.chain.from_iterable(o for o in sample if isinstance(o, dict))))
    return [_Records(kind, table.num_rows, all_lines, keys, ArrowColumns(table))]


def _parsed_lines(kept: list[tuple[int, str]], name: str) -> list[_Records]:
    """NDJSON parsed with :mod:`json`: records, wrapped records or pages, one per line."""
    try:
        # One C-level parse of all lines is much faster than json.loads per line.
        objs = json.loads("[" + ",".join(ln for _, ln in kept) + "]", parse_float=Decimal)
    except ValueError:
        objs = _parse_lines_slowly(kept, name)
    if len(objs) != len(kept):
        objs = _parse_lines_slowly(kept, name)
    bad = next((i for i, o in enumerate(objs) if not isinstance(o, dict)), None)
    if bad is not None:
        raise InputError(name, "expected one JSON object per line", line=kept[bad][0])
    return _grouped(objs, [line_no for line_no, _ in kept], numbered=True)


_KEY_SAMPLE = 100  # columns of an NDJSON file read by Arrow: keys of its first records

_ARROW_SCHEMAS = {
    "tickets": [
        ("id", "int64"),
        ("created_at", "string"),
        ("updated_at", "string"),
        ("status", "string"),
        ("tags", "list<string>"),
        ("custom_fields", "list<struct>"),
        ("via", "struct<channel>"),
        ("replies", "int64"),
    ],
    "ticket_events": [("ticket_id", "int64"), ("updater_id", "int64"), ("created_at", "string")],
    "audits": [("ticket_id", "int64"), ("author_id", "int64"), ("created_at", "string")],
    "users": [
        ("id", "int64"),
        ("role", "string"),
        ("default_group_id", "int64"),
        ("tags", "list<string>"),
    ],
}


# Top-level keys that tell a record's table (as ``record_kind`` reads them), read alongside each
# table's own keys so a line of another table is noticed. Only keys the other tables never
# carry at the top level: ticket events and audits have ``via`` too, users ``created_at``.
_KIND_MARKERS = [
    ("ticket_id", "int64"),
    ("updater_id", "int64"),
    ("author_id", "int64"),
    ("role", "string"),
    ("user_fields", "struct<>"),
    ("status", "string"),
]


def _other_kinds(table: Any, kind: str) -> bool:
    """Whether a row of ``table`` (read as ``kind``) has the marker keys of another table.

    A row with no marker at all (a record missing its ``ticket_id``, say) stays with ``kind``,
    so its own error names its line.
    """
    import pyarrow.compute as pc

    def has(key: str) -> Any:
        return pc.is_valid(table.column(key)).to_numpy(zero_copy_only=False)

    events = has("ticket_id") & has("updater_id")
    audits = has("ticket_id") & has("author_id") & ~events
    users = (has("role") | has("user_fields")) & ~events & ~audits
    tickets = has("status") & ~events & ~audits & ~users
    rows = {"ticket_events": events, "audits": audits, "users": users, "tickets": tickets}
    return any(marked.any() for other, marked in rows.items() if other != kind)


def _arrow_table(text: str, kind: str, user_field: str = "") -> Any:
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
        "struct<channel>": pa.struct([("channel", pa.string())]),
        "struct<>": pa.struct([]),  # an object, none of its fields read
    }
    fields = [(k, kinds[t]) for k, t in _ARROW_SCHEMAS[kind]]
    if kind == "users" and user_field:
        # Only the one custom field; a checkbox (true/false) is not text and takes json.
        fields.append(("user_fields", pa.struct([(user_field, pa.string())])))
    taken = {k for k, _ in fields}
    fields += [(k, kinds[t]) for k, t in _KIND_MARKERS if k not in taken]
    schema = pa.schema(fields)
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
            out.append(json.loads(ln, parse_float=Decimal))
        except ValueError as exc:
            raise InputError(
                name, f"not valid JSON ({exc}); expected one JSON object per line", line=n
            ) from None
    return out
