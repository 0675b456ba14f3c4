"""Tables of the incremental export's tickets, ticket events and users: only the kept fields.

The columns come either from records parsed with :mod:`json` or from an Arrow table read from
NDJSON; both give the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.profile import TicketRules
from contacts311.sources.zendesk.contact_types import contact_type_picker, norm_text
from contacts311.sources.zendesk.times import parse_utc


class DictColumns:
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
        """The contact type of each ticket (see :func:`contact_type_picker`)."""
        pick = contact_type_picker(field_id, lookup)
        return pd.Series([pick(r.get("custom_fields")) for r in self._recs], dtype=object)


class ArrowColumns:
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
    ids = _required(cols.get("id"), "id", lines, name, "ticket").astype(str)
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


def event_records(cols: Any, lines: Any, name: str) -> pd.DataFrame:
    """The ticket-event table: which user updated which ticket, and when (UTC)."""
    # child_events may carry comment bodies: never read.
    tickets = _required(cols.get("ticket_id"), "ticket_id", lines, name, "ticket event")
    created = _required(cols.get("created_at"), "created_at", lines, name, "ticket event")
    return pd.DataFrame(
        {
            "ticket_id": tickets.astype(str).array,
            "updater_id": cols.get("updater_id").astype(str).array,
            "created_utc": parse_utc(created, name, "created_at", lines).to_numpy(),
        }
    )


def user_records(cols: Any, lines: Any, name: str) -> pd.DataFrame:
    """The user table: id, role, default group and tags (who is a 311 representative)."""
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
