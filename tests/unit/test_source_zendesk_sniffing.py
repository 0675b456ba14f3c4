"""Zendesk sniffing: which first lines are a Zendesk export.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import json

import pytest
from zendesk_helpers import CSV_HEADER
from zendesk_helpers import ticket as _ticket

from contacts311.sources import zendesk
from contacts311.sources.zendesk import sniffing


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
        # a bare ticket or an array of tickets, pretty-printed
        json.dumps(_ticket(1, "2024-03-05T09:00:00Z"), indent=2),
        json.dumps([_ticket(1, "2024-03-05T09:00:00Z")], indent=4),
        "[\n" + json.dumps(_ticket(1, "2024-03-05T09:00:00Z")) + ",\n",
        # a pretty-printed ticket cut off by the head size, nested objects first
        '{\n  "via": {"channel": "web", "source": {"from": {}}},\n  "id": 7,\n'
        '  "created_at": "2024-03-05T09:00:00Z",\n  "status": "open",\n  "description": "xx',
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
        # keys of a nested object are not the record's: no id/created_at at the top level
        '{\n  "meta": {"id": 1, "created_at": "x", "status": "y"},\n  "kind": "other"\n}',
        '[\n  {"ContactId": "a", "Channel": "VOICE"}\n]',
        "ContactId,Channel,InitiationTimestamp,LastUpdateTimestamp\n",
        "",
    ],
)
def test_sniff_rejects_other_files(head):
    assert not zendesk.sniff(head)


def test_sniff_accepts_a_first_record_cut_off_by_the_head_size():
    rec = _ticket(1, "2024-03-05T09:00:00Z", description="x" * 20_000)
    line = json.dumps({k: rec[k] for k in ("id", "created_at", "status", "description")})
    assert zendesk.sniff(line[:16_384])
    assert not zendesk.sniff('{"foo": 1, "bar": "' + "x" * 20_000)


def test_first_keys_are_the_top_level_keys_of_the_first_object():
    text = '[ {"a": {"b": 1, "c": [ {"d": 2} ]}, "e": "}{", "f": 3}, {"g": 4} ]'
    keys = sniffing.first_keys(text)
    assert list(keys) == ["a", "e", "f"]
    assert text[keys["f"]] == "3"
    assert sniffing.first_keys("  \n") == {}
    assert sniffing.first_keys('"text"') == {}


def test_sniff_knows_the_legacy_export_and_data_lake_headers():
    from zendesk_helpers import DATA

    assert zendesk.sniff((DATA / "legacy_export.json").read_text(encoding="utf-8")[:2000])
    # a Parquet table's head: its column names, struct fields dotted
    assert zendesk.sniff("url,id,via.channel,via.source.rel,created_at,custom_fields")
    assert zendesk.sniff("id,created_at,status,via_channel,field_360\n1,2024-03-05,open,web,x\n")
    assert zendesk.sniff("id,ticket_id,created_at,updater_id,child_events")
    assert zendesk.sniff("id,name,user_fields.pdx311_csr")
    assert not zendesk.sniff("id,created_at,body,author_id")  # comments
    assert not zendesk.sniff("sku,price")
