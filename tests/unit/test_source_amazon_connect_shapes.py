"""Amazon Connect: every shape a contact record arrives in; transfers folded into one call."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from parquet_helpers import gzip_parquet

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.profile import PhoneRules, Profile
from contacts311.sources import amazon_connect as ac
from contacts311.sources._base import read_head

DATA = Path(__file__).resolve().parents[1] / "data" / "amazon_connect"
SHAPES = [
    "ctr_array.json",
    "ctr_array.json.gz",
    "ctr_lines.jsonl",
    "firehose-ctr-2024-05-01-00",
    "firehose-ctr-2024-05-01-00.gz",
    "ctr_dotted.csv",
    "ctr_dotted.csv.gz",
    "ctr_athena.csv",
    "ctr_nested.parquet",
    "ctr_nested.parquet.gz",
    "ctr_flat.parquet",
    "ctr_flat.parquet.gz",
]

# From the comments in make_fixtures.py (America/Los_Angeles): chain 1 on 30 Apr (General),
# chain 3 on 1 May (its first leg's queue, General), contact 7 and the callback (contact 9).
CHAINS = {("2024-04-30", "General"): 1, ("2024-05-01", "General"): 2, ("2024-05-01", "Callback"): 1}
# rows read, counted, transfer_leg, outbound, not_voice, not_answered, duplicate
CHAIN_LEDGER = (10, 4, 3, 1, 1, 0, 1)
# Every answered leg: contacts 1 (30 Apr), 2 (Permits), 4 (Parking), 5 (Water), 7, 9.
LEGS = {
    ("2024-04-30", "General"): 1,
    ("2024-05-01", "Permits"): 1,
    ("2024-05-01", "Parking"): 1,
    ("2024-05-01", "Water"): 1,
    ("2024-05-01", "General"): 1,
    ("2024-05-01", "Callback"): 1,
}
LEG_LEDGER = (10, 6, 0, 1, 1, 1, 1)


def _read(name: str, count: str = "contact"):
    path = DATA / name
    return ac.read([SimpleNamespace(path=path, name=name)], Profile(phone=PhoneRules(count=count)))


def _per_day(result) -> dict:
    c = result.contacts
    return {
        (d.strftime("%Y-%m-%d"), q): int(n)
        for d, q, n in zip(c["contact_date"], c["queue"], c["count"], strict=True)
    }


def _ledger(result) -> tuple:
    frame = result.ledger.frame()
    (rows,) = result.ledger.rows_read.values()

    def pick(bucket, reason=None):
        sel = frame[frame["bucket"] == bucket]
        return int(sel[sel["reason"] == reason]["rows"].sum() if reason else sel["rows"].sum())

    reasons = ("transfer_leg", "outbound", "not_voice", "not_answered")
    return (rows, pick("counted"), *(pick("excluded", r) for r in reasons), pick("duplicate"))


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_counts_a_transferred_call_once(name):
    result = _read(name)
    assert _per_day(result) == CHAINS
    assert _ledger(result) == CHAIN_LEDGER
    assert result.ledger.unbalanced() == []
    assert "5550142" not in result.contacts.to_csv() + result.tables["intervals"].to_csv()


@pytest.mark.parametrize("name", ["ctr_array.json", "ctr_athena.csv", "ctr_nested.parquet"])
def test_count_leg_counts_every_answered_leg(name):
    result = _read(name, count="leg")
    assert _per_day(result) == LEGS
    assert _ledger(result) == LEG_LEDGER


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_is_recognised(name):
    assert sources.sniff(read_head(DATA / name)) == "amazon_connect"


def test_a_single_pretty_printed_record():
    result = _read("ctr_single_record.json")
    assert _per_day(result) == {("2024-05-01", "Callback"): 1}
    assert _ledger(result) == (1, 1, 0, 0, 0, 0, 0)


def test_intervals_count_every_voice_leg_that_reached_a_queue():
    # Inbound and transferred legs (not the outbound call, not the chat): 13:00 Callback,
    # 12:00 General (contact 7), 10:00 General (3, unanswered), Parking (4) and Water (5);
    # 00:00 Permits (2) on 1 May and 23:30 General (1) on 30 Apr.
    intervals = _read("ctr_lines.jsonl").tables["intervals"]
    got = {
        (r.contact_date.strftime("%m-%d"), int(r.interval_start), r.queue): (
            int(r.calls_offered),
            int(r.acd_calls),
        )
        for r in intervals.itertuples()
    }
    assert got == {
        ("04-30", 1410, "General"): (1, 1),
        ("05-01", 0, "Permits"): (1, 1),
        ("05-01", 600, "General"): (1, 0),
        ("05-01", 600, "Parking"): (1, 1),
        ("05-01", 600, "Water"): (1, 1),
        ("05-01", 720, "General"): (1, 1),
        ("05-01", 780, "Callback"): (1, 1),
    }


def test_the_chain_counts_in_the_file_of_its_first_leg(tmp_path):
    lines = (DATA / "ctr_lines.jsonl").read_text().splitlines()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(lines[:1]) + "\n")  # contact 1 only
    b.write_text("\n".join(lines[1:]) + "\n")  # its transfer leg and the rest
    files = [SimpleNamespace(path=p, name=p.name) for p in (b, a)]
    result = ac.read(files, Profile())
    per_file = result.contacts.groupby("source_file")["count"].sum().to_dict()
    assert per_file == {"a.jsonl": 1, "b.jsonl": 3}
    frame = result.ledger.frame()
    legs = frame[frame["reason"] == "transfer_leg"].set_index("source_file")["rows"]
    assert legs.to_dict() == {"b.jsonl": 3}  # a.jsonl folded nothing (no zero rows)


def test_a_gzip_compressed_parquet_is_read_from_a_copy_removed_afterwards(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = _read("ctr_nested.parquet.gz")
    assert _per_day(result) == CHAINS
    assert result.columns["ctr_nested.parquet.gz"][0] == "AWSAccountId"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_bad_record_in_a_gzip_compressed_parquet_names_the_file_and_leaves_no_copy(
    tmp_path, monkeypatch
):
    import pyarrow as pa

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    row = {
        "ContactId": "c-1",
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "soon",
        "LastUpdateTimestamp": "2024-05-01T17:10:00Z",
        "Agent": {"ConnectedToAgentTimestamp": "2024-05-01T17:01:00Z"},
    }
    path = gzip_parquet(tmp_path / "records.parquet.gz", pa.Table.from_pylist([row]))
    with pytest.raises(InputError) as err:
        ac.read([SimpleNamespace(path=path, name="records.parquet.gz")], Profile())
    assert err.value.file == path
    assert err.value.line == 1  # the first row of the table
    assert err.value.column == "InitiationTimestamp"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_gzip_compressed_parquet_without_the_columns_says_which_are_missing(tmp_path):
    import pyarrow as pa

    table = pa.table({"ContactId": ["c-1"], "Channel": ["VOICE"]})
    path = gzip_parquet(tmp_path / "records.parquet.gz", table)
    with pytest.raises(InputError, match="missing column.*InitiationTimestamp") as err:
        ac.read([SimpleNamespace(path=path, name="records.parquet.gz")], Profile())
    assert err.value.file == path


def _leg(cid: str, minute: int, answered: bool, **links: str) -> dict:
    """A voice leg at 16:``minute`` UTC on 11 Mar (09:``minute`` PDT), ``links`` its ids."""
    at = f"2024-03-11T16:{minute:02d}:00Z"
    return {
        "ContactId": cid,
        "Channel": "VOICE",
        "InitiationMethod": "TRANSFER" if links else "INBOUND",
        "InitiationTimestamp": at,
        "LastUpdateTimestamp": at,
        "Queue": {"Name": "Main"},
        "Agent": {"ConnectedToAgentTimestamp": at} if answered else None,
        **links,
    }


def _read_legs(tmp_path: Path, legs: list[dict], count: str = "contact"):
    path = tmp_path / "legs.jsonl"
    path.write_text("".join(json.dumps(leg) + "\n" for leg in legs), encoding="utf-8")
    return ac.read(
        [SimpleNamespace(path=path, name=path.name)], Profile(phone=PhoneRules(count=count))
    )


PREVIOUS_ONLY = [
    _leg("A1", 15, answered=False),
    _leg("A2", 17, answered=True, PreviousContactId="A1"),
    _leg("A3", 19, answered=True, PreviousContactId="A2"),
]


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_a_chain_linked_only_by_previous_contact_id_is_one_call(tmp_path, order):
    # A3 names only A2, which names A1: one call (answered on a later leg), two legs folded
    # in, whatever order the legs are read in. It counted 2 with one transfer_leg.
    result = _read_legs(tmp_path, [PREVIOUS_ONLY[i] for i in order])
    assert _per_day(result) == {("2024-03-11", "Main"): 1}
    assert _ledger(result) == (3, 1, 2, 0, 0, 0, 0)


def test_count_leg_counts_every_answered_leg_of_a_previous_linked_chain(tmp_path):
    result = _read_legs(tmp_path, PREVIOUS_ONLY, count="leg")
    assert _per_day(result) == {("2024-03-11", "Main"): 2}
    assert _ledger(result) == (3, 2, 0, 0, 0, 1, 0)


def test_a_long_previous_linked_chain_is_one_call(tmp_path):
    # 40 legs, each naming the one before, read last leg first: 1 call, 39 legs folded in.
    legs = [_leg("L0", 0, answered=False)]
    legs += [_leg(f"L{i}", i, answered=True, PreviousContactId=f"L{i - 1}") for i in range(1, 40)]
    result = _read_legs(tmp_path, legs[::-1])
    assert _per_day(result) == {("2024-03-11", "Main"): 1}
    assert _ledger(result) == (40, 1, 39, 0, 0, 0, 0)


def test_initial_contact_id_names_the_chain_and_previous_follows_it(tmp_path):
    # A2 names the chain (InitialContactId A1); A3 names only A2, so it joins A1's chain too.
    legs = [
        _leg("A1", 15, answered=False),
        _leg("A2", 17, answered=True, InitialContactId="A1", PreviousContactId="A1"),
        _leg("A3", 19, answered=True, PreviousContactId="A2"),
    ]
    assert _ledger(_read_legs(tmp_path, legs)) == (3, 1, 2, 0, 0, 0, 0)


def test_a_chain_whose_first_leg_was_not_read_counts_once_on_its_earliest_leg(tmp_path):
    # A0 is not in the files: A2 and A3 are still one call, on A2 (the earlier).
    legs = [
        _leg("A3", 19, answered=True, PreviousContactId="A2"),
        _leg("A2", 17, answered=False, PreviousContactId="A0"),
    ]
    assert _ledger(_read_legs(tmp_path, legs)) == (2, 1, 1, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("links", "line"),
    [
        ({"B1": "B2", "B2": "B1"}, 2),
        ({"B1": "B2", "B2": "B3", "B3": "B1"}, 2),  # an odd loop: no leg ever names itself
        ({"B1": "B2", "B2": "B3", "B3": "B2"}, 2),  # B1 leads into the loop of B2 and B3
    ],
)
def test_previous_contact_ids_in_a_loop_are_an_error_naming_a_line(tmp_path, links, line):
    legs = [_leg("C1", 10, answered=True)]  # a good call first: the loop starts on line 2
    legs += [_leg(cid, 15, answered=True, PreviousContactId=prev) for cid, prev in links.items()]
    with pytest.raises(InputError, match="linked in a loop") as err:
        _read_legs(tmp_path, legs)
    assert (err.value.line, err.value.column) == (line, "PreviousContactId")


def test_a_leg_naming_itself_as_previous_is_its_own_call(tmp_path):
    legs = [_leg("A1", 15, answered=True, PreviousContactId="A1")]
    assert _ledger(_read_legs(tmp_path, legs)) == (1, 1, 0, 0, 0, 0, 0)
