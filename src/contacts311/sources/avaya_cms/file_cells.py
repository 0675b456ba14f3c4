"""Reading one export: its header and the text cells of the columns the reader uses."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.sources._base import read_text, xlsx_rows
from contacts311.sources.avaya_cms.layouts import (
    HSPLIT,
    MAX_TITLE_LINES,
    REQUIRED,
    SUPERVISOR,
    Layout,
    check_unique,
    match_cells,
    match_header,
    no_header,
    split_line,
)
from contacts311.sources.avaya_cms.titles import TitleDate, find_title_dates, report_date


def read_cells(
    path: Path, name: str
) -> tuple[Layout, dict[str, np.ndarray], int, TitleDate | None]:
    """The header and the text cells below it, one array per field (blank rows included).

    Returns:
        The layout, the cells (field name -> one text per row, and ``first_cell``), the
        header's line number (row ``i`` is on line ``header_line + 1 + i``) and, for a report
        with no date column, the title line its date comes from (every row is on that day).

    Raises:
        InputError: No header, a required column missing, a column twice, or no date column and
            no single-day ``Date:`` title line.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        layout, raw, header_line, titles = _xlsx_cells(path, name)
    else:
        layout, raw, header_line, titles = _text_cells(path, name)
    check_unique(layout, name, header_line)
    # Only a Supervisor header can lack the date (layouts.match_cells): a title line gives it.
    missing = [f for f in REQUIRED if f not in layout.fields and f != "date"]
    if missing:
        wanted = HSPLIT if layout.kind == "hsplit" else SUPERVISOR
        raise InputError(
            name,
            "header lacks required column(s): "
            + "; ".join(" or ".join(repr(a) for a in wanted[f]) for f in missing)
            + "; expected "
            + ", ".join(wanted[f][0] for f in REQUIRED),
            line=header_line,
            column=wanted[missing[0]][0],
        )
    # A short row's missing cells are empty cells (an error where a value is required), unlike
    # a column the file does not have, which stays missing (None) after files are joined.
    by_position = {i: _filled(raw[i]) for i in raw}
    cells = {f: by_position[i] for f, i in layout.fields.items()}
    cells["first_cell"] = by_position[0]
    title = None
    if "date" not in layout.fields:
        title = report_date(name, find_title_dates(titles), header_line)
        cells["date"] = _dated(cells, title.dates[0].isoformat())
    return layout, cells, header_line, title


def _dated(cells: dict[str, np.ndarray], day: str) -> np.ndarray:
    """A date cell for every row of a report dated by its title; blank rows stay blank."""
    filled = np.zeros(len(cells["first_cell"]), dtype=bool)
    for values in cells.values():
        filled |= pd.Series(values, dtype=object).astype(str).str.strip().ne("").to_numpy()
    return np.where(filled, day, "").astype(object)


def _filled(values: np.ndarray) -> np.ndarray:
    """Object cells with every missing one (a short row's) as ``""``."""
    values = np.asarray(values, dtype=object)
    gaps = pd.isna(values)
    if gaps.any():
        values = values.copy()
        values[gaps] = ""
    return values


def _text_cells(
    path: Path, name: str
) -> tuple[Layout, dict[int, np.ndarray], int, list[tuple[int, list[str]]]]:
    """The layout, used columns' cells by position, header line number and the title lines.

    Title lines are the lines above the header, as (line number, cells).
    """
    text = read_text(path)
    pos = 0
    layout = None
    header_line = 0
    above: list[str] = []
    for lineno in range(1, MAX_TITLE_LINES + 1):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        layout = match_header(line)
        pos = len(text) if end < 0 else end + 1
        if layout is not None:
            header_line = lineno
            break
        above.append(line)
        if end < 0:
            break
    if layout is None:
        raise no_header(name)
    titles = [
        (i + 1, split_line(t.strip("\ufeff\r"), layout.delimiter)) for i, t in enumerate(above)
    ]
    usecols = sorted(set(layout.fields.values()) | {0})
    body = text[pos:]
    if not body.strip():
        return layout, {i: np.empty(0, dtype=object) for i in usecols}, header_line, titles
    raw = _body_cells(body, layout, name, header_line)
    return layout, {i: raw[i].to_numpy() for i in usecols}, header_line, titles


