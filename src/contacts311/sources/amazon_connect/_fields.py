"""The contact-record fields the count reads, and how each shape of export names them."""

from __future__ import annotations

import csv
import io
import re

#: Meaning -> dotted name in the contact-record data model (a JSON path split on the dot).
ID = "ContactId"
INITIAL = "InitialContactId"
PREVIOUS = "PreviousContactId"
CHANNEL = "Channel"
METHOD = "InitiationMethod"
INITIATED = "InitiationTimestamp"
QUEUE = "Queue.Name"
CONNECTED = "Agent.ConnectedToAgentTimestamp"
UPDATED = "LastUpdateTimestamp"

NEEDED = (ID, INITIAL, PREVIOUS, CHANNEL, METHOD, INITIATED, QUEUE, CONNECTED, UPDATED)
#: Without these a record cannot be counted; the others may be absent from an export.
REQUIRED = (ID, CHANNEL, INITIATED, CONNECTED, UPDATED)
#: Shown in the "missing column" message: what a contact-record export is expected to have.
EXPECTED = (ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED)
TIMESTAMPS = (INITIATED, UPDATED)

TS_EXAMPLE = "such as 2024-03-11T16:15:02Z"
ZONED = r"(?:[Zz]|[+-]\d\d:?\d\d)\s*$"  # the value names its zone ("Z" or an offset)


def norm(name: str) -> str:
    """A column name reduced to lower-case letters and digits.

    ``Agent.ConnectedToAgentTimestamp`` (the dotted CSV header), ``agent_connectedtoagenttimestamp``
    (the names Athena and Glue give flattened columns) and `` "QUEUE.NAME" `` all reduce to the
    same key, so one lookup serves every flattened export.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split_header(line: str) -> list[str]:
    """The cells of one CSV line."""
    return next(csv.reader(io.StringIO(line)), [])


def zoned(values) -> bool:
    """Whether the timestamps in a file's first records all carry a zone (``Z`` or an offset).

    Amazon Connect always writes UTC with ``Z``; exports re-saved by other tools may drop it,
    and such a file is read tolerantly (no zone means UTC). Once a file starts with zones, a
    value without one is an error: it is most likely local time that would be read as UTC.
    A sample with no timestamp in it (no records, or only empty values) says nothing, so the
    file is read tolerantly.
    """
    stamps = [v for v in values if isinstance(v, str) and v.strip()]
    return bool(stamps) and all(re.search(ZONED, v) for v in stamps)
