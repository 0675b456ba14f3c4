"""``forecast`` — the plan's forecast of contacts per fiscal year (the scorecard's target).

Layout: ``fiscal_year,forecast_contacts`` with optional ``channel`` and ``note`` columns.
``fiscal_year`` may be written ``FY 2023-24``, ``2023-24``, ``FY2024`` or the ending year ``2024``
(Clear Impact's label); it is stored as ``period_key`` = the ending year, with the label
``fiscal_year`` = ``FY 2023-24``. A blank or ``total`` channel is the forecast for all channels.

Output ``tables["forecast"]``: ``period_key, fiscal_year, channel, forecast_contacts, note,
source_file``. Ledger: forecast rows are targets, never contacts: ``excluded``/
``supporting_record``; a row repeating a year and channel with the same value is a
``duplicate``; with a different value it is an error naming both lines.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import SourceResult, cell, header_names, open_table, parse_count

FORMAT = "forecast"
KIND = "forecast"
DESCRIPTION = "plan forecast per fiscal year: fiscal_year,forecast_contacts[,channel][,note]"

__all__ = [
    "DESCRIPTION",
    "FORECAST_COLUMNS",
    "FORMAT",
    "KIND",
    "parse_fiscal_year",
    "read",
    "sniff",
]

FORECAST_COLUMNS = [
    "period_key",
    "fiscal_year",
    "channel",
    "forecast_contacts",
    "note",
    "source_file",
]
_RANGE = re.compile(r"^(?:fy\s*)?(\d{4})\s*[-\u2013/]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_SINGLE = re.compile(r"^(?:fy\s*)?(\d{4})$", re.IGNORECASE)


def sniff(head: str) -> bool:
    """A header with ``fiscal_year`` and ``forecast_contacts`` columns."""
    return {"fiscal_year", "forecast_contacts"} <= header_names(head)


def parse_fiscal_year(text: str) -> int | None:
    """The ending year of a fiscal-year label, or ``None`` when it is not one.

    Examples:
        >>> parse_fiscal_year("FY 2023-24"), parse_fiscal_year("2023-2024"), parse_fiscal_year("2024")
        (2024, 2024, 2024)
    """
    text = text.strip()
    if m := _SINGLE.match(text):
        return int(m.group(1))
    if m := _RANGE.match(text):
        start, end = int(m.group(1)), m.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if end_year < start:  # FY 1999-00
            end_year += 100
        return end_year if end_year == start + 1 else None
    return None


def read(files: list[InputFile], profile: Any) -> SourceResult:
    """Read plan forecast tables.

    Args:
        files: :class:`contacts311.inputs.InputFile` items.
        profile: The profile in force (its fiscal-year start month names the labels).

    Returns:
        No contacts; ``tables["forecast"]`` and the ledger.

    Raises:
        InputError: A missing column, an unreadable fiscal year or number, or two different
            forecasts for the same year and channel.
    """
    from contacts311.calendar import period_label

    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    seen: dict[tuple[int, str], tuple[str, int, int]] = {}
    out = []
    start_month = getattr(profile, "fiscal_year_start_month", 7)
    for file in files:
        index, rows = open_table(
            file,
            ledger,
            columns,
            ("fiscal_year", "forecast_contacts"),
            "fiscal_year,forecast_contacts",
        )
        for line, cells in rows:
            label = cell(cells, index["fiscal_year"])
            key = parse_fiscal_year(label)
            if key is None:
                raise InputError(
                    file.name,
                    f"fiscal year {label!r} not understood; expected FY 2023-24, 2023-24 or the ending year 2024",
                    line=line,
                    column="fiscal_year",
                )
            value = parse_count(cell(cells, index["forecast_contacts"]))
            if value is None:
                raise InputError(
                    file.name,
                    f"forecast {cell(cells, index['forecast_contacts'])!r} is not a whole number >= 0",
                    line=line,
                    column="forecast_contacts",
                )
            channel = (
                cell(cells, index["channel"]).lower().replace(" ", "_")
                if "channel" in index
                else ""
            )
            channel = channel or "total"
            if (key, channel) in seen:
                first_file, first_line, first_value = seen[(key, channel)]
                if first_value != value:
                    raise InputError(
                        file.name,
                        f"forecast for {period_label(key, 'fiscal', start_month)} ({channel}) is {value} here "
                        f"but {first_value} in {first_file} line {first_line}",
                        line=line,
                    )
                ledger.add(file.name, "duplicate", "same_year_and_value", 1)
                continue
            seen[(key, channel)] = (file.name, line, value)
            ledger.add(file.name, "excluded", "supporting_record", 1)
            out.append(
                {
                    "period_key": key,
                    "fiscal_year": period_label(key, "fiscal", start_month),
                    "channel": channel,
                    "forecast_contacts": value,
                    "note": cell(cells, index["note"]) if "note" in index else "",
                    "source_file": file.name,
                }
            )
    table = pd.DataFrame(out, columns=FORECAST_COLUMNS).astype(
        {
            "period_key": "int64",
            "forecast_contacts": "int64",
            "fiscal_year": "string",
            "channel": "string",
            "note": "string",
            "source_file": "string",
        }
    )
    table = table.sort_values(["period_key", "channel"], kind="stable").reset_index(drop=True)
    notes = [
        f"{name}: plan forecast for {int((table['source_file'] == name).sum())} year-channel rows."
        for name in columns
    ]
    return SourceResult(
        contacts=pd.DataFrame(),
        ledger=ledger,
        notes=notes,
        tables={"forecast": table},
        columns=columns,
    )
