"""Write the Amazon Connect fixtures of this folder (run from anywhere; deterministic).

The records follow the contact record (CTR) data model in the Amazon Connect Administrator
Guide ("Contact records data model"): ContactId, InitialContactId, PreviousContactId, Channel,
InitiationMethod, InitiationTimestamp, LastUpdateTimestamp, Queue {Name, EnqueueTimestamp},
Agent {Username, ConnectedToAgentTimestamp}, CustomerEndpoint {Address, Type}. Phone numbers
are fictional (555-01xx); ids are made-up UUIDs.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"
INSTANCE = f"arn:aws:connect:us-west-2:{ACCOUNT}:instance/0a1b2c3d-0000-4000-8000-000000000000"


def _id(n: int) -> str:
    return f"6f1c2a9e-0000-4000-8000-{n:012d}"


def _record(n, method, init, queue, agent, updated, *, channel="VOICE", initial=None, prev=None):
    return {
        "AWSAccountId": ACCOUNT,
        "InstanceARN": INSTANCE,
        "ContactId": _id(n),
        "InitialContactId": _id(initial) if initial else None,
        "PreviousContactId": _id(prev) if prev else None,
        "Channel": channel,
        "InitiationMethod": method,
        "InitiationTimestamp": init,
        "DisconnectTimestamp": updated,
        "LastUpdateTimestamp": updated,
        "Queue": {"Name": queue, "EnqueueTimestamp": init} if queue else None,
        "Agent": {"Username": "agent7", "ConnectedToAgentTimestamp": agent} if agent else None,
        "CustomerEndpoint": {"Address": "+15035550142", "Type": "TELEPHONE_NUMBER"},
        "Attributes": {"callerName": "Jane Roe"},
    }


# Local dates are America/Los_Angeles (PDT, UTC-7, in May 2024).
RECORDS = [
    # Chain 1: answered at 23:52 PDT on 30 Apr, transferred to Permits after midnight.
    _record(
        1,
        "INBOUND",
        "2024-05-01T06:50:00Z",
        "General",
        "2024-05-01T06:52:00Z",
        "2024-05-01T07:06:00Z",
    ),
    _record(
        2,
        "TRANSFER",
        "2024-05-01T07:05:00Z",
        "Permits",
        "2024-05-01T07:06:00Z",
        "2024-05-01T07:20:00Z",
        initial=1,
        prev=1,
    ),
    # Chain 3: not answered in General, transferred to Parking, then on to Water.
    _record(3, "INBOUND", "2024-05-01T17:00:00Z", "General", None, "2024-05-01T17:02:00Z"),
    _record(
        4,
        "TRANSFER",
        "2024-05-01T17:02:00Z",
        "Parking",
        "2024-05-01T17:03:00Z",
        "2024-05-01T17:10:00Z",
        initial=3,
        prev=3,
    ),
    _record(
        5,
        "TRANSFER",
        "2024-05-01T17:10:00Z",
        "Water",
        "2024-05-01T17:11:00Z",
        "2024-05-01T17:30:00Z",
        initial=3,
        prev=4,
    ),
    # An agent's outbound call.
    _record(
        6,
        "OUTBOUND",
        "2024-05-01T18:00:00Z",
        "General",
        "2024-05-01T18:00:30Z",
        "2024-05-01T18:10:00Z",
    ),
    # Answered at 12:01 PDT; delivered again below with an older LastUpdateTimestamp.
    _record(
        7,
        "INBOUND",
        "2024-05-01T19:00:00Z",
        "General",
        "2024-05-01T19:01:00Z",
        "2024-05-01T19:10:00Z",
    ),
    _record(
        8,
        "API",
        "2024-05-01T19:30:00Z",
        "General",
        "2024-05-01T19:31:00Z",
        "2024-05-01T19:40:00Z",
        channel="CHAT",
    ),
    _record(
        9,
        "CALLBACK",
        "2024-05-01T20:00:00Z",
        "Callback",
        "2024-05-01T20:01:00Z",
        "2024-05-01T20:10:00Z",
    ),
    _record(7, "INBOUND", "2024-05-01T19:00:00Z", "General", None, "2024-05-01T19:00:30Z"),
]

DOTTED = [
    "ContactId",
    "InitialContactId",
    "PreviousContactId",
    "Channel",
    "InitiationMethod",
    "InitiationTimestamp",
    "DisconnectTimestamp",
    "Queue.Name",
    "Queue.EnqueueTimestamp",
    "Agent.Username",
    "Agent.ConnectedToAgentTimestamp",
    "CustomerEndpoint.Address",
    "LastUpdateTimestamp",
]


def _flat(record: dict) -> dict:
    out = {}
    for name in DOTTED:
        value = record
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[name] = value
    return out


def _csv(names: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for record in RECORDS:
        writer.writerow(["" if v is None else v for v in _flat(record).values()])
    return buf.getvalue()


def main() -> None:
    array = json.dumps(RECORDS, indent=2) + "\n"
    lines = "".join(json.dumps(r) + "\n" for r in RECORDS)
    firehose = "".join(json.dumps(r, separators=(",", ":")) for r in RECORDS)
    athena = [n.lower().replace(".", "_") for n in DOTTED]
    texts = {
        "ctr_array.json": array,
        "ctr_lines.jsonl": lines,
        "firehose-ctr-2024-05-01-00": firehose,
        "ctr_dotted.csv": _csv(DOTTED),
        "ctr_athena.csv": _csv(athena),
        "ctr_single_record.json": json.dumps(RECORDS[8], indent=4) + "\n",
    }
    for name, text in texts.items():
        (HERE / name).write_text(text, encoding="utf-8")
    for name in ("ctr_array.json", "firehose-ctr-2024-05-01-00", "ctr_dotted.csv"):
        data = (HERE / name).read_bytes()
        (HERE / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
    pq.write_table(pa.Table.from_pylist(RECORDS), HERE / "ctr_nested.parquet")
    flat = pa.Table.from_pylist([_flat(r) for r in RECORDS])
    pq.write_table(flat.rename_columns(athena), HERE / "ctr_flat.parquet")
    for name in ("ctr_nested.parquet", "ctr_flat.parquet"):
        data = (HERE / name).read_bytes()
        (HERE / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))


if __name__ == "__main__":
    main()
