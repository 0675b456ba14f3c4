"""Zendesk reader: all files read together, personal data dropped, a folder loaded.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import json

from zendesk_helpers import CSV_HEADER, EVENTS, TICKETS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ndjson as _ndjson
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket
from zendesk_helpers import write as _write

from contacts311.pipeline import load
from contacts311.sources import zendesk

CANARIES = [
    "CANARY-NAME-Zelda",
    "canary.mail@example.org",
    "+1-503-555-0199",
    "CANARY-SUBJECT",
    "CANARY-BODY",
]


def test_personal_data_never_leaves_the_loader(tmp_path):
    c_name, c_mail, c_phone, c_subject, c_body = CANARIES
    csv_text = (
        CSV_HEADER
        + f'\n501,{c_name},{c_mail},{c_subject},,Solved,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,Email,"{c_body} {c_phone}"\n'
    )
    tickets = [
        _ticket(
            502,
            # created at the only event's time: inside the span, decided by the agent rule
            "2024-03-05T13:00:00Z",
            subject=c_subject,
            description=f"{c_body} call {c_phone}",
            requester={"name": c_name, "email": c_mail},
            via={"channel": "email", "source": {"from": {"address": c_mail, "name": c_name}}},
        )
    ]
    events = [
        {
            "id": 1,
            "ticket_id": 502,
            "updater_id": 1,
            "created_at": "2024-03-05T13:00:00Z",
            "child_events": [
                {"event_type": "Comment", "body": f"{c_body} {c_phone}", "author": c_name}
            ],
        }
    ]
    users = [
        {
            "id": 1,
            "name": c_name,
            "email": c_mail,
            "phone": c_phone,
            "role": "agent",
            "default_group_id": 311,
        }
    ]
    files = _files(
        tmp_path,
        {
            "a.csv": csv_text,
            "t.ndjson.gz": _ndjson(tickets),
            "e.ndjson.gz": _ndjson(events),
            "u.json": json.dumps({"users": users}),
        },
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311]))
    assert sorted(result.contacts["contact_id"]) == ["501", "502"]
    dumped = "\n".join(
        [
            result.contacts.to_csv(),
            result.ledger.frame().to_csv(),
            "\n".join(result.notes),
            *(t.to_csv() for t in result.tables.values()),
            repr(result.columns),
        ]
    )
    for canary in CANARIES:
        assert canary not in dumped


def test_pipeline_load_reads_a_folder_of_zendesk_exports(tmp_path):
    data = tmp_path / "raw"
    data.mkdir()
    _write(data, "tickets.ndjson.gz", _ndjson(TICKETS))
    _write(data, "ticket_events.ndjson.gz", _ndjson(EVENTS))
    _write(data, "users.json", json.dumps({"users": USERS}))
    _write(
        data,
        "support.csv",
        CSV_HEADER
        + "\n601,Ann,a@x.org,Hi,,Solved,Mail,2024-03-20 09:00:00,2024-03-20 09:00:00,1,311,In-Person,d\n",
    )
    ds = load(data, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    assert set(ds.inputs["format"]) == {"zendesk"}
    # 101, 102, 105 (agent event), 106 (fallback, before the span), 601 (CSV, after the span, solved)
    assert sorted(ds.contacts["contact_id"]) == ["101", "102", "105", "106", "601"]
    assert ds.contacts["count"].sum() == 5
    by_file = ds.ledger.groupby("source_file")["rows"].sum().to_dict()
    assert by_file == {
        "support.csv": 1,
        "tickets.ndjson.gz": 7,
        "ticket_events.ndjson.gz": 6,
        "users.json": 5,
    }
    # 101-105 were created inside the events' span; 106, 107 and 601 outside it.
    assert (
        "5 tickets decided by the published rule (agent event), 3 by the CSV fallback rule "
        "(solved/closed or a reply)." in ds.notes
    )
