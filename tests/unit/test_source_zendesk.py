"""Zendesk source: CSV and incremental-export JSON, dedupe, rules, time zones, PII.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from contacts311.errors import InputError, InputWarning
from contacts311.pipeline import InputFile, load
from contacts311.profile import Profile, TicketRules
from contacts311.sources import zendesk

CSV_HEADER = (
    "ID,Requester,Requester email,Subject,Tags,Status,Via,Created at,Updated at,"
    "Replies,Group,Contact Type [list],Description"
)


def _profile(**tickets) -> Profile:
    return Profile(tickets=TicketRules(**tickets))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _files(tmp_path: Path, contents: dict[str, str]) -> list[InputFile]:
    return [InputFile(_write(tmp_path, n, t), n, "zendesk") for n, t in contents.items()]


def _ndjson(records: list[dict]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def _ledger(result) -> dict[tuple[str, str, str], int]:
    frame = result.ledger.frame()
    return {(r.source_file, r.bucket, r.reason): r.rows for r in frame.itertuples()}


def _ticket(tid, created, updated=None, status="open", ctype="email", tags=(), **extra):
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


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    "head",
    [
        CSV_HEADER
        + "\n1,Ann,a@b.c,Hi,,Open,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,Email,x\n",
        "\ufeffID,Status,Created at,Updated at\n",
        json.dumps(_ticket(1, "2024-03-05T09:00:00Z")) + "\n",
        '{"id": 9, "ticket_id": 1, "updater_id": 5, "created_at": "2024-03-05T09:00:00Z"}\n',
        '{"id": 5, "name": "A", "role": "agent", "default_group_id": 311}\n',
        '{"tickets": [\n  {"id": 1}',
        '{"ticket_events": [',
        '{ "users" : [ {"id": 1, "role": "agent"} ] }',
    ],
)
def test_sniff_accepts_zendesk_exports(head):
    assert zendesk.sniff(head)


@pytest.mark.parametrize(
    "head",
    [
        "date,end_date,label\n2024-03-01,2024-03-02,storm\n",
        "row_date,starttime,intrvl,split,acdcalls,abncalls\n2024-03-01,700,30,1,10,2\n",
        "311 Multi-Day Multi-Skill\nSkills: 1\n\nDate\tSplit/Skill\tACD Calls\tAban Calls\n",
        '{"foo": 1, "bar": [1, 2]}\n',
        "ContactId,Channel,InitiationTimestamp,LastUpdateTimestamp\n",
        "",
    ],
)
def test_sniff_rejects_other_files(head):
    assert not zendesk.sniff(head)


# --------------------------------------------------------------------------- CSV rules


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


def test_csv_contact_type_column_without_list_suffix_and_custom_name(tmp_path):
    text = (
        "ID,Status,Tags,Created at,Updated at,Channel Kind\n"
        "1,Solved,,2024-03-05 09:00:00,2024-03-05 09:00:00,Email\n"
    )
    files = _files(tmp_path, {"a.csv": text})
    result = zendesk.read(files, _profile(contact_type_field="Channel Kind"))
    assert result.contacts["contact_id"].tolist() == ["1"]


# --------------------------------------------------------------------------- agent rule

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


def _event(eid, ticket, updater, at):
    return {
        "id": eid,
        "ticket_id": ticket,
        "updater_id": updater,
        "created_at": at,
        "child_events": [{"event_type": "Comment", "body": "thanks"}],
    }


EVENTS = [
    _event(1, 101, 1, "2024-03-05T00:00:00Z"),  # span starts here
    _event(2, 102, 2, "2024-03-05T13:00:00Z"),
    _event(3, 103, 3, "2024-03-05T13:00:00Z"),
    _event(4, 104, 4, "2024-03-05T13:00:00Z"),
    _event(5, 105, 4, "2024-03-05T13:00:00Z"),
    _event(6, 105, 1, "2024-03-07T00:00:00Z"),  # span ends here
]

TICKETS = [
    _ticket(101, "2024-03-05T00:00:00Z"),  # rep in group 311
    _ticket(102, "2024-03-05T12:00:00Z", ctype="web_form"),  # rep by tag
    _ticket(103, "2024-03-05T12:00:00Z"),  # agent outside 311 only
    _ticket(104, "2024-03-05T12:00:00Z"),  # end-user comment only
    _ticket(105, "2024-03-05T12:00:00Z", ctype="contact_type_in_person"),  # end-user then rep
    _ticket(106, "2024-03-01T12:00:00Z", status="solved"),  # before the span: fallback
    _ticket(107, "2024-03-10T12:00:00Z", status="open"),  # after the span: fallback fails
]


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


def test_checkbox_custom_field_and_string_ids_take_the_json_path(tmp_path):
    tickets = [
        _ticket("101", "2024-03-05T00:00:00Z"),
        _ticket(102, "2024-03-05T12:00:00Z", ctype="web_form"),
    ]
    tickets[1]["custom_fields"].insert(0, {"id": 7, "value": True})
    files = _files(
        tmp_path,
        {"t.ndjson": _ndjson(tickets), "e.ndjson": _ndjson(EVENTS), "u.ndjson": _ndjson(USERS)},
    )
    result = zendesk.read(files, _profile(agent_group_ids=[311], agent_tags=["pdx311_rep"]))
    assert sorted(result.contacts["contact_id"]) == ["101", "102"]


def test_contact_type_field_id_picks_that_field(tmp_path):
    rec = _ticket(1, "2024-03-05T12:00:00Z", status="solved", ctype="in_person")
    rec["custom_fields"] = [{"id": 11, "value": "email"}, {"id": 360, "value": "in_person"}]
    files = _files(tmp_path, {"t.ndjson": _ndjson([rec])})
    chosen = zendesk.read(files, _profile(contact_type_field_id=360))
    first_match = zendesk.read(files, _profile())
    assert chosen.contacts["channel"].tolist() == ["in_person"]
    assert first_match.contacts["channel"].tolist() == ["email"]


@pytest.mark.parametrize("field_id", [None, 360])
def test_contact_type_arrow_and_json_paths_pick_the_same(field_id):
    # The Arrow path picks without a Python loop; it must agree with the per-record picker on
    # every shape: no fields, empty and null values, two candidates (the first wins), unknowns.
    import pyarrow as pa

    records = [
        {"custom_fields": []},
        {"custom_fields": [{"id": 360, "value": ""}, {"id": 11, "value": "email"}]},
        {"custom_fields": [{"id": 360, "value": None}, {"id": 12, "value": "Walk-in"}]},
        {"custom_fields": [{"id": 11, "value": "nonsense"}, {"id": 360, "value": "in_person"}]},
        {"custom_fields": [{"id": 11, "value": "web_form"}, {"id": 12, "value": "email"}]},
        {"custom_fields": [{"id": 360, "value": "email"}, {"id": 360, "value": "web_form"}]},
        {"custom_fields": [{"id": 99, "value": "nonsense"}]},
    ]
    lookup = zendesk._contact_type_lookup(_profile().tickets)
    kinds = pa.list_(pa.struct([("id", pa.int64()), ("value", pa.string())]))
    table = pa.table({"custom_fields": pa.array([r["custom_fields"] for r in records], kinds)})
    arrow = zendesk._ArrowColumns(table).contact_types(field_id, lookup)
    per_record = zendesk._DictColumns(records).contact_types(field_id, lookup)
    assert arrow.tolist() == per_record.tolist()
    assert arrow.notna().sum() >= 2  # the comparison is not between two empty columns


# --------------------------------------------------------------------------- JSON documents


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


# --------------------------------------------------------------------------- dedupe


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


def test_csv_and_json_copies_compare_in_utc(tmp_path):
    # CSV times are Pacific (PST, UTC-8 in March before the 10th): 10:30 local = 18:30Z.
    csv_text = (
        CSV_HEADER
        + "\n301,Ann,a@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 10:30:00,1,311,Email,d"
        + "\n302,Bo,b@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 10:30:00,1,311,Email,d\n"
    )
    json_copies = [
        # 18:00Z is earlier than 18:30Z: the CSV copy wins (a naive comparison would say 18:00 > 10:30)
        _ticket(301, "2024-03-05T17:00:00Z", "2024-03-05T18:00:00Z", status="deleted"),
        # 19:00Z is later than 18:30Z: the JSON copy wins
        _ticket(302, "2024-03-05T17:00:00Z", "2024-03-05T19:00:00Z", status="deleted"),
    ]
    files = _files(tmp_path, {"a.csv": csv_text, "b.ndjson": _ndjson(json_copies)})
    result = zendesk.read(files, _profile())
    assert result.contacts["contact_id"].tolist() == ["301"]
    assert _ledger(result) == {
        ("a.csv", "counted", "handled_fallback"): 1,
        ("a.csv", "duplicate", "duplicate"): 1,
        ("b.ndjson", "duplicate", "duplicate"): 1,
        ("b.ndjson", "excluded", "deleted"): 1,
    }


# --------------------------------------------------------------------------- dates and DST


def test_json_ticket_counts_on_its_local_creation_date(tmp_path):
    tickets = [
        # 05:30Z on 6 March = 21:30 PST on 5 March
        _ticket(1, "2024-03-06T05:30:00Z", status="solved"),
        # 06:59:59Z on 1 July = 23:59:59 PDT on 30 June (last second of FY 2023-24)
        _ticket(2, "2024-07-01T06:59:59Z", status="solved"),
        # 07:00:00Z on 1 July = midnight PDT: the new fiscal year
        _ticket(3, "2024-07-01T07:00:00Z", status="solved"),
    ]
    files = _files(tmp_path, {"t.ndjson": _ndjson(tickets)})
    result = zendesk.read(files, _profile())
    got = result.contacts.set_index("contact_id")["contact_date"].dt.strftime("%Y-%m-%d").to_dict()
    assert got == {"1": "2024-03-05", "2": "2024-06-30", "3": "2024-07-01"}
    assert result.contacts["contact_date"].dtype == "datetime64[ns]"


def test_local_times_dst_gap_shifts_forward_and_repeat_takes_first():
    values = pd.Series(
        [
            "2024-03-10 02:30:00",  # does not exist in Los Angeles: shifted to 03:00 PDT = 10:00Z
            "2024-11-03 01:30:00",  # happens twice: first occurrence is PDT (UTC-7) = 08:30Z
            "2024-01-15 12:00:00",  # PST (UTC-8) = 20:00Z
            "03/05/2024 9:05 PM",  # US style, PST = 05:05Z next day
        ]
    )
    utc, local = zendesk._parse_local_times(
        values, "f.csv", "Created at", [2, 3, 4, 5], "America/Los_Angeles"
    )
    assert [str(t) for t in utc] == [
        "2024-03-10 10:00:00",
        "2024-11-03 08:30:00",
        "2024-01-15 20:00:00",
        "2024-03-06 05:05:00",
    ]
    assert [d.strftime("%Y-%m-%d") for d in local] == [
        "2024-03-10",
        "2024-11-03",
        "2024-01-15",
        "2024-03-05",
    ]


def test_dst_repeat_decides_which_copy_is_latest(tmp_path):
    # CSV updated 01:30 on the fall-back night = 08:30Z (first occurrence); the JSON copy at
    # 09:00Z is later, so it wins. Had the second occurrence (09:30Z) been taken, the CSV would win.
    csv_text = (
        CSV_HEADER
        + "\n401,Ann,a@x.org,Hi,,Solved,Mail,2024-11-02 09:00:00,2024-11-03 01:30:00,1,311,Email,d\n"
    )
    files = _files(
        tmp_path,
        {
            "a.csv": csv_text,
            "b.ndjson": _ndjson(
                [_ticket(401, "2024-11-02T16:00:00Z", "2024-11-03T09:00:00Z", status="deleted")]
            ),
        },
    )
    result = zendesk.read(files, _profile())
    assert result.contacts.empty
    assert _ledger(result)[("b.ndjson", "excluded", "deleted")] == 1


# --------------------------------------------------------------------------- errors


def test_missing_required_column_names_file_line_and_column(tmp_path):
    text = "ID,Requester,Status,Tags,Updated at,Contact Type [list]\n1,Ann,Open,,2024-03-05 09:00:00,Email\n"
    files = _files(tmp_path, {"bad.csv": text})
    with pytest.raises(InputError) as info:
        zendesk.read(files, _profile())
    err = info.value
    assert (err.file, err.line, err.column) == ("bad.csv", 1, "Created at")
    assert "account's time zone" in err.message


def _created_dates(tmp_path, created: list[str]) -> list[str]:
    """Local contact dates (America/Los_Angeles, the default) of tickets created at ``created``."""
    tickets = [_ticket(i + 1, c, status="solved") for i, c in enumerate(created)]
    result = zendesk.read(_files(tmp_path, {"t.ndjson": _ndjson(tickets)}), _profile())
    frame = result.contacts.sort_values("contact_id")
    return [d.strftime("%Y-%m-%d") for d in frame["contact_date"]]


def test_json_times_with_a_zone_or_an_offset_are_utc(tmp_path):
    # 07:30Z and 09:30+02:00 are the same instant: 23:30 the evening before in Portland.
    assert _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "2024-03-10T09:30:00+02:00"]) == [
        "2024-03-09",
        "2024-03-09",
    ]


def test_json_time_without_a_zone_is_taken_as_utc_with_a_warning(tmp_path):
    with pytest.warns(InputWarning) as caught:
        dates = _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "2024-03-10T07:30:00"])
    assert dates == ["2024-03-09", "2024-03-09"]
    messages = [str(w.message) for w in caught]
    for column in ("created_at", "updated_at"):  # the ticket's updated_at defaults to created_at
        assert any(f"1 {column} time(s) have no time zone" in m for m in messages), messages


def test_unreadable_json_time_names_line_and_column(tmp_path):
    with pytest.raises(InputError) as info:
        _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "yesterday"])
    err = info.value
    assert (err.file, err.line, err.column) == ("t.ndjson", 2, "created_at")
    assert "'yesterday'" in err.message


def test_missing_contact_type_column_is_an_error(tmp_path):
    text = "ID,Status,Tags,Created at,Updated at\n1,Open,,2024-03-05 09:00:00,2024-03-05 09:00:00\n"
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"bad.csv": text}), _profile())
    assert info.value.column == "Contact Type [list]"
    assert info.value.line == 1


def test_bad_csv_timestamp_names_the_physical_line(tmp_path):
    # The quoted description of ticket 1 spans two lines, so ticket 2 starts on line 4.
    text = (
        CSV_HEADER
        + '\n1,Ann,a@x.org,Hi,,Open,Mail,2024-03-05 09:00:00,2024-03-05 09:00:00,0,311,Email,"two\nlines"'
        + "\n2,Bo,b@x.org,Hi,,Open,Mail,yesterday,2024-03-05 09:00:00,0,311,Email,d\n"
    )
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.csv": text}), _profile())
    err = info.value
    assert (err.line, err.column) == (4, "Created at")
    assert "'yesterday'" in err.message and "YYYY-MM-DD HH:MM:SS" in err.message


def test_bad_json_line_is_reported(tmp_path):
    text = _ndjson(TICKETS[:1]) + "\n" + '{"id": 2, "created_at": \n'
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.ndjson": text}), _profile())
    # line 1 a ticket, line 2 blank, line 3 broken
    assert info.value.line == 3


def test_bad_json_timestamp_names_line_and_value(tmp_path):
    recs = [_ticket(1, "2024-03-05T09:00:00Z"), _ticket(2, "5 March 2024")]
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.ndjson.gz": _ndjson(recs)}), _profile())
    err = info.value
    assert (err.file, err.line, err.column) == ("t.ndjson.gz", 2, "created_at")
    assert "'5 March 2024'" in err.message and "ISO-8601" in err.message


# --------------------------------------------------------------------------- privacy


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


# --------------------------------------------------------------------------- end to end


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


def test_xlsx_support_export(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "ID",
            "Requester",
            "Status",
            "Tags",
            "Created at",
            "Updated at",
            "Replies",
            "Contact Type [list]",
        ]
    )
    ws.append([11, "Ann", "Solved", "", "2024-03-05 09:00:00", "2024-03-05 09:00:00", 0, "Email"])
    ws.append([12, "Bo", "Open", "", "2024-03-05 09:00:00", "2024-03-05 09:00:00", 0, "Email"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    result = zendesk.read([InputFile(path, "export.xlsx", "zendesk")], _profile())
    # 11 is solved (fallback passes); 12 is open with no reply
    assert result.contacts["contact_id"].tolist() == ["11"]
    assert _ledger(result)[("export.xlsx", "excluded", "not_handled")] == 1


def test_sniff_accepts_a_first_record_cut_off_by_the_head_size():
    rec = _ticket(1, "2024-03-05T09:00:00Z", description="x" * 20_000)
    line = json.dumps({k: rec[k] for k in ("id", "created_at", "status", "description")})
    assert zendesk.sniff(line[:16_384])
    assert not zendesk.sniff('{"foo": 1, "bar": "' + "x" * 20_000)


def test_local_times_with_an_explicit_offset_use_it():
    values = pd.Series(["2024-03-05T23:30:00-05:00", "2024-03-05 09:00:00"])
    utc, local = zendesk._parse_local_times(
        values, "f.csv", "Created at", [2, 3], "America/Los_Angeles"
    )
    # 23:30 at UTC-5 = 04:30Z on the 6th = 20:30 PST on the 5th; 09:00 PST = 17:00Z
    assert [str(t) for t in utc] == ["2024-03-06 04:30:00", "2024-03-05 17:00:00"]
    assert [str(t) for t in local] == ["2024-03-05 20:30:00", "2024-03-05 09:00:00"]


def test_arrow_cells_agree_with_pandas_cells_and_refuse_other_widths():
    ok = 'ID,Subject,Status\n1,"two\nlines, and a comma",solved\r\n2,"say ""hi""",open\n\n3,,\n'
    header = ["ID", "Subject", "Status"]
    fast = zendesk._arrow_cells(ok, header, [0, 1, 2])
    slow = zendesk._pandas_cells(ok, "f.csv", header, [0, 1, 2])
    for pos in (0, 1, 2):
        assert list(fast[pos]) == list(slow[pos])
        assert str(fast[pos].dtype) == "str"
    assert list(fast[1]) == ["two\nlines, and a comma", 'say "hi"', ""]
    assert list(fast[0]) == ["1", "2", "3"]  # text, never numbers: ids keep leading zeros
    assert zendesk._arrow_cells("ID,Subject,Status\n1,a,b,c\n", header, [0]) is None  # wider
    assert zendesk._arrow_cells("ID,Subject,Status\n1,a\n", header, [0]) is None  # narrower
    # A header with a quoted line end is not skipped by skipping one line: left to pandas.
    assert zendesk._arrow_cells('ID,"Sub\nject",Status\n1,a,b\n', header, [0]) is None


def test_pandas_cells_pad_a_narrower_row_and_name_a_wider_one():
    header = ["ID", "Subject", "Status"]
    cells = zendesk._pandas_cells("ID,Subject,Status\n1,a\n2,b,open\n", "f.csv", header, [0, 2])
    assert list(cells[2]) == ["", "open"]
    with pytest.raises(InputError, match=r"line 3.*4 cells but the header has 3"):
        zendesk._pandas_cells("ID,Subject,Status\n1,a,b\n2,x,y,z\n", "f.csv", header, [0])


def test_tags_split_on_commas_and_any_unicode_whitespace_like_python():
    raw = ["VIP, Noise\tGraffiti", " a\u00a0b\u2003c\x1fd\x85e ", "", "x,,  y"]
    got = zendesk._normalise_tags(pd.Series(raw, dtype="str"))
    # What the tags were before Arrow did it: Python's re and str.strip.
    expected = [re.sub(r"[\s,]+", " ", r.lower()).strip() for r in raw]
    assert list(got) == expected == ["vip noise graffiti", "a b c d e", "", "x y"]
