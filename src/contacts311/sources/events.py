"""``events`` — dated events that may explain spikes: weather, outages, news stories.

Layout: ``date,end_date,label`` (``end_date`` optional or blank for a one-day event). Dates are
``YYYY-MM-DD`` or ``MM/DD/YYYY``. Output ``tables["events"]``: ``date, end_date, label,
source_file`` (dates as ``datetime64``). Ledger: events are evidence, never contacts:
``excluded``/``supporting_record``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import SourceResult, cell, header_names, open_table

FORMAT = "events"
KIND = "events"
DESCRIPTION = "dated events (weather, outages, news): date,end_date,label"

__all__ = ["DESCRIPTION", "EVENT_COLUMNS", "FORMAT", "KIND", "read", "sniff"]

EVENT_COLUMNS = ["date", "end_date", "label", "source_file"]


def sniff(head: str) -> bool:
    """A header with ``date`` and ``label`` columns (``end_date`` optional)."""
    return {"date", "label"} <= header_names(head)


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read(files: list[InputFile], profile: Any) -> SourceResult:
    """Read event tables.

    Args:
        files: :class:`contacts311.inputs.InputFile` items.
        profile: The profile in force (unused).

    Returns:
        No contacts; ``tables["events"]`` and the ledger.

    Raises:
        InputError: A missing column, a date that is not a date, or an end before the start.
    """
    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    out = []
    for file in files:
        index, rows = open_table(file, ledger, columns, ("date", "label"), "date,end_date,label")
        for line, cells in rows:
            start_text = cell(cells, index["date"])
            start = _date(start_text)
            if start is None:
                raise InputError(
                    file.name,
                    f"date {start_text!r} is not a date; expected YYYY-MM-DD or MM/DD/YYYY",
                    line=line,
                    column="date",
                )
            end_text = cell(cells, index["end_date"]) if "end_date" in index else ""
            end = _date(end_text) if end_text else start
            if end is None:
                raise InputError(
                    file.name,
                    f"end_date {end_text!r} is not a date; expected YYYY-MM-DD or MM/DD/YYYY",
                    line=line,
                    column="end_date",
                )
            if end < start:
                raise InputError(
                    file.name,
                    f"end_date {end} is before date {start}",
                    line=line,
                    column="end_date",
                )
            ledger.add(file.name, "excluded", "supporting_record", 1)
            out.append(
                {
                    "date": pd.Timestamp(start),
                    "end_date": pd.Timestamp(end),
                    "label": cell(cells, index["label"]),
                    "source_file": file.name,
                }
            )
    table = pd.DataFrame(out, columns=EVENT_COLUMNS).astype(
        {
            "date": "datetime64[ns]",
            "end_date": "datetime64[ns]",
            "label": "string",
            "source_file": "string",
        }
    )
    table = table.sort_values(["date", "end_date"], kind="stable").reset_index(drop=True)
    notes = [f"Events: {len(table)} dated events from {', '.join(columns)}."] if columns else []
    return SourceResult(
        contacts=pd.DataFrame(),
        ledger=ledger,
        notes=notes,
        tables={"events": table},
        columns=columns,
    )
