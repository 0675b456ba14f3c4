"""Row-level ``counts`` tables: one row per call or service request (``count_rows: true``).

A city's open-data "311 service requests" or "311 call center" extract has no count column:
each row is one contact. The profile says which column dates a row and how its channel is
known::

    sources:
      - format: counts
        path: 311_service_requests.csv
        count_rows: true
        date_column: CREATED_DATE
        channel_column: SOURCE
        channel_map: {Phone Call: phone, Web Portal: webform, Email: email, "*": other}
        id_column: SR_NUMBER        # optional

Every value of the channel column needs a ``channel_map`` entry (``"*"`` catches the rest; a
value mapped to ``null`` is not counted: ledger ``excluded``/``channel_not_counted``). A
repeated id is a ``duplicate``/``duplicate``; a repeated id on another date or channel is an
error naming both rows. A date cell reading ``Total`` (a spreadsheet's totals row) is
``excluded``/``summary_row``. ``channel: phone`` instead of a channel column puts every row in one
channel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import cell, column_positions, read_table, refuse_wide_rows

__all__ = [
    "ROW_OPTIONS",
    "DateReader",
    "RowSeen",
    "read_rows",
    "refuse_rows_and_counts",
    "row_options",
]

ROW_OPTIONS = {
    "count_rows",
    "date_column",
    "date_format",
    "channel",
    "channel_column",
    "channel_map",
    "id_column",
}
_ANY = "*"
_LISTED = 10  # unmapped values named in the error; the rest are summed up


class DateReader(NamedTuple):
    """The counts source's date rules, so every counts table reads and reports dates alike.

    Attributes:
        parse: ``(text, date_format)`` -> ``(date, monthly?)``, or ``None`` for no date.
        expected: ``(text, date_format)`` -> what the cell should have held, for the error.
        summary: Date cells (lower case) that mark a totals row, such as ``total``.
    """

    parse: Callable[[str, str | None], tuple[dt.date, bool] | None]
    expected: Callable[[str, str | None], str]
    summary: frozenset[str]


@dataclass
class RowSeen:
    """What the row-level tables read so far hold, across files.

    Attributes:
        ids: id -> ``(file, line, date, channel)`` of the row first counted with it.
        days: ``(channel, date)`` -> the first file with a row counted on that day.
    """

    ids: dict[str, tuple[str, int, dt.date, str]] = field(default_factory=dict)
    days: dict[tuple[str, dt.date], str] = field(default_factory=dict)


def row_options(name: str, opts: dict[str, Any]) -> dict[str, Any] | None:
    """Check a ``count_rows`` entry's options; ``None`` when ``count_rows`` is false.

    Args:
        name: The file, for messages.
        opts: The entry's options (every key but ``format`` and ``path``).

    Returns:
        The options with ``channel`` or ``channel_map`` normalised: map keys folded for
        matching (case and spacing ignored), values as channel names or ``None``.

    Raises:
        InputError: An unknown or missing option, or a channel that is not a name.
    """
    flag = opts.get("count_rows")
    if not isinstance(flag, bool):
        raise InputError(name, f"count_rows must be true or false, got {flag!r}")
    if not flag:
        return None
    unknown = sorted(set(opts) - ROW_OPTIONS)
    if unknown:
        raise InputError(
            name,
            f"unknown option(s) {', '.join(unknown)} for count_rows: true (each row is one "
            "contact); a row-level counts source takes date_column, channel or channel_column "
            "with channel_map, and optional id_column and date_format",
        )
    if not str(opts.get("date_column") or "").strip():
        raise InputError(
            name, "the profile's counts entry needs date_column (e.g. date_column: CREATED_DATE)"
        )
    out = dict(opts)
    has_column = bool(str(opts.get("channel_column") or "").strip())
    if has_column == bool(str(opts.get("channel") or "").strip()):
        raise InputError(
            name,
            "a count_rows entry needs either channel (every row one channel) or channel_column "
            "with channel_map (e.g. channel_column: SOURCE)",
        )
    if not has_column:
        if "channel_map" in opts:
            raise InputError(name, "channel_map needs channel_column (the column it maps)")
        out["channel"] = _channel_name(name, opts["channel"], "channel")
        return out
    out["channel_map"] = _channel_map(name, opts.get("channel_map"))
    return out


def _channel_name(name: str, value: Any, where: str) -> str:
    channel = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", channel):
        raise InputError(name, f"{where} {value!r} must be a name such as phone or email")
    return channel


def _fold(value: Any) -> str:
    """A channel cell as matched against the map: case and runs of spaces ignored."""
    return " ".join(str(value).split()).casefold()


def _channel_map(name: str, value: Any) -> dict[str, str | None]:
    if not isinstance(value, dict) or not value:
        raise InputError(
            name,
            "channel_column needs channel_map: each value of the column -> a channel "
            "(e.g. {Phone Call: phone, Web Portal: webform, '*': other})",
        )
    out: dict[str, str | None] = {}
    for key, channel in value.items():
        folded = "" if key is None else _fold(key)
        mapped = None if channel is None else _channel_name(name, channel, f"channel_map {key!r}")
        if folded in out and out[folded] != mapped:
            raise InputError(name, f"channel_map gives {key!r} two channels")
        out[folded] = mapped
    return out


def read_rows(
    file: InputFile,
    opts: dict[str, Any],
    ledger: LedgerBuilder,
    seen: RowSeen,
    dates: DateReader,
) -> tuple[list[str], list[dict[str, Any]], str]:
    """Read one row-level table: every row one contact, a duplicate, or excluded.

    Args:
        file: The table.
        opts: Options checked by :func:`row_options`.
        ledger: The counts source's ledger (rows read and their buckets are added).
        seen: Ids and days counted so far (updated).
        dates: The counts source's date rules.

    Returns:
        The header, the contacts rows (``count`` 1, ``contact_id`` = the id, ``queue`` = the
        channel cell as written) and a note for reports.

    Raises:
        InputError: A missing column, an unreadable date or id, channel values with no
            ``channel_map`` entry, or an id repeated on another date or channel.
    """
    header, rows = read_table(Path(file.path))
    positions = column_positions(
        file.name, header, opts, ("date_column", "channel_column", "id_column")
    )
    refuse_wide_rows(file.name, Path(file.path), header, rows)
    ledger.read(file.name, len(rows))
    out: list[dict[str, Any]] = []
    unmapped: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for line, cells in rows:
        if cell(cells, positions["date_column"]).lower().rstrip(":") in dates.summary:
            reasons["summary_row"] += 1  # a spreadsheet's totals row under the records
            ledger.add(file.name, "excluded", "summary_row", 1)
            continue
        day = _row_date(file.name, line, cells, header, positions, opts, dates)
        raw, channel = _row_channel(cells, positions, opts)
        if channel is _UNMAPPED:
            unmapped[raw] += 1
            continue
        if channel is None:
            reasons["channel_not_counted"] += 1
            ledger.add(file.name, "excluded", "channel_not_counted", 1)
            continue
        contact_id = _row_id(file.name, line, cells, header, positions)
        if contact_id is not None and not _first_id(
            seen, contact_id, file.name, line, day, channel
        ):
            reasons["duplicate"] += 1
            ledger.add(file.name, "duplicate", "duplicate", 1)
            continue
        ledger.add(file.name, "counted", "counted", 1, 1)
        seen.days.setdefault((channel, day), file.name)
        queue = raw if "channel_column" in positions else None
        out.append(_contact(day, channel, file.name, contact_id, queue))
    if unmapped:
        raise InputError(
            file.name, _unmapped_message(unmapped), column=header[positions["channel_column"]]
        )
    return header, out, _note(file.name, header, positions, out, reasons)


def _row_date(
    name: str,
    line: int,
    cells: list[str],
    header: list[str],
    positions: dict[str, int],
    opts: dict[str, Any],
    dates: DateReader,
) -> dt.date:
    """The row's contact date (a day: a month alone does not date one contact)."""
    text = cell(cells, positions["date_column"])
    parsed = dates.parse(text, opts.get("date_format"))
    column = header[positions["date_column"]]
    if parsed is None:
        raise InputError(
            name,
            f"date {text!r} is not a date; expected {dates.expected(text, opts.get('date_format'))}",
            line=line,
            column=column,
        )
    day, monthly = parsed
    if monthly:
        raise InputError(
            name,
            f"date {text!r} is a month; a row-level table (count_rows) needs the day of each row",
            line=line,
            column=column,
        )
    return day


