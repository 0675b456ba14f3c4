"""What every source shares: the result type, text decoding and header sniffing helpers."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from contacts311.errors import InputError, warn_input

if TYPE_CHECKING:  # annotations only: finding and sniffing files must not load pandas
    import pandas as pd

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
    """
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
    """Rows of the first worksheet of a workbook as text cells (dates as ISO text)."""
    import datetime as dt

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


def is_gzip(path: Path) -> bool:
    """Whether a file is gzip-compressed, by its magic bytes (never by its name)."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_binary(path: Path):
    """Open a file for reading bytes, transparently un-gzipping ``.gz`` exports."""
    if is_gzip(path):
        import gzip

        return gzip.open(path, "rb")
    return path.open("rb")


def _binary_magic(sample: bytes) -> bool:
    return sample.startswith((b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xd0\xcf\x11\xe0", b"\x1f\x8b"))
