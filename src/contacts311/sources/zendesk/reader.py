"""Reading all Zendesk files of a run together into core rows, the ledger and notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contacts311.errors import warn_input
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.profile import Profile, TicketRules
from contacts311.schema import empty_contacts
from contacts311.sources._base import SourceResult, is_gzip_parquet, is_parquet, read_text
from contacts311.sources.zendesk.contact_types import contact_type_lookup
from contacts311.sources.zendesk.csv_export import parse_csv, parse_xlsx
from contacts311.sources.zendesk.json_export import parse_json
from contacts311.sources.zendesk.lake_tables import parse_flat_csv, parse_parquet
from contacts311.sources.zendesk.parsed import Parsed
from contacts311.sources.zendesk.rules import apply_rules, rule_notes
from contacts311.sources.zendesk.sniffing import flat_table

FORMAT = "zendesk"
KIND = "contacts"
DESCRIPTION = (
    "Zendesk tickets (email, webform, in-person): Support 'Export as CSV', incremental-export "
    "JSON/NDJSON, or Parquet tables of tickets, ticket events and users"
)


def read(files: list[InputFile], profile: Profile) -> SourceResult:
    """Read Zendesk exports and count the tickets handled by 311.

    Args:
        files: Input files (``.path``; ``.name`` becomes ``source_file``); every ticket, event
            and user file of the run, read together.
        profile: The profile; ``profile.tickets`` holds the rules and ``profile.timezone`` the
            account's time zone (CSV times are local, JSON times UTC).

    Returns:
        One core row per counted ticket, the ledger (every ticket copy in exactly one bucket;
        events and users ``excluded``/``supporting_record``), notes on the rules used, and each
        file's columns.

    Raises:
        InputError: A missing required column, an unparseable timestamp or a bad JSON line.
    """
    rules = profile.tickets
    lookup = contact_type_lookup(rules)
    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    tickets, events, users = [], [], []
    for order, f in enumerate(sorted(files, key=lambda f: f.name)):
        tables = _parse_file(Path(f.path), f.name, rules, lookup, profile.timezone)
        columns[f.name] = list(dict.fromkeys(c for p in tables for c in p.columns))
        for parsed in tables:
            ledger.read(f.name, parsed.rows)
            if parsed.kind == "tickets":
                tickets.append(parsed.frame.assign(source_file=f.name, file_order=order))
            elif parsed.kind in ("ticket_events", "users"):
                ledger.add(f.name, "excluded", "supporting_record", parsed.rows)
                (events if parsed.kind == "ticket_events" else users).append(parsed.frame)
            else:
                _set_aside(ledger, f.name, parsed)
    if not tickets:
        return SourceResult(contacts=empty_contacts(), ledger=ledger, notes=[], columns=columns)
    ev = pd.concat(events, ignore_index=True) if events else None
    us = pd.concat(users, ignore_index=True) if users else None
    decided = apply_rules(pd.concat(tickets, ignore_index=True), ev, us, rules, lookup)
    ledger.add_frame(decided[["source_file", "bucket", "reason"]])
    return SourceResult(
        contacts=_core_rows(decided[decided["bucket"] == "counted"]),
        ledger=ledger,
        notes=rule_notes(decided, ev, us, rules),
        columns=columns,
    )


def _set_aside(ledger: LedgerBuilder, name: str, parsed: Parsed) -> None:
    """Records of no known table (excluded, with a warning) and pipeline messages."""
    if parsed.kind == "unknown":
        ledger.add(name, "excluded", "unknown_record_kind", parsed.rows)
        warn_input(
            name,
            f"{parsed.label}: {parsed.rows} record(s) that are not Zendesk tickets, ticket "
            "events, audits or users; excluded as unknown_record_kind",
        )
    elif parsed.kind == "messages":
        # SCHEMA/STATE lines of a pipeline tool: no record in them, but every line is accounted.
        ledger.add(name, "excluded", "pipeline_message", parsed.rows)


def _core_rows(counted: pd.DataFrame) -> pd.DataFrame:
    """One core row per counted ticket; its contact type is the queue."""
    return pd.DataFrame(
        {
            "contact_date": counted["contact_date"].astype("datetime64[ns]"),
            "channel": counted["channel"].astype("string"),
            "count": np.ones(len(counted), dtype="int64"),
            "source": pd.Series(FORMAT, index=counted.index, dtype="string"),
            "source_file": counted["source_file"].astype("string"),
            "contact_id": counted["ticket_id"].astype("string"),
            "queue": counted["contact_type"].astype("string"),
        }
    ).reset_index(drop=True)


def _parse_file(
    path: Path, name: str, rules: TicketRules, lookup: dict[str, str], tz: str
) -> list[Parsed]:
    """Parse one file as the layout its content shows (never its name, bar a workbook)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return [parse_xlsx(path, name, rules, tz)]
    if is_parquet(path) or is_gzip_parquet(path):
        return [parse_parquet(path, name, rules, lookup, tz)]
    text = read_text(path)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        return parse_json(text, name, rules, lookup, tz)
    text = text.lstrip("\ufeff")
    if flat_table(text):
        return [parse_flat_csv(text, name, rules, lookup, tz)]
    return [parse_csv(text, name, rules, tz)]
