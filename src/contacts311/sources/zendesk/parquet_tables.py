"""Parquet tables of tickets, ticket events or audits, and users, as a data lake holds them."""

from __future__ import annotations

from contacts311.sources.zendesk.envelopes import record_kind


def table_kind(columns: list[str]) -> str | None:
    """Which Zendesk table a Parquet schema's top-level column names describe (``None``)."""
    names = {c.lower() for c in columns}
    if "via.channel" in names or "via_channel" in names:
        names.add("via")
    if any(c.startswith("user_fields") for c in names):
        names.add("user_fields")
    return record_kind(dict.fromkeys(names))