class _Unmapped:
    """Marks a channel cell with no ``channel_map`` entry (``None`` means not counted)."""


_UNMAPPED: Any = _Unmapped()


def _row_channel(
    cells: list[str], positions: dict[str, int], opts: dict[str, Any]
) -> tuple[str, Any]:
    """The channel cell as written and its channel (``None``: not counted; or unmapped)."""
    if "channel_column" not in positions:
        return "", opts["channel"]
    raw = cell(cells, positions["channel_column"])
    mapping: dict[str, str | None] = opts["channel_map"]
    folded = _fold(raw)
    if folded in mapping:
        return raw, mapping[folded]
    if _ANY in mapping:
        return raw, mapping[_ANY]
    return raw, _UNMAPPED


def _row_id(
    name: str, line: int, cells: list[str], header: list[str], positions: dict[str, int]
) -> str | None:
    if "id_column" not in positions:
        return None
    value = cell(cells, positions["id_column"])
    if not value:
        raise InputError(
            name,
            "empty id; expected every row to have one (id_column in the profile)",
            line=line,
            column=header[positions["id_column"]],
        )
    return value


def _first_id(
    seen: RowSeen, contact_id: str, name: str, line: int, day: dt.date, channel: str
) -> bool:
    """Whether ``contact_id`` is new (then remembered); a repeat must repeat date and channel."""
    first = seen.ids.get(contact_id)
    if first is None:
        seen.ids[contact_id] = (name, line, day, channel)
        return True
    first_file, first_line, first_day, first_channel = first
    if (first_day, first_channel) != (day, channel):
        raise InputError(
            name,
            f"id {contact_id!r} is {channel} on {day.isoformat()} here but {first_channel} on "
            f"{first_day.isoformat()} in {first_file} line {first_line}; a repeated id must "
            "repeat its date and channel",
            line=line,
        )
    return False


