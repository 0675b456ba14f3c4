"""Amazon Connect contact records (CSV, JSON or Parquet, gzip or not): residents' answered calls.

Amazon Connect writes one contact record per contact and delivers it *at least once*: a record
may arrive again, later, with a newer ``LastUpdateTimestamp``. A transferred call is a chain of
contacts, linked by ``InitialContactId`` (else ``PreviousContactId``, leg to leg). This source
counts answered voice calls per local day, a resident's call once however often it was
transferred (profile ``phone.count``); the rule is in :mod:`._rule`, the shapes a record
arrives in are in :mod:`._scan`.

The core rows are aggregates per file, local date and ``Queue.Name`` (``contact_id`` empty,
``channel`` ``phone``); per-contact ids are needed only for deduplication and never leave.

DuckDB reads every file at once, in parallel, converting only the columns the rule needs, and
keeps one row per ``ContactId`` in a table that spills to a temporary folder past
:data:`_MEMORY_LIMIT`, so memory follows the number of distinct contacts, not the files' size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import duckdb

from contacts311.errors import InputError
from contacts311.ledger import LedgerBuilder
from contacts311.profile import Profile
from contacts311.scratch import private_folder
from contacts311.sources._base import SourceResult, plain_parquet
from contacts311.sources.amazon_connect import _errors, _json_values, _rule, _scan
from contacts311.sources.amazon_connect._fields import ID, INITIATED, NEEDED, norm, split_header
from contacts311.sources.amazon_connect._tables import INTERVAL_COLUMNS, tables

__all__ = [
    "DESCRIPTION",
    "FORMAT",
    "INTERVAL_COLUMNS",
    "KIND",
    "read",
    "reads_parquet_column",
    "sniff",
]

FORMAT = "amazon_connect"
KIND = "contacts"
DESCRIPTION = (
    "Amazon Connect contact records (CSV with dotted or underscored columns such as Queue.Name, "
    "JSON lines, arrays or Firehose objects, Parquet; gzip of any of these): answered VOICE "
    "calls per local day, deduplicated by ContactId (latest LastUpdateTimestamp), a transferred "
    "call counted once"
)

_INTERVAL_MINUTES = 30
#: DuckDB's working memory; past it the deduplication state spills to a temporary folder.
_MEMORY_LIMIT = "2GB"
#: Engine threads (``None``: one per core).
_THREADS: int | None = None


def reads_parquet_column(column: str) -> bool:
    """Whether a Parquet table's column (dotted for a struct's field) is one the count reads."""
    return norm(column) in _NEEDED_KEYS


_NEEDED_KEYS = frozenset(norm(c) for c in NEEDED)


def sniff(head: str) -> bool:
    """True for contact records: a CSV (or Parquet) header, or JSON records of any shape.

    Args:
        head: The first lines of a file (a Parquet table's column names, dotted).
    """
    text = head.lstrip("\ufeff").lstrip()
    if not text:
        return False
    if text.startswith(("{", "[")):
        try:
            for _, record in _json_values.iter_values(text, array=text.startswith("[")):
                return isinstance(record, dict) and ID in record and INITIATED in record
        except ValueError:  # cut short by the head's size, or objects back to back
            pass
        return f'"{ID}"' in text and f'"{INITIATED}"' in text
    names = {norm(c) for c in split_header(text.splitlines()[0])}
    return norm(ID) in names and norm(INITIATED) in names


def read(files: list[Any], profile: Profile) -> SourceResult:
    """Count residents' answered voice calls per local day, file and queue.

    Args:
        files: ``InputFile``-like objects (``path``, ``name``) of this format.
        profile: Supplies the time zone of the local dates and ``phone.count`` (``contact``:
            a transferred call once, on its first leg; ``leg``: every answered leg).

    Returns:
        Aggregated core rows, the ledger and an ``intervals`` table (calls offered, answered
        and abandoned per local half hour and queue).

    Raises:
        InputError: A required column is missing, a ``ContactId`` or ``InitiationTimestamp`` is
            empty, or a timestamp cannot be read (the message names the file and line).
    """
    columns: dict[str, list[str]] = {}
    per_leg = profile.phone.count == "leg"
    with ExitStack() as stack, _engine() as con:
        # A gzip-compressed Parquet table is read from a decompressed copy, kept until the
        # query has run and removed afterwards (also on an error).
        local = [stack.enter_context(plain_parquet(Path(f.path))) for f in files]
        scans = [
            _scan.records(i, Path(f.path), f.name, columns, local[i]) for i, f in enumerate(files)
        ]
        tally = _tally(con, scans, profile.timezone, per_leg) if scans else None
    ledger = LedgerBuilder(FORMAT)
    contacts, intervals, folded = tables(tally, [f.name for f in files], ledger)
    once = (
        "every answered leg of a transferred call counted (phone.count: leg)"
        if per_leg
        else f"a transferred call counted once, on its first leg ({folded} later legs folded in)"
    )
    notes = [
        "Amazon Connect: answered VOICE calls (Agent.ConnectedToAgentTimestamp present), "
        f"deduplicated by ContactId keeping the latest LastUpdateTimestamp, {once}, OUTBOUND "
        f"contacts excluded, counted on the local date ({profile.timezone}) of "
        "InitiationTimestamp."
    ]
    return SourceResult(
        contacts=contacts,
        ledger=ledger,
        notes=notes,
        tables={"intervals": intervals},
        columns=columns,
    )


@contextmanager
def _engine() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with bounded memory, spilling to a folder removed afterwards."""
    with private_folder("contacts311-duckdb-") as spill:
        config = {
            "threads": _THREADS or os.cpu_count() or 1,
            "memory_limit": _MEMORY_LIMIT,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        }
        con = duckdb.connect(config=config)
        try:
            # A timestamp without a zone is UTC; a library must not draw progress bars.
            con.execute("SET TimeZone = 'UTC'; SET enable_progress_bar = false")
            yield con
        finally:
            con.close()


def _tally(
    con: duckdb.DuckDBPyConnection, scans: list[_scan.Scan], timezone: str, per_leg: bool = False
) -> _rule.Tally:
    """Run the counting rule; a bad record or unreadable file raises :class:`InputError`."""
    looped = _legs(con, scans, per_leg, numbered=False)
    if looped is not None or _rule.unordered(con):  # only line numbers can say which
        looped = _legs(con, scans, per_leg, numbered=True)
    if looped is not None:
        raise _errors.loop(next(s for s in scans if s.file == looped[0]), looped[1])
    return _rule.tally(con, timezone, _INTERVAL_MINUTES)


def _legs(
    con: duckdb.DuckDBPyConnection, scans: list[_scan.Scan], per_leg: bool, numbered: bool
) -> tuple[int, int] | None:
    """Fill the ``legs`` table; the file and row of a leg whose links loop (else ``None``)."""
    records = " UNION ALL ".join(s.sql if numbered else s.unnumbered for s in scans)
    query = _rule.LEGS.format(records=records)
    try:
        con.execute(query, {"per_leg": per_leg})
    except duckdb.Error as exc:  # a file the engine cannot parse: find which, name the line
        for scan in scans:
            try:
                con.execute(f"SELECT count(*) FROM ({scan.sql})").fetchall()
            except duckdb.Error as own:
                raise _errors.engine_error(scan, own) from None
        raise InputError(scans[0].path, f"cannot read Amazon Connect records ({exc})") from None
    if con.execute("SELECT bool_or(problems) FROM legs").fetchone()[0]:  # find the first, by file
        for scan in scans:
            if (found := _errors.problem(con, scan)) is not None:
                raise found
    return _rule.follow_previous(con)
