"""The Contact Type rules: which channel a ticket's contact type names, and how it is picked."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pandas as pd

from contacts311.profile import TicketRules


def norm_text(value: str) -> str:
    """Case- and punctuation-insensitive contact type, without a ``contact_type_`` tag prefix."""
    v = value.strip().lower()
    if v.startswith("contact_type_"):
        v = v[len("contact_type_") :]
    return re.sub(r"[\W_]+", "", v)


def contact_type_lookup(rules: TicketRules) -> dict[str, str]:
    """Normalised Contact Type value -> channel (the first channel listing a value wins)."""
    lookup: dict[str, str] = {}
    for channel, values in rules.channels.items():
        for v in values:
            lookup.setdefault(norm_text(str(v)), channel)
    return lookup


def via_lookup(rules: TicketRules) -> dict[str, str]:
    """Normalised ``via.channel`` value -> channel, from ``tickets.via_channels``."""
    lookup: dict[str, str] = {}
    for channel, values in rules.via_channels.items():
        for v in values:
            lookup.setdefault(norm_text(str(v)), channel)
    return lookup


def contact_type_picker(field_id: int | None, lookup: dict[str, str]):
    """A function custom_fields -> the contact type value, or ``None``."""
    matches: dict[str, bool] = {}  # few distinct values: normalise each once

    def known(value: str) -> bool:
        hit = matches.get(value)
        if hit is None:
            hit = matches[value] = norm_text(value) in lookup
        return hit

    def pick(custom_fields: Any) -> str | None:
        if not isinstance(custom_fields, list):
            return None
        for cf in custom_fields:
            if not isinstance(cf, dict):
                continue
            value = cf.get("value")
            if field_id is not None:
                if _id_str(cf.get("id")) == str(field_id):
                    return str(value) if isinstance(value, str | int) and value != "" else None
            elif isinstance(value, str) and known(value):
                return value
        return None

    return pick


def _id_str(value: Any) -> str:
    """A custom field id as integer text (``360.0`` written by a pipeline tool is ``360``)."""
    if isinstance(value, float | Decimal) and value == value and value == int(value):
        return str(int(value))
    return str(value)


def channels_of(contact_types: pd.Series, lookup: dict[str, str]) -> pd.Series:
    """Channel of each contact type (``None`` when missing or unmapped); few distinct values."""
    mapping = {v: lookup.get(norm_text(str(v))) for v in contact_types.dropna().unique()}
    return contact_types.map(mapping).astype(object).where(lambda c: c.notna(), None)