def _contact(
    day: dt.date, channel: str, name: str, contact_id: str | None, queue: str | None
) -> dict[str, Any]:
    return {
        "contact_date": pd.Timestamp(day),
        "channel": channel,
        "count": 1,
        "source": "counts",
        "source_file": name,
        "contact_id": contact_id,
        "queue": queue,
    }


def _unmapped_message(unmapped: Counter[str]) -> str:
    ranked = sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(
        f"{repr(value) if value else '(empty)'} ({n} row{'s' if n != 1 else ''})"
        for value, n in ranked[:_LISTED]
    )
    rest = len(ranked) - _LISTED
    more = f" and {rest} more value(s)" if rest > 0 else ""
    return (
        f"{len(ranked)} channel value(s) have no channel_map entry: {listed}{more}; "
        'add them to channel_map, or map "*" to a channel for every other value'
    )


def _note(
    name: str,
    header: list[str],
    positions: dict[str, int],
    out: list[dict[str, Any]],
    reasons: Counter[str],
) -> str:
    per = Counter(row["channel"] for row in out)
    channels = ", ".join(f"{c} {n}" for c, n in sorted(per.items()))
    source = (
        f"channels from column {header[positions['channel_column']]!r}"
        if "channel_column" in positions
        else "one channel"
    )
    extra = "".join(f"; {n} {reason.replace('_', ' ')}" for reason, n in sorted(reasons.items()))
    return (
        f"{name}: {len(out)} rows counted one contact each ({channels or 'none'}), dated by "
        f"column {header[positions['date_column']]!r}, {source}{extra}."
    )


def refuse_rows_and_counts(
    days: dict[tuple[str, dt.date], str],
    counted: dict[tuple[str, bool, dt.date], tuple[str, int, int]],
) -> None:
    """A day counted row by row and also given as a count would be counted twice.

    Args:
        days: ``RowSeen.days``.
        counted: The counts source's first rows, ``(channel, monthly?, date)`` -> file, line,
            count.

    Raises:
        InputError: A channel's day (or its month) is in both.
    """
    for (channel, day), rows_file in sorted(days.items()):
        for key in ((channel, False, day), (channel, True, day.replace(day=1))):
            if key in counted:
                other, line, _ = counted[key]
                raise InputError(
                    rows_file,
                    f"{channel} on {day.isoformat()} is counted row by row here and as a "
                    f"{'monthly' if key[1] else 'daily'} count in {other} line {line}; "
                    "give each day once, as rows or as a count",
                )
