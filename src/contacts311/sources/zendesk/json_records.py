"""Tables of the incremental export's tickets, ticket events and users: only the kept fields.

The columns come either from records parsed with :mod:`json` or from an Arrow table read from
NDJSON; both give the same values.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.profile import TicketRules
from contacts311.sources._base import parse_count
from contacts311.sources.zendesk.contact_types import contact_type_picker, norm_text
from contacts311.sources.zendesk.times import parse_utc


class DictColumns:
    """Columns of JSON records already parsed with :mod:`json` (the fallback path).

    Records may be the legacy export's flat form: ``tags`` as one string, ``via`` as text and
    custom fields as ``field_<id>`` keys.
    """

    def __init__(self, recs: list[dict[str, Any]]) -> None:
        self._recs = recs

    def get(self, key: str) -> pd.Series:
        """The values of ``key`` (``None`` where missing); exact numbers as ``int``."""
        return pd.Series([_number(r.get(key)) for r in self._recs], dtype=object)

    def numbers(self, key: str) -> pd.Series:
        """The values of ``key`` as the records hold them: numbers stay numbers."""
        return self.get(key)

    def tags(self, key: str) -> pd.Series:
        """Each record's tags as one lower-case, space-separated string.

        The legacy export names a ticket's tags ``current_tags``.
        """
        return pd.Series(
            [_tag_text(r[key] if key in r else r.get("current_tags")) for r in self._recs],
            dtype=object,
        )

    def user_field(self, key: str) -> pd.Series:
        """Each user's custom field ``key`` (of ``user_fields``) as :func:`field_value` gives it."""
        return pd.Series([field_value(_user_fields(r).get(key)) for r in self._recs], dtype=object)

    def via(self) -> pd.Series:
        """Each ticket's ``via.channel`` (or the legacy export's ``via`` text), lower-case."""
        return pd.Series([_via_text(r.get("via")) for r in self._recs], dtype=object)

    def contact_types(self, field_id: int | None, lookup: dict[str, str]) -> pd.Series:
        """The contact type of each ticket (see :func:`contact_type_picker`)."""
        pick = contact_type_picker(field_id, lookup)
        return pd.Series([pick(_custom_fields(r)) for r in self._recs], dtype=object)


def _number(value: Any) -> Any:
    """A JSON number parsed as :class:`~decimal.Decimal` (or float) as an exact ``int`` if whole.

    Ids written as floats (``7761239926287.0``) are read as text digits, so even ids beyond
    2**53 keep every digit.
    """
    if not isinstance(value, Decimal | float):
        return value
    finite = value == value and abs(value) != float("inf")
    return int(value) if finite and value == int(value) else float(value)


def _user_fields(rec: dict[str, Any]) -> dict[str, Any]:
    fields = rec.get("user_fields")
    return fields if isinstance(fields, dict) else {}


def field_value(value: Any) -> Any:
    """A custom field's value for matching: lower-case text, a tuple of them (multi-select).

    A checkbox is ``"true"``/``"false"``, a whole number its digits; missing is ``None``.
    """
    if isinstance(value, list | tuple):
        return tuple(v for v in (field_value(x) for x in value) if isinstance(v, str))
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    value = _number(value)
    return str(value).strip().lower()


def _tag_text(value: Any) -> str:
    if isinstance(value, str):  # the legacy export: one space-separated string
        return " ".join(value.replace(",", " ").split()).lower()
    return " ".join(str(t) for t in value or ()).lower()


def _via_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("channel")
    if value is None or value == "":
        return None
    return str(value).strip().lower()


def _custom_fields(rec: dict[str, Any]) -> Any:
    """``custom_fields`` of a record, or the legacy export's ``field_<id>`` keys as such."""
    fields = rec.get("custom_fields")
    if fields is not None:
        return fields
    flat = [
        {"id": k[len("field_") :], "value": v}
        for k, v in rec.items()
        if k.startswith("field_") and k[len("field_") :].isdigit()
    ]
    return flat or None


_FLOAT_ID = re.compile(r"^(-?\d+)\.0*$")


def id_text(values: pd.Series) -> pd.Series:
    """Ids as exact integer text: ``7761239926287.0`` and ``7761239926287`` are one id."""
    text = values.astype(str)
    dotted = text.str.contains(".", regex=False)
    if dotted.any():
        text = text.where(~dotted, text.str.replace(_FLOAT_ID, r"\1", regex=True))
    return text


