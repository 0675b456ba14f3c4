"""The two Avaya CMS layouts (CMS Supervisor report, ``hsplit`` dump): finding a header."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from contacts311.errors import InputError

# Field -> accepted header names, matched case-insensitively with spaces collapsed.
SUPERVISOR = {
    "date": ("Date", "Day"),
    "skill": ("Split/Skill", "Skill", "Split"),
    "skill_name": ("Split/Skill Name", "Skill Name", "Name"),
    "interval": ("Interval", "Time"),
    "acd_calls": ("ACD Calls",),
    "abandoned_calls": ("Aban Calls", "Abandoned Calls", "Abn Calls"),
    "calls_offered": ("Calls Offered", "Offered"),
    "acd_time": ("ACD Time",),
    "acw_time": ("ACW Time",),
    "staffed_time": ("Staffed Time",),
    "answer_time": ("Ans Time", "Answer Time"),
    "abandon_time": ("Aban Time", "Abandon Time"),
}


HSPLIT = {
    "date": ("row_date",),
    "skill": ("split",),
    "interval": ("starttime",),
    "intrvl": ("intrvl",),
    "acd": ("acd",),
    "acd_calls": ("acdcalls",),
    "abandoned_calls": ("abncalls",),
    "calls_offered": ("callsoffered",),
    "acd_time": ("acdtime",),
    "acw_time": ("acwtime",),
    "staffed_time": ("i_stafftime",),
    "answer_time": ("anstime",),
    "abandon_time": ("abntime",),
}


REQUIRED = ("date", "skill", "acd_calls", "abandoned_calls")

# Title blocks are a handful of lines; a header further down is not a CMS export.
MAX_TITLE_LINES = 60


@dataclass
class Layout:
    """Where a file's header is and what its columns are."""

    kind: str  # "supervisor" or "hsplit"
    fields: dict[str, int]  # field -> column index
    header: list[str]
    delimiter: str


def sniff(head: str) -> bool:
    """True when ``head`` (a file's first lines) is a CMS Supervisor export or an hsplit dump.

    Args:
        head: The first lines of the file as text.
    """
    return any(match_header(line) is not None for line in head.splitlines()[:MAX_TITLE_LINES])


def _norm(cell: str) -> str:
    return " ".join(cell.strip().strip('"').lower().split())


def split_line(line: str, delimiter: str) -> list[str]:
    """The cells of one delimited line (quotes as in CSV)."""
    return next(csv.reader([line], delimiter=delimiter), [])


def match_cells(cells: list[str]) -> tuple[str, dict[str, int]] | None:
    """The layout (``hsplit`` or ``supervisor``) and field positions of header ``cells``, if any."""
    names = [_norm(c) for c in cells]
    for kind, aliases in (("hsplit", HSPLIT), ("supervisor", SUPERVISOR)):
        fields: dict[str, int] = {}
        for field_name, accepted in aliases.items():
            # Aliases in order of preference: "Date" wins over a "Day" column of weekday names.
            for alias in accepted:
                if alias.lower() in names:
                    fields[field_name] = names.index(alias.lower())
                    break
        # A single-day Supervisor interval report may give its date on a title line instead.
        dated = "date" in fields or (kind == "supervisor" and "interval" in fields)
        if dated and all(k in fields for k in ("skill", "acd_calls")):
            return kind, fields
    return None


def check_unique(layout: Layout, name: str, line: int) -> None:
    """A column the reader uses must appear once: with two, which one counts is unknowable."""
    names = [_norm(c) for c in layout.header]
    for i in sorted(set(layout.fields.values())):
        where = [j + 1 for j, n in enumerate(names) if n == names[i]]
        if len(where) > 1:
            raise InputError(
                name,
                f"the header has this column {len(where)} times (positions "
                f"{', '.join(map(str, where))}); expected each column once",
                line=line,
                column=layout.header[i],
            )


def match_header(line: str) -> Layout | None:
    """The layout of a header ``line`` (tab- or comma-delimited), or ``None`` if it is not one."""
    line = line.lstrip("\ufeff").rstrip("\r\n")
    for delimiter in ("\t", ","):
        if delimiter not in line:
            continue
        cells = split_line(line, delimiter)
        found = match_cells(cells)
        if found is not None:
            kind, fields = found
            return Layout(kind, fields, [c.strip() for c in cells], delimiter)
    return None


def no_header(name: str) -> InputError:
    """The error for a file whose first lines hold no header of either layout."""
    return InputError(
        name,
        f"no column header found in the first {MAX_TITLE_LINES} lines; expected a CMS Supervisor "
        "header with Date (or, in a single-day interval report, Interval), Split/Skill and ACD "
        "Calls columns, or an hsplit header with row_date, split and acdcalls",
    )
