"""What a Zendesk JSON value holds: API pages, bare records and data-pipeline wrappers.

Records reach a file in many envelopes: an API page (``{"tickets": [...], "next_page": ...}``),
a bare object or an array, the legacy export's ``{"results": [...]}``, or a record wrapped by a
data-pipeline tool (Airbyte ``{"stream": ..., "data": {...}}`` or ``{"_airbyte_data": {...}}``,
Singer ``{"type": "RECORD", "stream": ..., "record": {...}}``). :func:`group_records` takes
the envelopes off and puts each record in the table it belongs to; a record of no known table
stays in a group of kind ``None``, labelled by its key or stream, so it is counted, not lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Page key -> table. ``results`` holds the legacy ticket export or search results.
PAGE_KEYS = {
    "tickets": "tickets",
    "ticket_events": "ticket_events",
    "audits": "audits",
    "users": "users",
    "results": None,  # decided per record
}

# Stream (or table) names of pipeline tools -> table.
STREAM_KINDS = {
    "tickets": "tickets",
    "ticket": "tickets",
    "ticket_events": "ticket_events",
    "incremental_ticket_events": "ticket_events",
    "ticket_audits": "audits",
    "audits": "audits",
    "users": "users",
    "user": "users",
}

# Search results say what they are.
_RESULT_TYPES = {"ticket": "tickets", "user": "users"}

_FIELD_KEY = re.compile(r"field_\d+$")


def record_kind(obj: Any) -> str | None:
    """Which Zendesk table a record (or a mapping of its keys) belongs to (``None`` if none).

    Audits are tested before tickets: an audit has ``id``, ``created_at`` and ``via`` too.
    """
    if "ticket_id" in obj and "updater_id" in obj:
        return "ticket_events"
    if "ticket_id" in obj and "author_id" in obj and "events" in obj:
        return "audits"
    if "id" in obj and ("role" in obj or "user_fields" in obj):
        return "users"
    if "id" in obj and "created_at" in obj:
        if "status" in obj or "custom_fields" in obj or "via" in obj:
            return "tickets"
        if any(_FIELD_KEY.match(str(k)) for k in obj):  # the legacy export's custom fields
            return "tickets"
    return None


def unwrap(obj: dict[str, Any]) -> tuple[str | None, Any] | None:
    """``(stream, record)`` of a record wrapped by a pipeline tool, or ``None`` if not wrapped.

    ``stream`` is ``None`` when the wrapper does not name one (Airbyte's raw tables).
    """
    if obj.get("type") == "RECORD" and isinstance(obj.get("record"), dict):
        inner = obj["record"]
        if "stream" in obj:  # Singer
            return _stream(obj["stream"]), inner
        if isinstance(inner.get("data"), dict):  # an Airbyte protocol message
            return _stream(inner.get("stream")), inner["data"]
    if isinstance(obj.get("data"), dict) and "stream" in obj and "emitted_at" in obj:
        return _stream(obj["stream"]), obj["data"]
    if "_airbyte_data" in obj:
        data = obj["_airbyte_data"]
        if isinstance(data, str):  # some destinations keep it as JSON text
            import json

            data = json.loads(data)
        return None, data
    return None


def pipeline_message(obj: dict[str, Any]) -> bool:
    """Whether ``obj`` is a pipeline tool's SCHEMA/STATE/LOG message (no record in it)."""
    kind = obj.get("type")
    return kind in ("SCHEMA", "STATE", "ACTIVATE_VERSION", "LOG", "TRACE", "CATALOG", "SPEC")


def _stream(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class Group:
    """Records of one table found in one file.

    Attributes:
        kind: ``tickets``, ``ticket_events``, ``audits``, ``users`` or ``None`` (unknown).
        label: Where they came from (page key, stream name, or the keys of unknown records).
        recs: The records, envelopes removed.
        lines: Each record's 1-based line (``-1`` where unknown).
    """

    kind: str | None
    label: str
    recs: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def group_records(
    values: list[Any], lines: list[int], page_kind: str | None = None, page_key: str = ""
) -> tuple[list[Group], int]:
    """Put each record in its table's group, in first-seen order.

    Args:
        values: JSON values: records, wrapped records, or pages holding records.
        lines: Each value's line (``-1`` where unknown).
        page_kind: The table of every record, when the caller knows it from a page key.
        page_key: That page key (or ``""``).

    Returns:
        The groups, and how many pipeline messages (SCHEMA, STATE, ...) were seen (not records).
    """
    groups: dict[tuple[str | None, str], Group] = {}
    messages = 0
    for value, line in zip(values, lines, strict=True):
        if not isinstance(value, dict):
            _add(groups, None, "non-object values", value, line)
            continue
        wrapped = unwrap(value)
        if wrapped is None and pipeline_message(value):
            messages += 1
            continue
        page = None if wrapped is not None or page_key else _page_key(value)
        if page is not None:
            inner, sub = group_records(
                [r for r in value[page]], [line] * len(value[page]), PAGE_KEYS.get(page), page
            )
            messages += sub
            for g in inner:
                for r, n in zip(g.recs, g.lines, strict=True):
                    _add(groups, g.kind, g.label, r, n)
            continue
        kind, label, record = _kind_of(value, wrapped, page_kind, page_key)
        _add(groups, kind, label, record, line)
    return list(groups.values()), messages


def _kind_of(
    value: dict[str, Any], wrapped: tuple[str | None, Any] | None, page_kind: str | None, key: str
) -> tuple[str | None, str, Any]:
    """(table, label, record) of one value; unknown tables are labelled by what was seen."""
    if wrapped is not None:
        stream, record = wrapped
        if stream is not None:
            kind = STREAM_KINDS.get(stream.lower())
            return kind, f"stream {stream!r}", record
        value = record if isinstance(record, dict) else {}
        if not isinstance(record, dict):
            return None, "non-object values", record
    if page_kind is not None:
        return page_kind, key, value
    if key and key not in PAGE_KEYS:
        # A list under a key no table uses: its records are not guessed at (comments have
        # id, created_at and via, like tickets).
        return None, f"key {key!r}", value
    if isinstance(value.get("result_type"), str):
        kind = _RESULT_TYPES.get(value["result_type"].lower())
        return kind, f"{key or 'results'} of type {value['result_type']!r}", value
    kind = record_kind(value)
    if kind is not None:
        return kind, key or kind, value
    keys = ", ".join(sorted(map(str, value))[:6]) or "none"
    label = f"key {key!r}" if key else f"records with keys {keys}"
    return None, label, value


def _page_key(value: dict[str, Any]) -> str | None:
    """The page key of an API page: a known key holding a list, else an unknown list of objects.

    A record of a known table is not a page, even when one of its fields is a list of objects.
    """
    for k in PAGE_KEYS:
        if isinstance(value.get(k), list):
            return k
    if record_kind(value) is not None:
        return None
    lists = [k for k, v in value.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    return lists[0] if len(lists) == 1 and _looks_like_page(value) else None


_PAGE_MARKERS = (
    "next_page",
    "previous_page",
    "count",
    "end_of_stream",
    "end_time",
    "after_cursor",
    "before_cursor",
    "meta",
    "links",
)


def _looks_like_page(value: dict[str, Any]) -> bool:
    """A mapping with Zendesk's pagination keys, or nothing but the one list (``{"x": [...]}``)."""
    return any(k in value for k in _PAGE_MARKERS) or len(value) == 1


def _add(
    groups: dict[tuple[str | None, str], Group],
    kind: str | None,
    label: str,
    record: Any,
    line: int,
) -> None:
    key = (kind, label if kind is None else kind)
    group = groups.get(key)
    if group is None:
        group = groups[key] = Group(kind, label)
    group.recs.append(record if isinstance(record, dict) else {})
    group.lines.append(line)
