"""The JSON values of a contact-record file's text, read as strictly as DuckDB reads them.

DuckDB's JSON reader names no line when it rejects a file; these readers find the record and
its line, for the head of a file (its shape, its first timestamps) and for messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any


def json_shape(head: str) -> str:
    """``read_json``'s format for a file starting with ``head``."""
    text = head.lstrip("\ufeff").lstrip()
    if text.startswith("["):
        return "array"
    try:
        json.loads(text.splitlines()[0])
    except ValueError:  # an object over many lines, or objects back to back (``}{``)
        return "unstructured"
    return "newline_delimited"


def iter_values(text: str, array: bool = False) -> Iterator[tuple[int, Any]]:
    """The top-level JSON values of ``text`` with their offsets (the items, for an array).

    Raises:
        json.JSONDecodeError: At the first text that is not JSON (``pos`` says where).
    """
    if array and text.lstrip()[:1] == "[":
        yield from _items(text)
        return
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        pos = _SPACE.match(text, pos).end()
        if pos >= len(text):
            return
        value, end = decoder.raw_decode(text, pos)
        yield pos, value
        pos = end


_SPACE = re.compile(r"\s*")
#: The message of the error :func:`iter_values` raises at a comma after an array's last item.
TRAILING_COMMA = "Illegal trailing comma before end of array"


def _items(text: str) -> Iterator[tuple[int, Any]]:
    """The items of the JSON array ``text`` holds, with their offsets.

    As strict as DuckDB's reader, so that what it rejects is named here with a line: one comma
    between two items, none before the first or after the last, nothing after the ``]``.

    Raises:
        json.JSONDecodeError: At the first text that breaks the array (a head cut short, too).
    """
    decoder = json.JSONDecoder()
    pos = _SPACE.match(text, text.index("[") + 1).end()
    while not text.startswith("]", pos):
        value, end = decoder.raw_decode(text, pos)  # a stray comma: "Expecting value"
        yield pos, value
        pos = _SPACE.match(text, end).end()
        if text.startswith("]", pos):
            break
        if not text.startswith(",", pos):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        comma, pos = pos, _SPACE.match(text, pos + 1).end()
        if text.startswith("]", pos):
            raise json.JSONDecodeError(TRAILING_COMMA, text, comma)
    _end(text, pos)


def _end(text: str, pos: int) -> None:
    """Check that nothing but white space follows the array's ``]`` at ``pos``."""
    after = _SPACE.match(text, pos + 1).end()
    if after < len(text):
        raise json.JSONDecodeError("Extra data", text, after)
