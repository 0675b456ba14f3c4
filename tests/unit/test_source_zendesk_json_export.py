"""Zendesk incremental export: NDJSON, page documents, line numbers and bad JSON.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import json

import pytest
from zendesk_helpers import EVENTS, TICKETS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import ndjson as _ndjson
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket

from contacts311.errors import InputError
from contacts311.sources import zendesk
from contacts311.sources.zendesk import envelopes as zendesk_envelopes


def test_json_page_documents(tmp_path):
    files = _files(
        tmp_path,
        {
            "p1.json": json.dumps({"tickets": TICKETS, "next_page": None, "count": 7}, indent=2),
            "p2.json": json.dumps({"ticket_events": EVENTS, "end_of_stream": True}),
            "p3.json": json.dumps({"users": USERS}, indent=1),
        },
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    ledger = _ledger(result)
    assert ledger[("p2.json", "excluded", "supporting_record")] == 6
    assert ledger[("p3.json", "excluded", "supporting_record")] == 5
    assert result.ledger.rows_read == {"p1.json": 7, "p2.json": 6, "p3.json": 5}


def test_ndjson_of_pages(tmp_path):
    text = json.dumps({"tickets": TICKETS[:3]}) + "\n" + json.dumps({"tickets": TICKETS[3:]}) + "\n"
    files = _files(tmp_path, {"pages.ndjson": text})
    result = zendesk.read(files, _profile())
    # No events: only 106 (solved) passes the fallback rule.
    assert result.contacts["contact_id"].tolist() == ["106"]
    assert result.ledger.rows_read == {"pages.ndjson": 7}


@pytest.mark.parametrize(
    "order",
    [
        ("users", "events", "tickets"),
        ("events", "tickets", "users"),
        ("tickets", "users", "events"),
    ],
)
@pytest.mark.parametrize("as_array", [False, True])
def test_ndjson_of_several_tables_reads_each_line_by_its_own_kind(tmp_path, order, as_array):
    # Exports joined with `cat`: each record is read by its own keys, whatever the first line.
    tables = {"users": USERS, "events": EVENTS, "tickets": TICKETS}
    records = [r for kind in order for r in tables[kind]]
    text = json.dumps(records) if as_array else _ndjson(records)
    files = _files(tmp_path, {"all.ndjson": text})
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    # As when the three tables are three pages (test_json_page_documents).
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    assert _ledger(result)[("all.ndjson", "excluded", "supporting_record")] == 6 + 5
    assert result.ledger.rows_read == {"all.ndjson": 7 + 6 + 5}


def test_bad_json_line_is_reported(tmp_path):
    text = _ndjson(TICKETS[:1]) + "\n" + '{"id": 2, "created_at": \n'
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.ndjson": text}), _profile())
    # line 1 a ticket, line 2 blank, line 3 broken
    assert info.value.line == 3


def test_ndjson_with_crlf_and_blank_lines_keeps_line_numbers(tmp_path):
    recs = [_ticket(1, "2024-03-05T09:00:00Z"), _ticket(2, "2024-03-05T09:00:00Z")]
    good = "\r\n".join(json.dumps(r) for r in recs) + "\r\n\r\n"
    ok = zendesk.read(_files(tmp_path, {"ok.ndjson": good}), _profile())
    assert ok.ledger.rows_read == {"ok.ndjson": 2}
    # line 1 and 2 tickets, line 3 blank, line 4 the bad time
    bad = good + json.dumps(_ticket(3, "2024-13-45T09:00:00Z")) + "\r\n"
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"bad.ndjson": bad}), _profile())
    assert (info.value.line, info.value.column) == (4, "created_at")


def _audit(aid, ticket, author, at):
    # As the Ticket Audits API writes them: the author of the audit is who changed the ticket;
    # its events may hold comment bodies (never read).
    return {
        "id": aid,
        "ticket_id": ticket,
        "created_at": at,
        "author_id": author,
        "metadata": {"system": {"client": "Mozilla"}},
        "via": {"channel": "web"},
        "events": [{"id": aid * 10, "type": "Comment", "body": "CANARY-BODY", "author_id": 4}],
    }


# The same authors as EVENTS: audits decide exactly as ticket events do.
AUDITS = [_audit(e["id"], e["ticket_id"], e["updater_id"], e["created_at"]) for e in EVENTS]


def test_audit_pages_decide_like_ticket_events(tmp_path):
    page = {"audits": AUDITS, "before_cursor": "a", "after_cursor": None, "count": 6}
    files = _files(
        tmp_path,
        {
            "t.json": json.dumps({"tickets": TICKETS}),
            "audits.json": json.dumps(page, indent=2),
            "u.json": json.dumps({"users": USERS}),
        },
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    assert _ledger(result)[("audits.json", "excluded", "supporting_record")] == 6
    assert "CANARY-BODY" not in result.contacts.to_csv()


@pytest.mark.parametrize("as_pages", [False, True])
def test_audits_as_json_lines(tmp_path, as_pages):
    if as_pages:  # one API page per line, as a paging script saves them
        text = json.dumps({"audits": AUDITS[:3]}) + "\n" + json.dumps({"audits": AUDITS[3:]}) + "\n"
    else:
        text = _ndjson(AUDITS)
    files = _files(
        tmp_path, {"t.ndjson": _ndjson(TICKETS), "a.ndjson": text, "u.ndjson": _ndjson(USERS)}
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    assert result.ledger.rows_read["a.ndjson"] == 6


def test_an_audit_without_ticket_id_names_its_line(tmp_path):
    bad = dict(AUDITS[1], ticket_id=None)
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"a.ndjson": _ndjson([AUDITS[0], bad])}), _profile())
    assert (info.value.line, info.value.column) == (2, "ticket_id")
    assert "ticket audit" in str(info.value)


def test_legacy_export_fixture(tmp_path):
    from zendesk_helpers import fixture_files

    result = zendesk.read(fixture_files("legacy_export.json"), _profile(contact_type_field_id=360))
    counted = result.contacts.sort_values("contact_id")
    assert counted["contact_id"].tolist() == ["1", "2"]
    # 10:56:01 -0800 is 18:56:01Z, 11:56 in Portland (PDT) on 6 June; 23:30:00 -0800 on
    # 6 June is 07:30Z, 00:30 PDT on 7 June.
    assert counted["contact_date"].dt.strftime("%Y-%m-%d").tolist() == ["2014-06-06", "2014-06-07"]
    assert counted["channel"].tolist() == ["email", "webform"]
    assert _ledger(result) == {
        ("legacy_export.json", "counted", "handled_fallback"): 2,
        ("legacy_export.json", "excluded", "deleted"): 1,  # status "Deleted"
        ("legacy_export.json", "excluded", "not_handled"): 1,  # Open, no events loaded
        ("legacy_export.json", "excluded", "contact_type_not_counted"): 1,  # field_360 empty
        ("legacy_export.json", "excluded", "spam_or_test"): 1,  # current_tags "spam"
    }


def test_legacy_export_times_keep_their_offset(tmp_path):
    rec = {"id": 7, "created_at": "2014/01/06 23:30:00 +0100", "status": "Solved", "via": "Mail"}
    rec["field_360"] = "email"
    files = _files(tmp_path, {"l.json": json.dumps({"results": [rec]})})
    result = zendesk.read(files, _profile(contact_type_field_id=360))
    # 23:30 +0100 is 22:30Z, 14:30 PST on 6 January.
    assert result.contacts["contact_date"].dt.strftime("%Y-%m-%d").tolist() == ["2014-01-06"]
    assert result.contacts["queue"].tolist() == ["email"]


def test_a_page_under_an_unknown_key_is_excluded_and_warned_about(tmp_path):
    from contacts311.errors import InputWarning

    # Ticket comments have id, created_at and via like tickets: never taken for tickets.
    comments = [
        {
            "id": 1274,
            "type": "Comment",
            "body": "Thanks",
            "created_at": "2024-03-05T12:00:00Z",
            "via": {"channel": "web"},
        },
        {
            "id": 1275,
            "type": "Comment",
            "body": "Done",
            "created_at": "2024-03-05T13:00:00Z",
            "via": {"channel": "web"},
        },
    ]
    page = {"comments": comments, "next_page": None, "previous_page": None, "count": 2}
    files = _files(tmp_path, {"c.json": json.dumps(page), "t.jsonl": _ndjson([TICKETS[5]])})
    with pytest.warns(InputWarning, match=r"c\.json.*key 'comments': 2 record\(s\) that are not"):
        result = zendesk.read(files, _profile())
    assert _ledger(result)[("c.json", "excluded", "unknown_record_kind")] == 2
    assert result.contacts["contact_id"].tolist() == ["106"]


@pytest.mark.parametrize(
    "records", [TICKETS, EVENTS, USERS, AUDITS], ids=["tickets", "events", "users", "audits"]
)
def test_ndjson_of_one_table_keeps_the_arrow_path(records):
    # The keys that tell tables apart are read alongside each table's own without a type
    # clash, so a file of one table is still read by Arrow, not line by line.
    from contacts311.sources.zendesk import json_export

    kind = zendesk_envelopes.record_kind(records[0])
    table = json_export._arrow_table(_ndjson(records), kind)
    assert table is not None and table.num_rows == len(records)
    assert not json_export._other_kinds(table, kind)
