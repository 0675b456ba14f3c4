"""Shared inline data and helpers of the Zendesk source tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from contacts311.inputs import InputFile
from contacts311.profile import Profile, TicketRules

CSV_HEADER = (
    "ID,Requester,Requester email,Subject,Tags,Status,Via,Created at,Updated at,"
    "Replies,Group,Contact Type [list],Description"
)


def profile(**tickets) -> Profile:
    return Profile(tickets=TicketRules(**tickets))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def files(tmp_path: Path, contents: dict[str, str]) -> list[InputFile]:
    return [InputFile(write(tmp_path, n, t), n, "zendesk") for n, t in contents.items()]


def ndjson(records: list[dict]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def ledger(result) -> dict[tuple[str, str, str], int]:
    frame = result.ledger.frame()
    return {(r.source_file, r.bucket, r.reason): r.rows for r in frame.itertuples()}


def ticket(tid, created, updated=None, status="open", ctype="email", tags=(), **extra):
    rec = {
        "id": tid,
        "created_at": created,
        "updated_at": updated or created,
        "status": status,
        "via": {"channel": "email"},
        "tags": list(tags),
        "custom_fields": [{"id": 1, "value": "not_a_type"}, {"id": 360, "value": ctype}],
    }
    rec.update(extra)
    return rec


USERS = [
    {"id": 1, "name": "Rep One", "role": "agent", "default_group_id": 311, "tags": []},
    {"id": 2, "name": "Rep Two", "role": "agent", "default_group_id": 99, "tags": ["pdx311_rep"]},
    {"id": 3, "name": "Other Agent", "role": "agent", "default_group_id": 99, "tags": []},
    {
        "id": 4,
        "name": "Resident",
        "role": "end-user",
        "default_group_id": 311,
        "tags": ["pdx311_rep"],
    },
    {"id": 5, "name": "Boss", "role": "admin", "default_group_id": None, "tags": []},
]


def event(eid, ticket, updater, at):
    return {
        "id": eid,
        "ticket_id": ticket,
        "updater_id": updater,
        "created_at": at,
        "child_events": [{"event_type": "Comment", "body": "thanks"}],
    }


EVENTS = [
    event(1, 101, 1, "2024-03-05T00:00:00Z"),  # span starts here
    event(2, 102, 2, "2024-03-05T13:00:00Z"),
    event(3, 103, 3, "2024-03-05T13:00:00Z"),
    event(4, 104, 4, "2024-03-05T13:00:00Z"),
    event(5, 105, 4, "2024-03-05T13:00:00Z"),
    event(6, 105, 1, "2024-03-07T00:00:00Z"),  # span ends here
]


TICKETS = [
    ticket(101, "2024-03-05T00:00:00Z"),  # rep in group 311
    ticket(102, "2024-03-05T12:00:00Z", ctype="web_form"),  # rep by tag
    ticket(103, "2024-03-05T12:00:00Z"),  # agent outside 311 only
    ticket(104, "2024-03-05T12:00:00Z"),  # end-user comment only
    ticket(105, "2024-03-05T12:00:00Z", ctype="contact_type_in_person"),  # end-user then rep
    ticket(106, "2024-03-01T12:00:00Z", status="solved"),  # before the span: fallback
    ticket(107, "2024-03-10T12:00:00Z", status="open"),  # after the span: fallback fails
]


DATA = Path(__file__).resolve().parents[1] / "data" / "zendesk"


def fixture_files(*names: str) -> list[InputFile]:
    """Files of tests/data/zendesk (see its README for where each comes from)."""
    return [InputFile(DATA / n, n, "zendesk") for n in names]
