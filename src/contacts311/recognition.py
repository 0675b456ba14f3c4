"""Why a file is not recognised: what its first lines hold, and the nearest known layout.

Each known layout is declared here by the columns (or JSON keys) its format's ``sniff`` needs
to recognise a file; ``tests/unit/test_recognition.py`` checks each declaration against the
sniffers, so the two cannot drift apart. Kept free of pandas: it runs before anything is read.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.sources._base import is_empty_gzip, is_gzip_parquet, is_parquet, xlsx_rows

__all__ = ["LAYOUTS", "Layout", "Seen", "describe", "nearest", "unrecognised"]

#: Shapes of a file's first lines.
HEADER, JSON_ARRAY, JSON_OBJECT, JSON_LINES = "header", "JSON array", "JSON object", "JSON lines"
_JSON = frozenset({JSON_ARRAY, JSON_OBJECT, JSON_LINES})

#: A required name ending with this matches any four-digit year (``POPESTIMATE2023``).
_YEAR = "<year>"
#: How many names a message lists before "... (N in all)".
_SHOWN = 8
#: Title lines above a header (Avaya CMS Supervisor reports) are a handful at most.
_HEADER_LINES = 60
#: How alike a column and a required name must be (difflib ratio) to be called close.
_CLOSE = 0.75


@dataclass(frozen=True)
class Layout:
    """A known layout: its format and what a file needs to be recognised as it.

    Attributes:
        format: The registered format name.
        label: The layout as people call it.
        shapes: The shapes it is read in (``header``; ``JSON array``, ``JSON object``,
            ``JSON lines``).
        required: Each required column or key, as a tuple of accepted names (the first is the
            one messages show).
    """

    format: str
    label: str
    shapes: frozenset[str]
    required: tuple[tuple[str, ...], ...]


def _layout(fmt: str, label: str, shapes: frozenset[str], *required: str | tuple) -> Layout:
    return Layout(fmt, label, shapes, tuple(r if isinstance(r, tuple) else (r,) for r in required))


_HEADER = frozenset({HEADER})

LAYOUTS: tuple[Layout, ...] = (
    _layout(
        "avaya_cms",
        "Avaya CMS Supervisor report",
        _HEADER,
        # A single-day interval report may give its date on a title line instead.
        ("Date", "Day", "Interval", "Time"),
        ("Split/Skill", "Skill", "Split"),
        "ACD Calls",
    ),
    _layout("avaya_cms", "Avaya CMS hsplit dump", _HEADER, "row_date", "split", "acdcalls"),
    _layout(
        "zendesk", "Zendesk Support CSV export", _HEADER, "ID", "Status", "Created at", "Updated at"
    ),
    _layout("zendesk", "Zendesk tickets", _JSON, "id", "created_at", ("status", "via")),
    _layout("zendesk", "Zendesk ticket events", _JSON, "ticket_id", "updater_id"),
    _layout("zendesk", "Zendesk ticket audits", _JSON, "ticket_id", "author_id", "events"),
    _layout("zendesk", "Zendesk users", _JSON, "id", ("role", "user_fields")),
    _layout(
        "amazon_connect",
        "Amazon Connect contact records",
        _HEADER,
        "ContactId",
        "InitiationTimestamp",
    ),
    _layout(
        "amazon_connect",
        "Amazon Connect contact records",
        _JSON,  # an array, JSON lines, one object or Firehose objects back to back
        "ContactId",
        "InitiationTimestamp",
    ),
    _layout(
        "population",
        "Census county alldata file",
        _HEADER,
        "SUMLEV",
        "STATE",
        "COUNTY",
        f"POPESTIMATE{_YEAR}",
    ),
    _layout("population", "population table", _HEADER, "year", "population"),
    _layout("forecast", "plan forecast table", _HEADER, "fiscal_year", "forecast_contacts"),
    _layout("events", "events table", _HEADER, "date", "label"),
)


@dataclass(frozen=True)
class Seen:
    """What a file's first lines hold.

    Attributes:
        shape: ``header``, ``JSON array``, ``JSON object``, ``JSON lines``, or ``""`` (none).
        names: The header's columns or the first record's keys, in file order.
        text: The same in words, e.g. ``a CSV header with columns A, B, C``.
        line: The 1-based line of the header or first record.
    """

    shape: str
    names: tuple[str, ...]
    text: str
    line: int = 1


def describe(head: str, path: Path | None = None) -> Seen:
    """What ``head`` (a file's first lines, as :func:`read_head` gives them) holds.

    Args:
        head: The first lines.
        path: The file, whose suffix says whether the head came from a workbook or a Parquet
            table (both reach here rendered as CSV lines).
    """
    text = head.lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return _describe_json(stripped)
    return _describe_header(text, path)


def _describe_json(text: str) -> Seen:
    from contacts311.sources.zendesk.sniffing import first_keys

    if text.startswith("["):
        rest = text[1:].lstrip()
        if rest.startswith("]"):
            return Seen(JSON_ARRAY, (), "an empty JSON array")
        if not rest.startswith("{"):
            return Seen(JSON_ARRAY, (), "a JSON array of values that are not objects")
        keys = tuple(first_keys(text))
        return Seen(JSON_ARRAY, keys, f"a JSON array of objects with keys {_list(keys)}")
    first = text.split("\n", 1)[0].strip()
    if _whole_object(first) and "\n" in text.strip():
        keys = tuple(json.loads(first))
        return Seen(JSON_LINES, keys, f"JSON lines with keys {_list(keys)}")
    found = first_keys(text)
    keys = tuple(found)
    words = f"a JSON object with keys {_list(keys)}"
    # An API page or an envelope: name the keys of the records it holds.
    for key, start in found.items():
        if re.match(r"\[\s*\{", text[start : start + 40]):
            inner = tuple(first_keys(text, start))
            holds = f"its {key!r} holds objects with keys {_list(inner)}"
            return Seen(JSON_OBJECT, inner, f"{words}; {holds}")
    return Seen(JSON_OBJECT, keys, words)


def _whole_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _describe_header(text: str, path: Path | None) -> Seen:
    lines = text.splitlines()[:_HEADER_LINES]
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        return Seen("", (), "no text")
    # Title lines (a report name, "Dates: ...") come before a header: take the first line
    # that is split into columns.
    line_no, line = next(
        ((i, ln) for i, ln in numbered if len(_cells(ln)[1]) > 1 and any(_cells(ln)[1])),
        numbered[0],
    )
    delimiter, cells = _cells(line)
    names = tuple(c for c in cells if c)
    if len(cells) <= 1:
        snippet = line.strip()[:60] + ("..." if len(line.strip()) > 60 else "")
        return Seen(HEADER, names, f"a first line with no delimiter: {snippet!r}", line_no)
    suffix = path.suffix.lower() if path is not None else ""
    if path is not None and is_parquet(path):
        kind = "a Parquet table with columns"
    elif path is not None and is_gzip_parquet(path):
        kind = "a gzip-compressed Parquet table with columns"
    elif suffix in (".xlsx", ".xlsm"):
        kind = "a worksheet whose header row has columns"
    else:
        kind = {",": "a CSV header", "\t": "a tab-delimited header"}.get(
            delimiter, f"a {'semicolon' if delimiter == ';' else 'pipe'}-delimited header"
        )
        kind += " with columns" if line_no == 1 else f" on line {line_no} with columns"
    return Seen(HEADER, names, f"{kind} {_list(names)}", line_no)


def _cells(line: str) -> tuple[str, list[str]]:
    """The likeliest delimiter of a line (tab, comma, semicolon or pipe) and its cells."""
    counts = {d: line.count(d) for d in ("\t", ",", ";", "|")}
    delimiter = "\t" if counts["\t"] else max(counts, key=lambda d: counts[d])
    if not counts[delimiter]:
        return ",", [line.strip()]
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        cells = line.split(delimiter)
    return delimiter, [c.strip().strip('"').strip() for c in cells]


def _list(names: tuple[str, ...] | list[str]) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOWN else "")


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def _has(accepted: tuple[str, ...], names: set[str], exact: bool) -> bool:
    for a in accepted:
        if a.endswith(_YEAR):
            stem = _norm(a[: -len(_YEAR)])
            if any(re.fullmatch(re.escape(stem) + r"\d{4}", n) for n in names):
                return True
        elif (a if exact else _norm(a)) in names:
            return True
    return False


def _closest(wanted: str, names: tuple[str, ...]) -> tuple[str | None, float]:
    """The seen name most like ``wanted`` (ignoring case, ``_`` and spaces) and the ratio."""

    def key(n: str) -> str:
        return re.sub(r"[\s_.\-]+", "", n.lower())

    best, ratio = None, 0.0
    for n in names:
        r = difflib.SequenceMatcher(None, key(wanted), key(n)).ratio()
        if r > ratio:
            best, ratio = n, r
    return best, ratio


def nearest(seen: Seen) -> str | None:
    """``nearest: <layout> (<format>), lacks ...`` for the layout closest to ``seen``, if any.

    Only layouts of the same kind (header or JSON) compete. Each required name scores 1 when
    present and its difflib ratio to the closest column when that is at least 0.75; ``None``
    when no layout scores above 0.
    """
    kind = _JSON if seen.shape in _JSON else _HEADER
    exact = seen.shape in _JSON  # JSON keys are case-sensitive; header names are not
    names = set(seen.names) if exact else {_norm(n) for n in seen.names}
    best: tuple[float, int, Layout, list[str]] | None = None
    for order, layout in enumerate(LAYOUTS):
        if not layout.shapes & kind:
            continue
        score, lacks = 0.0, []
        for accepted in layout.required:
            if _has(accepted, names, exact):
                score += 1
                continue
            close, ratio = _closest(accepted[0], seen.names)
            if close is not None and ratio >= _CLOSE:
                score += ratio
                lacks.append(f"{accepted[0]!r} ({close!r} is close)")
            else:
                lacks.append(repr(accepted[0]))
        score /= len(layout.required)
        if score > 0 and (best is None or (score, -order) > (best[0], -best[1])):
            best = (score, order, layout, lacks)
    if best is None:
        return None
    _, _, layout, lacks = best
    text = f"nearest: {layout.label} ({layout.format})"
    if lacks:
        text += f", lacks {', '.join(lacks)}"
    elif seen.shape in layout.shapes:
        text += ", whose columns are all there"
    if seen.shape not in layout.shapes:
        text += f", and it is read as {' or '.join(sorted(layout.shapes))}, not {seen.shape}"
    return text


def unrecognised(path: Path, head: str) -> InputError:
    """The clearest error for a file no format accepts: empty, binary, or what it holds.

    Args:
        path: The file.
        head: Its first lines (``""`` when not text).
    """
    known = "known formats: " + ", ".join(sources.FORMATS)
    if path.stat().st_size == 0:
        return InputError(
            path,
            "empty file (0 bytes); expected an export with a header row (re-export it)",
            line=1,
        )
    if is_empty_gzip(path):  # its 20 bytes of gzip framing wrap no content at all
        return InputError(
            path,
            "empty file (0 bytes after gzip decompression); expected an export with a header "
            "row (re-export it)",
            line=1,
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            xlsx_rows(path, limit=1)
        except Exception:  # openpyxl raises many types for a damaged zip; all mean the same here
            return InputError(
                path, "not a readable .xlsx workbook; expected an Excel workbook (first worksheet)"
            )
    elif (is_parquet(path) or is_gzip_parquet(path)) and not head:
        return InputError(
            path, "not a readable Parquet table (its schema cannot be read); re-export it"
        )
    elif not head:
        return InputError(
            path, "not a text export (binary content); expected CSV, TSV, JSON or .xlsx", line=1
        )
    seen = describe(head, path)
    parts = [f"not recognised as any known export: it holds {seen.text}"]
    if seen.shape == HEADER and re.search(r"(semicolon|pipe)-delimited", seen.text):
        label = "semicolon" if "semicolon" in seen.text else "pipe"
        parts.append(f"the header looks {label}-delimited, expected comma- or tab-delimited")
    near = nearest(seen)
    if near:
        parts.append(near)
    elif seen.shape == HEADER:
        parts.append(
            "a table of daily or monthly counts is read through a profile 'sources' entry "
            "of format counts"
        )
    parts.append(known)
    return InputError(path, "; ".join(parts), line=seen.line)
