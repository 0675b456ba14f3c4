"""Zendesk records wrapped by data-pipeline tools, and ids written as floats.

Every expected value below is worked out by hand from the inline data. One module per source
module: this one covers the wrapper side of ``envelopes`` and the id handling of
``json_records``.
"""

from __future__ import annotations

import json

import pytest
from zendesk_helpers import EVENTS, TICKETS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket

from contacts311.errors import InputWarning
from contacts311.sources import zendesk

REP_RULES = {"agent_group_ids": [311], "agent_tags": ["pdx311_rep"]}


def _airbyte(stream, rec):
    return {"stream": stream, "data": rec, "emitted_at": 1709683200000}


def _lines(objs):
    return "\n".join(json.dumps(o) for o in objs) + "\n"


def test_airbyte_records_of_three_streams_in_one_file(tmp_path):
    objs = (
        [_airbyte("tickets", t) for t in TICKETS]
        + [_airbyte("ticket_events", e) for e in EVENTS]
        + [_airbyte("users", u) for u in USERS]
    )
    result = zendesk.read(_files(tmp_path, {"airbyte.jsonl": _lines(objs)}), _profile(**REP_RULES))
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    assert result.ledger.rows_read == {"airbyte.jsonl": 18}
    assert _ledger(result)[("airbyte.jsonl", "excluded", "supporting_record")] == 11
    assert result.ledger.unbalanced() == []


def test_airbyte_protocol_messages_and_raw_tables(tmp_path):
    message = {"type": "RECORD", "record": _airbyte("tickets", TICKETS[5])}
    raw = {"_airbyte_ab_id": "x", "_airbyte_emitted_at": 1, "_airbyte_data": TICKETS[6]}
    raw_text = {
        "_airbyte_raw_id": "y",
        "_airbyte_data": json.dumps(_ticket(108, "2024-03-01T00:00:00Z", status="closed")),
    }
    text = _lines([message, raw, raw_text])
    result = zendesk.read(_files(tmp_path, {"a.jsonl": text}), _profile())
    # 106 solved, 107 open (not handled), 108 closed
    assert sorted(result.contacts["contact_id"]) == ["106", "108"]
    assert _ledger(result)[("a.jsonl", "excluded", "not_handled")] == 1


def test_singer_records_with_schema_and_state_messages(tmp_path):
    objs = [
        {"type": "SCHEMA", "stream": "tickets", "schema": {}, "key_properties": ["id"]},
        *({"type": "RECORD", "stream": "tickets", "record": t} for t in TICKETS[5:]),
        {"type": "STATE", "value": {"bookmarks": {}}},
    ]
    result = zendesk.read(_files(tmp_path, {"singer.jsonl": _lines(objs)}), _profile())
    assert result.contacts["contact_id"].tolist() == ["106"]
    ledger = _ledger(result)
    # The two messages are lines of the file, accounted for but not records.
    assert ledger[("singer.jsonl", "excluded", "pipeline_message")] == 2
    assert result.ledger.rows_read == {"singer.jsonl": 4}
    assert result.ledger.unbalanced() == []


def test_ids_written_as_floats_are_exact_integers(tmp_path):
    big = "90071992547409931"  # beyond 2**53: a float would round it to ...9932
    tickets = (
        '{"id": 7761239926287.0, "created_at": "2024-03-05T12:00:00Z", "status": "open",'
        ' "custom_fields": [{"id": 360.0, "value": "email"}]}\n'
        f'{{"id": {big}.0, "created_at": "2024-03-05T12:00:00Z", "status": "open",'
        ' "custom_fields": [{"id": 360.0, "value": "email"}]}\n'
    )
    events = (
        '{"ticket_id": 7761239926287.0, "updater_id": 1.0, "created_at": "2024-03-05T00:00:00Z"}\n'
        f'{{"ticket_id": {big}.0, "updater_id": 1.0, "created_at": "2024-03-06T00:00:00Z"}}\n'
    )
    users = '{"id": 1.0, "role": "agent", "default_group_id": 311.0}\n'
    files = _files(tmp_path, {"t.jsonl": tickets, "e.jsonl": events, "u.jsonl": users})
    result = zendesk.read(files, _profile(agent_group_ids=[311], contact_type_field_id=360))
    assert sorted(result.contacts["contact_id"]) == ["7761239926287", big]


def test_float_ids_in_a_document_match_integer_ids_in_another(tmp_path):
    tickets = json.dumps({"tickets": [_ticket(7761239926287, "2024-03-05T12:00:00Z")]})
    events = '{"ticket_events": [{"ticket_id": 7761239926287.0, "updater_id": 5.0, "created_at": "2024-03-05T12:00:00Z"}]}'
    files = _files(tmp_path, {"t.json": tickets, "e.json": events, "u.json": json.dumps(USERS)})
    result = zendesk.read(files, _profile())
    # user 5 is an admin; no groups or tags configured: any agent or admin is a rep.
    assert result.contacts["contact_id"].tolist() == ["7761239926287"]


def test_an_unknown_stream_is_not_guessed_at(tmp_path):
    comment = {"id": 9, "created_at": "2024-03-05T12:00:00Z", "via": {"channel": "web"}}
    text = _lines([_airbyte("ticket_comments", comment), _airbyte("tickets", TICKETS[5])])
    with pytest.warns(InputWarning, match=r"stream 'ticket_comments': 1 record\(s\)"):
        result = zendesk.read(_files(tmp_path, {"a.jsonl": text}), _profile())
    assert result.contacts["contact_id"].tolist() == ["106"]
    assert _ledger(result)[("a.jsonl", "excluded", "unknown_record_kind")] == 1


def test_sniff_knows_wrapped_records():
    assert zendesk.sniff(json.dumps(_airbyte("tickets", {"id": 1})) + "\n")
    assert zendesk.sniff(json.dumps({"_airbyte_ab_id": "x", "_airbyte_data": TICKETS[0]}))
    singer = {"type": "RECORD", "stream": "users", "record": {"id": 1}}
    assert zendesk.sniff(json.dumps(singer))
    assert not zendesk.sniff(json.dumps(_airbyte("orders", {"sku": 1})))