def _body_cells(body: str, layout: Layout, name: str, header_line: int) -> pd.DataFrame:
    """Every cell below the header, by position; a row wider than the header is an error.

    Empty cells right of the header's last column are allowed: CMS Supervisor writes trailing
    delimiters on some rows. A filled one (an unquoted ``1,234``, a comma in a skill name)
    would shift the row's counts into the wrong columns.
    """
    width = len(layout.header)
    # CMS does not quote its tab-delimited cells: a '"' there is text, not a quote.
    quoting = csv.QUOTE_NONE if layout.delimiter == "\t" else csv.QUOTE_MINIMAL
    raw = _parse(body, layout.delimiter, quoting, width + 1)
    if raw is None or raw[width].str.strip().ne("").any():
        # Some row is wider than the header: refuse it if it has a filled cell there.
        wide, widest = _wide_row(body, layout, quoting, name, header_line)
        if wide is not None:
            raise wide
        raw = _parse(body, layout.delimiter, quoting, widest) if raw is None else raw
        if raw is None:
            raise InputError(name, "cannot read as delimited text; expected one row per line")
    if quoting == csv.QUOTE_NONE:
        raw = raw.apply(_unquoted)
    return raw


def _parse(body: str, delimiter: str, quoting: int, columns: int) -> pd.DataFrame | None:
    """The cells of ``body`` in ``columns`` columns, or ``None`` if a row has more."""
    with warnings.catch_warnings(record=True) as caught:
        # A first row wider than the names is cut short with only this warning.
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            raw = pd.read_csv(
                io.StringIO(body),
                sep=delimiter,
                header=None,
                names=list(range(columns)),
                dtype=object,  # cells stay objects: the parsers work on distinct texts
                na_filter=False,
                skip_blank_lines=False,  # keeps row i on line header_line + 1 + i
                index_col=False,
                engine="c",
                quoting=quoting,
            )
        except pd.errors.ParserError:
            return None
    return None if caught else raw


def _wide_row(
    body: str, layout: Layout, quoting: int, name: str, header_line: int
) -> tuple[InputError | None, int]:
    """The first row with a filled cell right of the header's columns, and the widest row.

    Returns:
        The error naming that row's line (``None`` if no row has one) and the number of cells
        of the widest row read up to there.
    """
    width = len(layout.header)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=layout.delimiter, quoting=quoting)
    start, widest = 1, width
    for cells in reader:
        widest = max(widest, len(cells))
        filled = [i for i, cell in enumerate(cells) if cell.strip()]
        if filled and filled[-1] >= width:
            return InputError(
                name,
                f"this row has {filled[-1] + 1} cells but the header has {width}; expected one "
                "cell per header column (a count written 1,234 without quotes, or a delimiter "
                "inside a skill name, splits a cell in two)",
                line=header_line + start,
            ), widest
        start = reader.line_num + 1
    return None, widest


def _unquoted(cells: pd.Series) -> pd.Series:
    """A tab-delimited cell wrapped whole in quotes (as a spreadsheet saves it) loses them."""
    wrapped = cells.str.len().ge(2) & cells.str.startswith('"') & cells.str.endswith('"')
    if not wrapped.any():
        return cells
    return cells.mask(wrapped, cells.str[1:-1].str.replace('""', '"', regex=False))


def _xlsx_cells(
    path: Path, name: str
) -> tuple[Layout, dict[int, np.ndarray], int, list[tuple[int, list[str]]]]:
    rows = xlsx_rows(path)
    for i, row in enumerate(rows[:MAX_TITLE_LINES]):
        found = match_cells(row)
        if found is not None:
            kind, fields = found
            layout = Layout(kind, fields, [c.strip() for c in row], ",")
            body = rows[i + 1 :]
            cells = {
                c: np.array([r[c] if c < len(r) else "" for r in body], dtype=object)
                for c in sorted(set(fields.values()) | {0})
            }
            titles = [(j + 1, r) for j, r in enumerate(rows[:i])]
            return layout, cells, i + 1, titles
    raise no_header(name)
