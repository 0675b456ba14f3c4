"""The report date written on a title line (``Date: 3/5/2024``) of an export with no date column.

CMS Supervisor prints a single-day interval report's date above the header instead of in a
column. A range (``Dates: 3/1/2024 - 3/31/2024``) on such a report cannot say which day an
interval row belongs to, so it is an error unless it is a single day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from contacts311.errors import InputError
from contacts311.sources.avaya_cms.cells import parse_date_text

_LABEL = re.compile(r"^\s*(dates?)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]00:00(?::00)?)?|\d{1,2}/\d{1,2}/\d{2,4}")
# What may stand between and around the dates: a range word or dash, weekday names.
_FILLER = re.compile(
    r"^(?:[\s,\-\u2013\u2014]|to|through|thru|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TitleDate:
    """A ``Date:``/``Dates:`` title line: the dates it names and where it stands."""

    line: int
    text: str
    dates: tuple[dt.date, ...]  # empty when the value is not a date or a range of dates


def find_title_dates(titles: list[tuple[int, list[str]]]) -> list[TitleDate]:
    """The ``Date:``/``Dates:`` lines among a file's title lines.

    Args:
        titles: ``(line number, cells)`` of each line above the header; a title split over
            several cells (``Date:,3/5/2024`` from a spreadsheet) is read as one text.
    """
    found = []
    for line, cells in titles:
        text = " ".join(c.strip() for c in cells if c and c.strip())
        m = _LABEL.match(text)
        if not m:
            continue
        tokens = _DATE_TOKEN.findall(m[2])
        dates = tuple(parse_date_text(t) for t in tokens)
        readable = (
            len(tokens) in (1, 2)
            and None not in dates
            and _FILLER.match(_DATE_TOKEN.sub(" ", m[2])) is not None
        )
        found.append(TitleDate(line, text, dates if readable else ()))  # type: ignore[arg-type]
    return found


def report_date(name: str, titles: list[TitleDate], header_line: int) -> TitleDate:
    """The title line giving the one day a report with no date column covers (``dates[0]``).

    Raises:
        InputError: No ``Date:`` title line, one that is not a date, or dates spanning more
            than one day (a range, or title lines that disagree).
    """
    if not titles:
        raise InputError(
            name,
            "the header has no date column and no title line above it gives the report's date; "
            "expected a Date column or a title line such as 'Date: 3/5/2024'",
            line=header_line,
        )
    for title in titles:
        if not title.dates:
            raise InputError(
                name,
                "expected a date as MM/DD/YYYY, YYYY-MM-DD or M/D/YY (or a range of two) on the "
                f"title line, got {title.text!r}",
                line=title.line,
            )
    ranges = [t for t in titles if min(t.dates) != max(t.dates)]
    if ranges:
        days = ranges[0].dates
        raise InputError(
            name,
            f"the title says {ranges[0].text!r} ({(max(days) - min(days)).days + 1} days) but the "
            "header has no date column, so which day each row belongs to is unknown; expected a "
            "single-day report ('Date: 3/5/2024') or a Date column",
            line=ranges[0].line,
        )
    day = titles[0].dates[0]
    other = next((t for t in titles if t.dates[0] != day), None)
    if other is not None:
        raise InputError(
            name,
            f"title lines {titles[0].line} ({titles[0].text!r}) and {other.line} "
            f"({other.text!r}) name different days and the header has no date column; expected "
            "one report date",
            line=other.line,
        )
    return titles[0]
