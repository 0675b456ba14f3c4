"""Reading one export: its header and the text cells of the columns the reader uses."""

from __future__ import annotations

import io
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
)


def read_cells(path: Path, name: str) -> tuple[Layout, dict[str, np.ndarray], int]:
    """The header and the text cells below it, one array per field (blank rows included).

    Returns:
        The layout, the cells (field name -> one text per row, and ``first_cell``) and the
        header's line number; row ``i`` is on line ``header_line + 1 + i``.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        layout, raw, header_line = _xlsx_cells(path, name)
    else:
        layout, raw, header_line = _text_cells(path, name)
    check_unique(layout, name, header_line)
    missing = [f for f in REQUIRED if f not in layout.fields]
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
    return layout, cells, header_line


def _filled(values: np.ndarray) -> np.ndarray:
    """Object cells with every missing one (a short row's) as ``""``."""
    values = np.asarray(values, dtype=object)
    gaps = pd.isna(values)
    if gaps.any():
        values = values.copy()
        values[gaps] = ""
    return values


def _text_cells(path: Path, name: str) -> tuple[Layout, dict[int, np.ndarray], int]:
    """The layout, the used columns' cells by position and the header's line number."""
    text = read_text(path)
    pos = 0
    layout = None
    header_line = 0
    for lineno in range(1, MAX_TITLE_LINES + 1):
        end = text.find("\n", pos)
        layout = match_header(text[pos:] if end < 0 else text[pos:end])
        pos = len(text) if end < 0 else end + 1
        if layout is not None:
            header_line = lineno
            break
        if end < 0:
            break
    if layout is None:
        raise no_header(name)
    usecols = sorted(set(layout.fields.values()) | {0})
    body = text[pos:]
    if not body.strip():
        return layout, {i: np.empty(0, dtype=object) for i in usecols}, header_line
    # With usecols, cells right of the last header column are ignored: CMS Supervisor writes a
    # trailing delimiter on some rows.
    raw = pd.read_csv(
        io.StringIO(body),
        sep=layout.delimiter,
        header=None,
        names=list(range(len(layout.header))),
        usecols=usecols,
        dtype=object,  # cells stay objects: the parsers work on each column's distinct texts
        na_filter=False,
        skip_blank_lines=False,  # keeps row i on line header_line + 1 + i
        index_col=False,
        engine="c",
    )
    return layout, {i: raw[i].to_numpy() for i in usecols}, header_line


def _xlsx_cells(path: Path, name: str) -> tuple[Layout, dict[int, np.ndarray], int]:
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
            return layout, cells, i + 1
    raise no_header(name)
