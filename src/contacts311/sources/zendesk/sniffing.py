"""Recognising a Zendesk export by its first lines (CSV header, JSON keys or Parquet schema)."""

from __future__ import annotations

import csv
import re

from contacts311.sources.zendesk.envelopes import PAGE_KEYS, STREAM_KINDS, record_kind
from contacts311.sources.zendesk.lake_tables import table_kind

__all__ = ["PAGE_KEYS", "first_keys", "record_kind", "sniff"]

_CSV_SNIFF = {"id", "status", "created at", "updated at"}

_PAGE_START = re.compile(r"\{\s*\"(" + "|".join(PAGE_KEYS) + r")\"\s*:\s*\[")

# Every record of the Zendesk API carries its own URL.
_API_URL = re.compile(r"\.zendesk\.com/api/v2/")

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')

_STREAM = re.compile(r'"([^"]*)"')


def sniff(head: str) -> bool:
    """Recognise a Zendesk export by its first lines.

    Args:
        head: The first lines of a file (decoded text).

    Returns:
        True for a Support CSV export header (``ID``, ``Status``, ``Created at``, ``Updated at``);
        for JSON, NDJSON or pretty-printed JSON of tickets, ticket events, audits or users, bare
        or as an array, API page, legacy export or pipeline-wrapped records; and for the column
        names of a data-lake table of those (a Parquet table's head, or a flattened CSV).
    """
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        return False
    if text[0] in "{[":
        return _sniff_json(text)
    header = _header(text)
    return {h.strip().lower() for h in header} >= _CSV_SNIFF or table_kind(header) is not None


def flat_table(text: str) -> bool:
    """Whether a CSV's header is a data-lake table's (``id,created_at,via_channel,...``).

    The Support export's own header (``ID``, ``Status``, ``Created at``, ...) is not.
    """
    header = _header(text.lstrip("\ufeff \t\r\n"))
    names = {h.strip().lower() for h in header}
    return not names >= _CSV_SNIFF and table_kind(header) is not None


def _header(text: str) -> list[str]:
    """The cells of the first line (a Parquet table's head is its column names)."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        return next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        return []


def _sniff_json(text: str) -> bool:
    """A page of a known table, a record of the Zendesk API, or a record of a known table."""
    if _PAGE_START.match(text) or _API_URL.search(text):
        return True
    keys = first_keys(text)
    if record_kind(keys) is not None:
        return True
    if "stream" in keys:  # a pipeline tool's wrapper names the stream
        stream = _STREAM.match(text, keys["stream"])
        if stream and stream.group(1).lower() in STREAM_KINDS:
            return True
    for wrapper in ("_airbyte_data", "data", "record"):
        if wrapper in keys:
            inner = first_keys(text, keys[wrapper])
            if record_kind(inner) is not None:
                return True
    return False


def first_keys(text: str, start: int = 0) -> dict[str, int]:
    """The top-level keys of the first JSON object at ``start`` (in an array: its first item).

    Works on a head that cuts the object off: the keys seen so far are returned, each with the
    position its value starts at.
    """
    i = _skip_space(text, start)
    if text[i : i + 1] == "[":
        i = _skip_space(text, i + 1)
    if text[i : i + 1] != "{":
        return {}
    keys: dict[str, int] = {}
    depth = 0
    for m in _TOKEN.finditer(text, i):
        tok = m.group()
        if tok in ("{", "["):
            depth += 1
        elif tok in ("}", "]"):
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            j = _skip_space(text, m.end())
            if text[j : j + 1] == ":":
                keys.setdefault(tok[1:-1], _skip_space(text, j + 1))
    return keys


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i
