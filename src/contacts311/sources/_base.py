"""What every source shares: the result type, text decoding, sniffing and small-table helpers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from contacts311.errors import InputError, warn_input
from contacts311.scratch import private_folder

if TYPE_CHECKING:  # annotations only: finding and sniffing files must not load pandas
    import pandas as pd

    from contacts311.inputs import InputFile
    from contacts311.ledger import LedgerBuilder

HEAD_BYTES = 16_384


@dataclass
class SourceResult:
    """What a source hands to the pipeline.

    Attributes:
        contacts: Rows for the core contacts table (see ``contacts311.schema.CONTACT_COLUMNS``).
        ledger: Where every row read went (see ``contacts311.ledger``).
        notes: Plain sentences for reports (rules used, fallbacks taken).
        tables: Extra tables keyed by kind (``intervals``, ``population``, ``forecast``,
            ``events``), for measures that need more than counts.
        columns: The header of each file read, keyed by ``source_file`` (to notice layout changes).
    """

    contacts: pd.DataFrame
    ledger: LedgerBuilder
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)


def file_state(path: Path) -> tuple[str, int, int]:
    """A file as it is now: resolved path, size and modification time (ns).

    Work started on a file (a digest, a read) is reused only while this stays the same.

    Raises:
        OSError: The file is gone or cannot be read.
    """
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The first lines of a file as text, for sniffing (``""`` when it is not text).

    ``.xlsx`` workbooks are read with openpyxl and their first rows rendered as CSV lines.
    A Parquet file (``PAR1`` magic bytes), gzip-compressed or not, reads as one CSV header line
    of its column names, nested struct fields written dotted (``Agent.ConnectedToAgentTimestamp``),
    so each source recognises a Parquet table by the same columns as its CSV layout.
    """
    if is_parquet(path) or is_gzip_parquet(path):
        return ",".join(parquet_columns(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            return "\n".join(",".join(row) for row in xlsx_rows(path, limit=30))
        except Exception:
            return ""
    with open_binary(path) as fh:
        try:
            raw = fh.read(size)
        except (OSError, EOFError):
            return ""
    text = decode_bytes(raw, path, strict=False)
    return text or ""


def decode_bytes(raw: bytes, path: Path, strict: bool = True) -> str | None:
    """Decode an export: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Args:
        raw: The file's bytes.
        path: The file, for messages.
        strict: Raise :class:`InputError` for binary data (else return ``None``).
    """
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return raw.decode("utf-16")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    sample = raw[:4096]
    if sample and (sample.count(b"\x00") > len(sample) // 10 or _binary_magic(sample)):
        if strict:
            raise InputError(
                path, "not a text export (binary content); expected CSV, TSV, JSON or .xlsx"
            )
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Truncated multi-byte sequence at the very end of a partial read is still UTF-8.
        if not strict and exc.start >= len(raw) - 3:
            return raw[: exc.start].decode("utf-8")
        if strict:
            warn_input(path, "not UTF-8; read as Windows-1252 (cp1252)")
        return raw.decode("cp1252", errors="replace")


def read_text(path: Path) -> str:
    """The whole file as text, decoded like :func:`decode_bytes`; NUL bytes are an error."""
    try:
        with open_binary(path) as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(path, f"cannot read compressed export ({exc})") from None
    text = decode_bytes(raw, path, strict=True)
    assert text is not None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            path,
            "NUL byte in a text export (the file is damaged); expected text without NUL bytes: "
            "re-export the file",
            line=line,
        )
    return text


def xlsx_rows(path: Path, limit: int | None = None) -> list[list[str]]:
    """Rows of the first worksheet of a workbook as text cells.

    Dates are ISO text and durations ``h:mm:ss`` with total hours, as text exports write them.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        out: list[list[str]] = []
        for row in ws.iter_rows(values_only=True):
            cells = []
            for v in row:
                if v is None:
                    cells.append("")
                elif isinstance(v, dt.datetime):
                    cells.append(v.isoformat(sep=" "))
                elif isinstance(v, dt.date):
                    cells.append(v.isoformat())
                elif isinstance(v, dt.timedelta):
                    cells.append(_duration_text(v))
                elif isinstance(v, float) and v.is_integer():
                    cells.append(str(int(v)))
                else:
                    cells.append(str(v))
            out.append(cells)
            if limit is not None and len(out) >= limit:
                break
        return out
    finally:
        wb.close()


def _duration_text(value: dt.timedelta) -> str:
    """A workbook duration as ``h:mm:ss`` with total hours (``39:00:00``), as Excel shows it.

    openpyxl gives a ``[h]:mm:ss`` cell as a timedelta, whose ``str`` (``1 day, 15:00:00``) no
    duration reader takes. A fraction of a second (Excel keeps a duration as a fraction of a
    day, so a sum of them may fall between seconds) is rounded, as Excel rounds it for display.
    """
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def is_gzip(path: Path) -> bool:
    """Whether a file is gzip-compressed, by its magic bytes (never by its name)."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def is_empty_gzip(path: Path) -> bool:
    """Whether a file is gzip-compressed and holds nothing once decompressed (``gzip.compress(b"")``).

    A damaged gzip stream is not empty: it is unreadable, and said so elsewhere.
    """
    return _gunzipped_start(path, 1) == b""


def is_parquet(path: Path) -> bool:
    """Whether a file is a Parquet table, by its magic bytes (never by its name)."""
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def is_gzip_parquet(path: Path) -> bool:
    """Whether a file is a gzip-compressed Parquet table (``records.parquet.gz``), by content."""
    return _gunzipped_start(path, 4) == b"PAR1"


def _gunzipped_start(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of a gzip file's content; ``None`` if not gzip or damaged."""
    if not is_gzip(path):
        return None
    import gzip

    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError):
        return None


@contextmanager
def plain_parquet(path: Path) -> Iterator[Path]:
    """A Parquet file readers can open: ``path`` itself, or a gzip-compressed one decompressed.

    Parquet keeps its schema at the end of the file and is read by seeking, which a gzip stream
    cannot do; a gzip-compressed table is therefore decompressed to a temporary file, removed on
    leaving (also on an error). Any other file is yielded as it is.

    Raises:
        InputError: The gzip stream is damaged (cut short, not gzip after all).
    """
    if not is_gzip_parquet(path):
        yield path
        return
    import gzip

    # In a private folder, so a copy left by a killed process is swept by the next one.
    with private_folder("contacts311-parquet-") as folder:
        local = folder / (path.name.removesuffix(".gz") or "table.parquet")
        with local.open("wb") as out, gzip.open(path, "rb") as fh:
            try:
                shutil.copyfileobj(fh, out)
            except (OSError, EOFError) as exc:
                raise InputError(
                    path, f"cannot decompress gzip-compressed Parquet ({exc}); re-export it"
                ) from None
        yield local


def parquet_columns(path: Path) -> list[str]:
    """A Parquet table's column names, struct fields flattened with dots (none if unreadable).

    A gzip-compressed table is read like a plain one (see :func:`plain_parquet`). Lists
    (``custom_fields``) keep their own name: their items are the reader's business.
    """
    import pyarrow as pa  # only a Parquet input pays for pyarrow
    import pyarrow.parquet as pq

    try:
        with plain_parquet(path) as local:
            schema = pq.read_schema(local)
    except (OSError, pa.ArrowException, InputError):
        return []

    def names(field: pa.Field, prefix: str = "") -> list[str]:
        name = prefix + field.name
        if pa.types.is_struct(field.type):
            return [n for child in field.type for n in names(child, name + ".")]
        return [name]

    return [n for field in schema for n in names(field)]


def open_binary(path: Path):
    """Open a file for reading bytes, transparently un-gzipping ``.gz`` exports."""
    if is_gzip(path):
        import gzip

        return gzip.open(path, "rb")
    return path.open("rb")


# --------------------------------------------------------------------------- small tables


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Read a small delimited text table or the first worksheet of an ``.xlsx`` workbook.

    Used by the simple table sources (counts, population, forecast, events).

    Args:
        path: The file.

    Returns:
        The header cells (stripped, as written) and the data rows, each with the 1-based line
        (or worksheet row) number it starts on: a record whose quoted cell spans several lines
        is numbered by its first line, where an editor shows it. Blank rows are dropped.

    Raises:
        InputError: The file has no header row.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        numbered = list(enumerate(xlsx_rows(path), start=1))
    else:
        text = read_text(path)
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        # Tab- or semicolon-separated exports exist; a comma in the header wins when present.
        delimiter = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        numbered = []
        # line_num is the record's last line once read; the record began after the previous one.
        start = 1
        for row in reader:
            numbered.append((start, row))
            start = reader.line_num + 1
    rows = [(n, [c.strip() for c in row]) for n, row in numbered if any(c.strip() for c in row)]
    if not rows:
        raise InputError(path, "empty file; expected a header row and data rows", line=1)
    header = rows[0][1]
    return header, rows[1:]


def refuse_wide_rows(
    name: str, path: Path, header: list[str], rows: list[tuple[int, list[str]]]
) -> None:
    """Refuse a delimited-text row with a filled cell right of the header's last named column.

    An unquoted ``1,234`` or a delimiter inside an unquoted cell splits one cell in two and
    shifts the rest of the row a column right; reading the row by position would then take the
    wrong cells and drop the last one unseen. Empty cells there are allowed: a trailing
    delimiter, or the padding of a spreadsheet's "Save as CSV". A workbook has no delimiters to
    split on, but a value typed beside the table would be left out unseen just the same.

    Args:
        name: The file, for the message.
        path: The file on disk (an ``.xlsx`` or ``.xlsm`` workbook gets its own message).
        header: The header cells, as :func:`read_table` gives them.
        rows: The ``(line, cells)`` data rows of :func:`read_table`.

    Raises:
        InputError: The first such row, naming its line.
    """
    workbook = path.suffix.lower() in (".xlsx", ".xlsm")
    named = [i for i, title in enumerate(header) if title]
    width = named[-1] + 1 if named else 0
    for line, cells in rows:
        if len(cells) <= width:
            continue
        filled = [i for i, text in enumerate(cells) if text]
        if filled[-1] < width:
            continue
        if workbook:
            from openpyxl.utils import get_column_letter

            letter = get_column_letter(filled[-1] + 1)
            raise InputError(
                name,
                f"a value in column {letter}, which has no header; expected every value under a "
                "named column (name the column, or move the value out of the sheet)",
                line=line,
                column=letter,
            )
        raise InputError(
            name,
            f"this row has {filled[-1] + 1} cells but the header has {width}; expected one "
            "cell per header column (a count written 1,234 without quotes, or a delimiter "
            "inside an unquoted cell, splits a cell in two)",
            line=line,
        )


def header_index(header: list[str]) -> dict[str, int]:
    """Column positions keyed by lower-cased, stripped name (first occurrence wins)."""
    out: dict[str, int] = {}
    for i, name in enumerate(header):
        out.setdefault(name.strip().lstrip("\ufeff").strip('"').strip().lower(), i)
    return out


def column_positions(
    name: str, header: list[str], opts: dict[str, object], keys: tuple[str, ...]
) -> dict[str, int]:
    """Where the columns a profile names under ``keys`` are in ``header`` (unset keys skipped).

    Raises:
        InputError: A named column is not in the header (line 1).
    """
    index = header_index(header)
    positions = {}
    for key in keys:
        if not str(opts.get(key) or "").strip():
            continue
        wanted = str(opts[key]).strip().lower()
        if wanted not in index:
            raise InputError(
                name,
                f"no column {opts[key]!r} ({key} in the profile); the header has: {', '.join(header)}",
                line=1,
            )
        positions[key] = index[wanted]
    return positions


def open_table(
    file: InputFile,
    ledger: LedgerBuilder,
    columns: dict[str, list[str]],
    required: tuple[str, ...],
    expected: str,
) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Read one reference table, record its header and rows read, and check its columns.

    Args:
        file: The :class:`~contacts311.inputs.InputFile`.
        ledger: The source's :class:`~contacts311.ledger.LedgerBuilder`.
        columns: ``SourceResult.columns``, filled in for this file.
        required: Column names (lower case) that must be present.
        expected: The layout named in the error, e.g. ``date,end_date,label``.

    Returns:
        The column index and the ``(line, cells)`` rows.

    Raises:
        InputError: A required column is missing (line 1), or a row is wider than the header.
    """
    header, rows = read_table(Path(file.path))
    columns[file.name] = header
    refuse_wide_rows(file.name, Path(file.path), header, rows)
    ledger.read(file.name, len(rows))
    index = header_index(header)
    for col in required:
        if col not in index:
            raise InputError(file.name, f"no {col!r} column; expected {expected}", line=1)
    return index, rows


def header_names(head: str) -> set[str]:
    """Lower-cased column names of the first non-blank line of ``head``, for sniffing.

    Cells are split on commas, tabs and semicolons alike (a sniff only asks which names occur).
    """
    first = next((ln for ln in head.lstrip("\ufeff").splitlines() if ln.strip()), "")
    return {c.strip().strip('"').strip().lower() for c in re.split(r"[,\t;]", first)}


def cell(cells: list[str], i: int) -> str:
    """The stripped cell at position ``i`` of a row, or ``""`` when the row is shorter."""
    return cells[i].strip() if i < len(cells) else ""


def parse_count(text: str) -> int | None:
    """A non-negative whole number written as ``1234``, ``1,234`` or ``1234.0``; else ``None``."""
    cleaned = text.replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"\d+(\.0*)?", cleaned):
        return None
    return int(float(cleaned)) if "." in cleaned else int(cleaned)


def _binary_magic(sample: bytes) -> bool:
    return sample.startswith((b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xd0\xcf\x11\xe0", b"\x1f\x8b"))