class ArrowColumns:
    """Columns of an Arrow table read from NDJSON (the fast path, no Python objects per row)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def numbers(self, key: str) -> pd.Series:
        """The values of an integer column ``key`` as Python ints, missing ones as ``None``."""
        if key not in self._table.column_names:
            return pd.Series([None] * self._table.num_rows, dtype=object)
        return pd.Series(self._table.column(key).to_pylist(), dtype=object)

    def get(self, key: str) -> pd.Series:
        """The values of ``key`` as text (ids included), missing ones as NaN."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if key not in self._table.column_names:
            return pd.Series([None] * self._table.num_rows, dtype=object)
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

    def user_field(self, key: str) -> pd.Series:
        """Each user's custom field ``key`` (of a ``user_fields`` struct), see :func:`field_value`."""
        import pyarrow.compute as pc

        if "user_fields" not in self._table.column_names:
            return pd.Series([None] * self._table.num_rows, dtype=object)
        values = pc.struct_field(self._table.column("user_fields"), key).to_pylist()
        return pd.Series([field_value(v) for v in values], dtype=object)

    def via(self) -> pd.Series:
        """Each ticket's ``via.channel``, lower-case (``None`` where missing)."""
        import pyarrow.compute as pc

        if "via" not in self._table.column_names:
            return pd.Series([None] * self._table.num_rows, dtype=object)
        channel = pc.utf8_lower(pc.struct_field(self._table.column("via"), "channel"))
        return pd.Series(channel.to_numpy(zero_copy_only=False), dtype=object)

    def contact_types(self, field_id: int | None, lookup: dict[str, str]) -> pd.Series:
        """The contact type of each ticket, picked from ``custom_fields`` without a Python loop.

        As :func:`contact_type_picker` picks it: the first field with ``field_id`` (an empty
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
                known = [lookup.get(norm_text(v)) is not None for v in codes.dictionary.to_pylist()]
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


def _replies(values: pd.Series, lines: Any, name: str) -> np.ndarray:
    """Each ticket's ``replies`` as a number, NaN where the key is missing or null (no reply).

    Ticket objects of the Zendesk API carry no reply count; a record that does (a ticket joined
    with its metrics) is read as the CSV export's ``Replies`` is. A value that is not a whole
    number >= 0 is an error: read as no reply, it would quietly turn a handled ticket into a
    ``not_handled`` one.

    Raises:
        InputError: The first such value, naming its line.
    """
    numbers = np.full(len(values), np.nan)
    for pos in np.flatnonzero(values.notna().to_numpy()):
        count = _reply_count(value := values.iat[pos])
        if count is None:
            line = int(lines[pos]) if lines[pos] > 0 else None
            where = "" if line is not None else f" (ticket record {pos + 1})"
            raise InputError(
                name,
                f"replies {json.dumps(value)} is not a whole number >= 0{where}; expected the "
                "number of replies, such as 0 or 3 (null is no reply)",
                line=line,
                column="replies",
            )
        numbers[pos] = count
    return numbers


def _reply_count(value: Any) -> float | None:
    if isinstance(value, str):
        return np.nan if not value.strip() else parse_count(value.strip())
    # is_integer is False for Infinity, which JSON readers accept and int() cannot take.
    whole = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )
    return int(value) if whole and value >= 0 else None


def ticket_records(
    cols: Any,
    lines: Any,
    name: str,
    rules: TicketRules,
    lookup: dict[str, str],
    tz: str,
) -> pd.DataFrame:
    """The ticket table of ticket records: id, status, tags, contact type and times.

    Raises:
        InputError: A record without an id or creation time, or a time that is not ISO-8601.
    """
    # Only these fields are taken from the records; subject, description, requester and
    # via.source (which holds e-mail addresses) are never read.
    ids = id_text(_required(cols.get("id"), "id", lines, name, "ticket"))
    created = _required(cols.get("created_at"), "created_at", lines, name, "ticket")
    updated = cols.get("updated_at")
    updated = updated.where(updated.notna() & (updated.astype(str) != ""), created)
    statuses = cols.get("status").fillna("").astype(str).str.lower()
    created_utc = parse_utc(created, name, "created_at", lines)
    updated_utc = parse_utc(updated, name, "updated_at", lines)
    return pd.DataFrame(
        {
            # Text columns go in as pandas text arrays: an object array would be converted
            # back to text by the constructor, one Python string at a time.
            "ticket_id": ids.array,
            "status": statuses.array,
            "tags": cols.tags("tags").to_numpy(),
            "contact_type": cols.contact_types(rules.contact_type_field_id, lookup).to_numpy(),
            "replies": _replies(cols.numbers("replies"), lines, name),
            "via": cols.via().to_numpy(),
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


def event_records(cols: Any, lines: Any, name: str, author: str = "updater_id") -> pd.DataFrame:
    """The ticket-event table: which user updated which ticket, and when (UTC).

    Args:
        cols: The records' columns.
        lines: Each record's line (``-1`` where unknown).
        name: The file, for messages.
        author: The key naming the event's author: ``updater_id`` in ticket events,
            ``author_id`` in ticket audits (the same user, as the published rule reads it).
    """
    # child_events and audit events may carry comment bodies: never read.
    what = "ticket event" if author == "updater_id" else "ticket audit"
    tickets = _required(cols.get("ticket_id"), "ticket_id", lines, name, what)
    created = _required(cols.get("created_at"), "created_at", lines, name, what)
    return pd.DataFrame(
        {
            "ticket_id": id_text(tickets).array,
            "updater_id": id_text(cols.get(author)).array,
            "created_utc": parse_utc(created, name, "created_at", lines).to_numpy(),
        }
    )


def user_records(cols: Any, lines: Any, name: str, user_field: str = "") -> pd.DataFrame:
    """The user table: id, role, default group, tags and one custom field (who is a 311 rep).

    Args:
        cols: The records' columns.
        lines: Each record's line (``-1`` where unknown).
        name: The file, for messages.
        user_field: The ``user_fields`` key that marks 311 representatives (``""``: none).
    """
    # Users carry names, e-mail addresses and phone numbers: only these fields are read.
    ids = _required(cols.get("id"), "id", lines, name, "user")
    marks = cols.user_field(user_field) if user_field else pd.Series([None] * len(ids))
    return pd.DataFrame(
        {
            "user_field": marks.astype(object).to_numpy(),
            "user_id": id_text(ids).astype(object).to_numpy(),
            "role": cols.get("role").fillna("").astype(str).str.lower().astype(object).to_numpy(),
            "group_id": id_text(cols.get("default_group_id")).astype(object).to_numpy(),
            "tags": cols.tags("tags").to_numpy(),
        }
    )
