"""Zendesk JSON records: the contact type picked from custom fields, on both JSON paths.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import pytest
from zendesk_helpers import EVENTS, USERS
from zendesk_helpers import files as _files
from zendesk_helpers import ndjson as _ndjson
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket

from contacts311.sources import zendesk
from contacts311.sources.zendesk import contact_types, json_records


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
    lookup = contact_types.contact_type_lookup(_profile().tickets)
    kinds = pa.list_(pa.struct([("id", pa.int64()), ("value", pa.string())]))
    table = pa.table({"custom_fields": pa.array([r["custom_fields"] for r in records], kinds)})
    arrow = json_records.ArrowColumns(table).contact_types(field_id, lookup)
    per_record = json_records.DictColumns(records).contact_types(field_id, lookup)
    assert arrow.tolist() == per_record.tolist()
    assert arrow.notna().sum() >= 2  # the comparison is not between two empty columns


def test_json_replies_count_like_the_csv_column(tmp_path):
    # Without ticket events the fallback rule counts an open ticket with a reply; a replies
    # value of 2, "2" or 2.0 is a reply, 0 and null are none.
    tickets = [
        _ticket(1, "2024-03-05T12:00:00Z", replies=2),
        _ticket(2, "2024-03-05T12:00:00Z", replies="2"),
        _ticket(3, "2024-03-05T12:00:00Z", replies=2.0),
        _ticket(4, "2024-03-05T12:00:00Z", replies=0),
        _ticket(5, "2024-03-05T12:00:00Z", replies=None),
    ]
    files = _files(tmp_path, {"t.ndjson": _ndjson(tickets)})
    result = zendesk.read(files, _profile())
    assert sorted(result.contacts["contact_id"]) == ["1", "2", "3"]


@pytest.mark.parametrize("value", ["abc", -1, 1.5, True, [1], float("inf")])
@pytest.mark.parametrize("layout", ["ndjson", "array"])
def test_json_replies_that_are_not_a_whole_number_name_their_line(tmp_path, value, layout):
    # Read as no reply, a bad value would quietly turn a handled ticket into a not_handled one.
    import json

    from contacts311.errors import InputError

    tickets = [
        _ticket(1, "2024-03-05T12:00:00Z", replies=1),
        _ticket(2, "2024-03-05T12:00:00Z", replies=value),
    ]
    text = _ndjson(tickets) if layout == "ndjson" else json.dumps(tickets, indent=2)
    files = _files(tmp_path, {"t.json": text})
    with pytest.raises(InputError) as caught:
        zendesk.read(files, _profile())
    err = caught.value
    assert f"replies {json.dumps(value)} is not a whole number >= 0" in err.message
    assert err.column == "replies"
    if layout == "ndjson":
        assert err.line == 2
    else:  # a JSON document's records have no line of their own: the message counts them
        assert err.line is None
        assert "(ticket record 2)" in err.message
