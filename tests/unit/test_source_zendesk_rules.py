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


_INCREMENTAL = (
    "incremental_tickets.json",
    "incremental_ticket_events.json",
    "incremental_users.json",
)


def _by_reason(result, name="incremental_tickets.json"):
    return {r: n for (f, b, r), n in _ledger(result).items() if f == name}


def test_representatives_by_a_users_custom_field(tmp_path):
    from zendesk_helpers import fixture_files

    rules = {"contact_type_field_id": 360, "agent_user_field": "pdx311_csr"}
    result = zendesk.read(fixture_files(*_INCREMENTAL), _profile(**rules))
    counted = result.contacts.sort_values("contact_id")
    # 35436 and 35437 have an event by user 1001 (pdx311_csr true); 35437 was created at
    # 02:30Z on 6 March, 18:30 PST on 5 March.
    assert counted["contact_id"].tolist() == ["35436", "35437"]
    assert counted["contact_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05"] * 2
    assert _by_reason(result) == {
        "agent_event": 2,
        "no_agent_event": 2,  # 35438: the requester only; 35442: agent 1002, pdx311_csr false
        "phone_type": 1,
        "deleted": 1,
        "spam_or_test": 1,
    }
    assert any(
        "custom field 'pdx311_csr' is set" in n and "2 such users" in n for n in result.notes
    )


def test_without_the_users_field_any_agent_is_a_representative(tmp_path):
    from zendesk_helpers import fixture_files

    result = zendesk.read(fixture_files(*_INCREMENTAL), _profile(contact_type_field_id=360))
    assert sorted(result.contacts["contact_id"]) == ["35436", "35437", "35442"]


def test_ticket_audits_decide_as_ticket_events_do(tmp_path):
    from zendesk_helpers import fixture_files

    names = ("incremental_tickets.json", "ticket_audits.json", "incremental_users.json")
    rules = {"contact_type_field_id": 360, "agent_user_field": "pdx311_csr"}
    result = zendesk.read(fixture_files(*names), _profile(**rules))
    assert sorted(result.contacts["contact_id"]) == ["35436", "35437"]
    assert _ledger(result)[("ticket_audits.json", "excluded", "supporting_record")] == 6


def test_users_field_value_text_checkbox_and_multi_select(tmp_path):
    users = [
        {"id": 1, "role": "agent", "user_fields": {"team": "pdx_311"}},
        {"id": 2, "role": "agent", "user_fields": {"team": "dispatch"}},
        {"id": 3, "role": "end-user", "user_fields": {"team": ["x", "PDX_311"]}},
        {"id": 4, "role": "agent", "user_fields": {}},
    ]
    tickets = [_ticket(10 + u, "2024-03-05T12:00:00Z") for u in (1, 2, 3, 4)]
    events = [
        {"ticket_id": 10 + u, "updater_id": u, "created_at": "2024-03-05T12:00:00Z"}
        for u in (1, 2, 3, 4)
    ]
    contents = {"t.jsonl": _ndjson(tickets), "e.jsonl": _ndjson(events), "u.jsonl": _ndjson(users)}
    rules = {
        "contact_type_field_id": 360,
        "agent_user_field": "team",
        "agent_user_value": "PDX_311",
    }
    result = zendesk.read(_files(tmp_path, contents), _profile(**rules))
    # user 3 is an end user, but the field alone marks a representative (published definition)
    assert sorted(result.contacts["contact_id"]) == ["11", "13"]
    # without a value, any set value marks a user: 1, 2 and 3, not 4 (no field)
    del rules["agent_user_value"]
    result = zendesk.read(_files(tmp_path, contents), _profile(**rules))
    assert sorted(result.contacts["contact_id"]) == ["11", "12", "13"]


def test_users_field_checkbox_false_does_not_mark(tmp_path):
    users = [
        {"id": 1, "role": "agent", "user_fields": {"csr": True}},
        {"id": 2, "role": "agent", "user_fields": {"csr": False}},
    ]
    tickets = [_ticket(11, "2024-03-05T12:00:00Z"), _ticket(12, "2024-03-05T12:00:00Z")]
    events = [
        {"ticket_id": 11, "updater_id": 1, "created_at": "2024-03-05T12:00:00Z"},
        {"ticket_id": 12, "updater_id": 2, "created_at": "2024-03-05T12:00:00Z"},
    ]
    contents = {"t.jsonl": _ndjson(tickets), "e.jsonl": _ndjson(events), "u.jsonl": _ndjson(users)}
    result = zendesk.read(
        _files(tmp_path, contents), _profile(contact_type_field_id=360, agent_user_field="csr")
    )
    assert result.contacts["contact_id"].tolist() == ["11"]


def test_via_channels_give_tickets_without_a_contact_type_a_channel(tmp_path):
    from zendesk_helpers import fixture_files

    rules = {"contact_type_field_id": 360, "via_channels": {"email": ["Mail"]}}
    result = zendesk.read(fixture_files("legacy_export.json"), _profile(**rules))
    counted = result.contacts.sort_values("contact_id")
    # ticket 5 has an empty contact type and came in by "Mail": now counted as email
    assert counted["contact_id"].tolist() == ["1", "2", "5"]
    assert counted["channel"].tolist() == ["email", "webform", "email"]
    assert counted["queue"].tolist() == ["email", "webform", "mail"]
    assert any(n.startswith("1 tickets had no contact type") for n in result.notes)


def test_via_channels_apply_to_incremental_tickets_and_can_exclude_phone(tmp_path):
    tickets = [
        {
            "id": 1,
            "created_at": "2024-03-05T12:00:00Z",
            "status": "solved",
            "via": {"channel": "web"},
        },
        {
            "id": 2,
            "created_at": "2024-03-05T12:00:00Z",
            "status": "solved",
            "via": {"channel": "voice"},
        },
        {
            "id": 3,
            "created_at": "2024-03-05T12:00:00Z",
            "status": "solved",
            "via": {"channel": "api"},
        },
        _ticket(4, "2024-03-05T12:00:00Z", status="solved", ctype="in_person"),  # via email
    ]
    rules = {"via_channels": {"webform": ["web", "mobile"], "phone": ["voice"], "email": ["email"]}}
    result = zendesk.read(_files(tmp_path, {"t.jsonl": _ndjson(tickets)}), _profile(**rules))
    # the contact type wins over via (ticket 4 is in person); api is mapped to no channel
    assert dict(zip(result.contacts["contact_id"], result.contacts["channel"], strict=True)) == {
        "1": "webform",
        "4": "in_person",
    }
    reasons = _ledger(result)
    assert reasons[("t.jsonl", "excluded", "phone_type")] == 1
    assert reasons[("t.jsonl", "excluded", "contact_type_not_counted")] == 1
