"""Recognising a Zendesk export by its first lines, and which table a JSON record is."""

from __future__ import annotations

import csv
import json
import re
from typing import Any

PAGE_KEYS = ("tickets", "ticket_events", "users")

_CSV_SNIFF = {"id", "status", "created at", "updated at"}


def sniff(head: str) -> bool:
    """Recognise a Zendesk export by its first lines.

    Args:
        head: The first lines of a file (decoded text).

    Returns:
        True for a Support CSV export header (``ID``, ``Status``, ``Created at``, ``Updated at``)
        and for incremental-export JSON/NDJSON of tickets, ticket events or users.
    """
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        return False
    if text[0] in "{[":
        if re.match(r"\{\s*\"(tickets|ticket_events|users)\"\s*:\s*\[", text):
            return True
        first = text.split("\n", 1)[0].strip()
        if first.startswith("["):
            first = first[1:].lstrip()
        try:
            obj, _ = json.JSONDecoder().raw_decode(first)
        except ValueError:
            # A first record longer than the sniffed head is cut off: look at its keys instead.
            keys = dict.fromkeys(re.findall(r'"(\w+)"\s*:', first), True)
            return "\n" not in text and record_kind(keys) is not None
        if not isinstance(obj, dict):
            return False
        if any(isinstance(obj.get(k), list) for k in PAGE_KEYS):
            return True
        return record_kind(obj) is not None
    first_line = text.split("\n", 1)[0]
    try:
        header = next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        return False
    return {h.strip().lower() for h in header} >= _CSV_SNIFF


def record_kind(obj: dict[str, Any]) -> str | None:
    """Which incremental-export table a JSON object belongs to (``None`` if none)."""
    if "ticket_id" in obj and "updater_id" in obj:
        return "ticket_events"
    if "id" in obj and "role" in obj:
        return "users"
    if (
        "id" in obj
        and "created_at" in obj
        and ("status" in obj or "custom_fields" in obj or "via" in obj)
    ):
        return "tickets"
    return None
