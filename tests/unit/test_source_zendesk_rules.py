"""Zendesk rules: the latest copy wins, exclusion reasons, the agent-event and fallback rules.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

from zendesk_helpers import CSV_HEADER, EVENTS, TICKETS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import ndjson as _ndjson
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket

from contacts311.sources import zendesk


def test_csv_every_exclusion_reason_and_fallback_rule(tmp_path):
    rows = [
        # id 1: deleted beats its spam tag (first matching rule decides)
        "1,Ann,ann@x.org,Hi,spam,Deleted,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,Email,d",
        # id 2: merged beats phone type
        "2,Bo,bo@x.org,Hi,closed_by_merge,Closed,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,Phone,d",
        "3,Cy,cy@x.org,Hi,foo test_ticket,Solved,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,Email,d",
        "4,Di,di@x.org,Hi,,Solved,Phone call (inbound),2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,Voicemail,d",
        "5,Ed,ed@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,,d",
        "6,Fa,fa@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,1,311,Fax,d",
        "7,Gi,gi@x.org,Hi,,Open,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,Email,d",
        "8,Ha,ha@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,E-mail,d",
        "9,Io,io@x.org,Hi,,Pending,Web form,2024-03-06 23:30:00,2024-03-07 08:00:00,2,311,in person,d",
        "10,Jo,jo@x.org,Hi,,Closed,Web form,2024-03-07 00:15:00,2024-03-07 08:00:00,,311,WEB FORM,d",
    ]
    files = _files(tmp_path, {"support.csv": CSV_HEADER + "\n" + "\n".join(rows) + "\n"})
    result = zendesk.read(files, _profile())

    assert _ledger(result) == {
        ("support.csv", "excluded", "deleted"): 1,
        ("support.csv", "excluded", "merged"): 1,
        ("support.csv", "excluded", "spam_or_test"): 1,
        ("support.csv", "excluded", "phone_type"): 1,
        ("support.csv", "excluded", "contact_type_not_counted"): 2,
        ("support.csv", "excluded", "not_handled"): 1,
        ("support.csv", "counted", "handled_fallback"): 3,
    }
    assert result.ledger.rows_read == {"support.csv": 10}
    assert result.ledger.unbalanced() == []

    got = result.contacts.sort_values("contact_id", key=lambda s: s.astype(int))
    assert got["contact_id"].tolist() == ["8", "9", "10"]
    assert got["channel"].tolist() == ["email", "in_person", "webform"]
    assert got["queue"].tolist() == ["E-mail", "in person", "WEB FORM"]
    # CSV times are already local: the date is the written date.
    assert got["contact_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
    ]
    assert got["count"].tolist() == [1, 1, 1]
    assert set(got["source"]) == {"zendesk"}
    assert set(got["source_file"]) == {"support.csv"}
    assert result.columns["support.csv"] == CSV_HEADER.split(",")
    # Tickets 7, 8, 9 and 10 reached the handling rule; no events, so all used the fallback.
    assert (
        "0 tickets decided by the published rule (agent event), 4 by the CSV fallback rule "
        "(solved/closed or a reply)." in result.notes
    )


def test_ndjson_agent_rule_with_groups_and_tags(tmp_path):
    files = _files(
        tmp_path,
        {
            "tickets.ndjson.gz": _ndjson(TICKETS),
            "ticket_events.ndjson.gz": _ndjson(EVENTS),
            "users.ndjson.gz": _ndjson(USERS),
        },
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))

    assert sorted(result.contacts["contact_id"]) == ["101", "102", "105", "106"]
    by_id = result.contacts.set_index("contact_id")
    assert by_id.loc["102", "channel"] == "webform"
    assert by_id.loc["105", "channel"] == "in_person"
    assert by_id.loc["105", "queue"] == "contact_type_in_person"
    assert by_id.loc["101", "queue"] == "email"
    assert _ledger(result) == {
        ("tickets.ndjson.gz", "counted", "agent_event"): 3,
        ("tickets.ndjson.gz", "counted", "handled_fallback"): 1,
        ("tickets.ndjson.gz", "excluded", "no_agent_event"): 2,
        ("tickets.ndjson.gz", "excluded", "not_handled"): 1,
        ("ticket_events.ndjson.gz", "excluded", "supporting_record"): 6,
        ("users.ndjson.gz", "excluded", "supporting_record"): 5,
    }
    assert result.ledger.unbalanced() == []
    assert (
        "5 tickets decided by the published rule (agent event), 2 by the CSV fallback rule "
        "(solved/closed or a reply)." in result.notes
    )
    assert result.columns["users.ndjson.gz"] == ["default_group_id", "id", "name", "role", "tags"]


def test_any_agent_or_admin_counts_when_no_groups_or_tags_are_set(tmp_path):
    files = _files(
        tmp_path,
        {
            "t.ndjson": _ndjson(TICKETS),
            "e.ndjson": _ndjson(EVENTS),
            "u.ndjson": _ndjson(USERS),
        },
    )
    result = zendesk.read(files, _profile(agent_group_ids=[], agent_tags=[]))
    # 103's only event is by agent 3 (any agent now counts); 104 stays an end-user comment only.
    assert sorted(result.contacts["contact_id"]) == ["101", "102", "103", "105", "106"]


def test_latest_copy_wins_across_overlapping_exports(tmp_path):
    a = [
        _ticket(201, "2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", status="open"),
        _ticket(202, "2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", status="open"),
        _ticket(203, "2024-03-05T09:00:00Z", "2024-03-09T10:00:00Z", status="solved"),
    ]
    b = [
        _ticket(201, "2024-03-05T09:00:00Z", "2024-03-06T10:00:00Z", status="deleted"),
        # same updated_at as in a: the later file in sorted order wins
        _ticket(202, "2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", status="solved"),
        # older than a's copy: a wins although b is the later file
        _ticket(203, "2024-03-05T09:00:00Z", "2024-03-06T10:00:00Z", status="deleted"),
    ]
    files = _files(tmp_path, {"b.ndjson": _ndjson(b), "a.ndjson": _ndjson(a)})
    result = zendesk.read(files, _profile())
    assert _ledger(result) == {
        ("a.ndjson", "duplicate", "duplicate"): 2,
        ("a.ndjson", "counted", "handled_fallback"): 1,
        ("b.ndjson", "excluded", "deleted"): 1,
        ("b.ndjson", "counted", "handled_fallback"): 1,
        ("b.ndjson", "duplicate", "duplicate"): 1,
    }
    got = result.contacts.set_index("contact_id")["source_file"].to_dict()
    assert got == {"202": "b.ndjson", "203": "a.ndjson"}
