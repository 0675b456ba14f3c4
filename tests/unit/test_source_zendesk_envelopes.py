"""Zendesk envelopes: bare records, arrays, pages and pipeline wrappers, grouped by table.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import json

import pytest
from zendesk_helpers import EVENTS, TICKETS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import profile as _profile

from contacts311.pipeline import load
from contacts311.sources import zendesk
from contacts311.sources.zendesk.envelopes import group_records, record_kind

REP_RULES = {"agent_group_ids": [311], "agent_tags": ["pdx311_rep"]}


@pytest.mark.parametrize("indent", [None, 2])
def test_a_bare_ticket_object_is_one_ticket(tmp_path, indent):
    text = json.dumps(TICKETS[5], indent=indent)  # 106, solved: passes the fallback rule
    result = zendesk.read(_files(tmp_path, {"t.json": text}), _profile())
    assert result.contacts["contact_id"].tolist() == ["106"]
    assert result.ledger.rows_read == {"t.json": 1}


@pytest.mark.parametrize("indent", [None, 2])
def test_json_arrays_of_tickets_events_and_users(tmp_path, indent):
    files = _files(
        tmp_path,
        {
            "t.json": json.dumps(TICKETS, indent=indent),
            "e.json": json.dumps(EVENTS, indent=indent),
            "u.json": json.dumps(USERS, indent=indent),
        },
    )
    result = zendesk.read(files, _profile(**REP_RULES))
    # As with the API pages: 101/102/105 by a 311 rep in the events' span, 106 by the fallback.
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    assert result.ledger.rows_read == {"t.json": 7, "e.json": 6, "u.json": 5}


def test_a_folder_of_pretty_printed_records_is_recognised(tmp_path):
    folder = tmp_path / "zendesk"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(TICKETS[5], indent=2), encoding="utf-8")
    (folder / "many.json").write_text(json.dumps(TICKETS[:2], indent=2), encoding="utf-8")
    loaded = load(tmp_path, _profile())
    assert loaded.ledger.groupby("source_file")["rows"].sum().to_dict() == {
        "zendesk/many.json": 2,
        "zendesk/one.json": 1,
    }


def test_record_kind_tells_audits_from_tickets():
    audit = {"id": 1, "ticket_id": 2, "created_at": "x", "author_id": 3, "via": {}, "events": []}
    assert record_kind(audit) == "audits"
    assert record_kind({"id": 1, "created_at": "x", "field_360": "email"}) == "tickets"
    assert record_kind({"id": 1, "user_fields": {}}) == "users"
    assert record_kind({"id": 1, "created_at": "x"}) is None


def test_group_records_keeps_first_seen_order_and_labels_unknown_records():
    values = [
        {"tickets": [TICKETS[0]], "next_page": None},
        USERS[0],
        {"ticket_metrics": [{"id": 1}, {"id": 2}], "count": 2},
        {"foo": 1},
        "text",
    ]
    groups, messages = group_records(values, [1, 2, 3, 4, 5])
    assert [(g.kind, g.label, len(g.recs), g.lines) for g in groups] == [
        ("tickets", "tickets", 1, [1]),
        ("users", "users", 1, [2]),
        (None, "key 'ticket_metrics'", 2, [3, 3]),
        (None, "records with keys foo", 1, [4]),
        (None, "non-object values", 1, [5]),
    ]
    assert messages == 0


def test_ledger_of_a_bare_array_balances(tmp_path):
    result = zendesk.read(_files(tmp_path, {"t.json": json.dumps(TICKETS)}), _profile())
    assert result.ledger.unbalanced() == []
    assert _ledger(result)[("t.json", "counted", "handled_fallback")] == 1
