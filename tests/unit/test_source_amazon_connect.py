"""Amazon Connect contact records: per-day answered calls, dedupe, ledger, privacy."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.profile import Profile
from contacts311.recognition import unrecognised
from contacts311.sources import amazon_connect as ac
from contacts311.sources.amazon_connect import _fields

U = "6f1c2a9e-0000-4000-8000-{:012d}"  # canonical UUIDs, distinct by their last digits
PHONE_CANARY = "+15035550199"
NAME_CANARY = "CANARY Jane Roe"

HEADER = (
    "ContactId,Channel,InitiationMethod,InitiationTimestamp,DisconnectTimestamp,Queue.Name,"
    "Queue.EnqueueTimestamp,Agent.ConnectedToAgentTimestamp,CustomerEndpoint.Address,"
    "Attributes.CallerName,LastUpdateTimestamp"
)


def _row(cid, channel, init, queue, agent, updated):
    return (
        f"{cid},{channel},INBOUND,{init},2024-12-31T00:00:00Z,{queue},{init},{agent},"
        f"{PHONE_CANARY},{NAME_CANARY},{updated}"
    )


# Local dates below are America/Los_Angeles: PST (UTC-8) until 2024-03-10 10:00Z, PDT (UTC-7)
# until 2024-11-03 09:00Z, then PST again.
FILE_A = [
    # 07:30Z on 10 Mar = 23:30 PST on 9 Mar
    _row(
        U.format(1),
        "VOICE",
        "2024-03-10T07:30:00Z",
        "General",
        "2024-03-10T07:31:00Z",
        "2024-03-10T07:40:00Z",
    ),
    # 08:30Z on 10 Mar = 00:30 PST on 10 Mar
    _row(
        U.format(2),
        "VOICE",
        "2024-03-10T08:30:00Z",
        "General",
        "2024-03-10T08:31:00Z",
        "2024-03-10T08:40:00Z",
    ),
    # 06:30Z on 11 Mar = 23:30 PDT on 10 Mar (DST has started)
    _row(
        U.format(3),
        "VOICE",
        "2024-03-11T06:30:00Z",
        "Parking",
        "2024-03-11T06:31:00Z",
        "2024-03-11T06:40:00Z",
    ),
    # 07:30Z on 11 Mar = 00:30 PDT on 11 Mar
    _row(
        U.format(4),
        "VOICE",
        "2024-03-11T07:30:00Z",
        "General",
        "2024-03-11T07:31:00Z",
        "2024-03-11T07:40:00Z",
    ),
    _row(
        U.format(5),
        "CHAT",
        "2024-03-11T17:00:00Z",
        "General",
        "2024-03-11T17:01:00Z",
        "2024-03-11T17:10:00Z",
    ),
    _row(U.format(6), "VOICE", "2024-03-11T17:00:00Z", "General", "", "2024-03-11T17:10:00Z"),
    # First delivery of contact 7, written while it was still queued.
    _row(U.format(7), "VOICE", "2024-03-11T18:00:00Z", "General", "", "2024-03-11T18:10:00Z"),
]
FILE_B = [
    # Newer delivery of contact 7: now answered; it wins over file A's copy.
    _row(
        U.format(7),
        "VOICE",
        "2024-03-11T18:00:00Z",
        "General",
        "2024-03-11T18:05:00Z",
        "2024-03-11T18:20:00Z",
    ),
    # An OLDER delivery of contact 1, read after the newer one: still the duplicate.
    _row(U.format(1), "VOICE", "2024-03-10T07:30:00Z", "General", "", "2024-03-10T07:35:00Z"),
    # A non-UUID id; 08:30Z on 3 Nov = 01:30 PDT on 3 Nov
    _row(
        "call-0008",
        "VOICE",
        "2024-11-03T08:30:00Z",
        "General",
        "2024-11-03T08:31:00Z",
        "2024-11-03T08:40:00Z",
    ),
    # 07:30Z on 4 Nov = 23:30 PST on 3 Nov (DST has ended)
    _row(
        U.format(9).upper(),
        "VOICE",
        "2024-11-04T07:30:00Z",
        "General",
        "2024-11-04T07:31:00Z",
        "2024-11-04T07:40:00Z",
    ),
    # Contact 2 delivered again, identical: the first copy read (file A) wins the tie.
    _row(
        U.format(2),
        "VOICE",
        "2024-03-10T08:30:00Z",
        "General",
        "2024-03-10T08:31:00Z",
        "2024-03-10T08:40:00Z",
    ),
]

# (source_file, local date, queue) -> answered calls, worked out from the comments above.
EXPECTED = {
    ("a.csv", "2024-03-09", "General"): 1,
    ("a.csv", "2024-03-10", "General"): 1,
    ("a.csv", "2024-03-10", "Parking"): 1,
    ("a.csv", "2024-03-11", "General"): 1,
    ("b.csv", "2024-03-11", "General"): 1,
    ("b.csv", "2024-11-03", "General"): 2,
}
# source_file -> (rows read, counted, not_voice, not_answered, duplicate)
EXPECTED_LEDGER = {"a.csv": (7, 4, 1, 1, 1), "b.csv": (5, 3, 0, 0, 2)}


def _write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _files(*paths: Path):
    return [SimpleNamespace(path=p, name=p.name) for p in paths]


def _per_key(result) -> dict:
    c = result.contacts
    return {
        (f, d.strftime("%Y-%m-%d"), q if isinstance(q, str) else None): int(n)
        for f, d, q, n in zip(
            c["source_file"], c["contact_date"], c["queue"], c["count"], strict=True
        )
    }


def _many(
    n: int, start: int = 100, queue: str = "General", agent: str = "2024-05-01T17:01:00Z"
) -> list[str]:
    """``n`` voice calls with distinct ids from ``start`` (answered unless ``agent`` is "")."""
    return [
        _row(
            U.format(start + i),
            "VOICE",
            "2024-05-01T17:00:00Z",
            queue,
            agent,
            "2024-05-01T17:10:00Z",
        )
        for i in range(n)
    ]


def _ledger(result) -> dict:
    frame = result.ledger.frame()
    out = {}
    for name, rows in result.ledger.rows_read.items():
        part = frame[frame["source_file"] == name]

        def pick(bucket, reason=None, part=part):
            sel = part[part["bucket"] == bucket]
            if reason is not None:
                sel = sel[sel["reason"] == reason]
            return int(sel["rows"].sum())

        out[name] = (
            rows,
            pick("counted"),
            pick("excluded", "not_voice"),
            pick("excluded", "not_answered"),
            pick("duplicate"),
        )
    return out


def _threads(monkeypatch, n: int) -> None:
    """Run the engine on ``n`` threads (DuckDB splits a big file between them)."""
    monkeypatch.setattr(ac, "_THREADS", n)


@pytest.fixture(params=["one_thread", "threads", "small_memory"])
def batching(request, monkeypatch):
    # Deduplication must not depend on how the engine splits the work or spills it to disk.
    _threads(monkeypatch, 1 if request.param == "one_thread" else 4)
    if request.param == "small_memory":
        monkeypatch.setattr(ac, "_MEMORY_LIMIT", "32MB")
    return request.param


def test_csv_counts_per_local_day_with_dedupe_across_files(tmp_path, batching):
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    result = ac.read(_files(a, b), Profile())
    assert _per_key(result) == EXPECTED
    assert _ledger(result) == EXPECTED_LEDGER
    assert result.ledger.unbalanced() == []
    c = result.contacts
    assert set(c["channel"]) == {"phone"}
    assert set(c["source"]) == {"amazon_connect"}
    assert c["contact_id"].isna().all()


def test_ledger_contacts_equal_counted_calls(tmp_path):
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    frame = ac.read(_files(a, b), Profile()).ledger.frame()
    counted = frame[frame["bucket"] == "counted"].set_index("source_file")["contacts"]
    assert counted.to_dict() == {"a.csv": 4, "b.csv": 3}


def test_file_order_does_not_change_which_copy_wins_on_timestamps(tmp_path):
    # Reading B first: contact 7's newer copy is still B's and contact 1's is still A's.
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    result = ac.read(_files(b, a), Profile())
    ledger = _ledger(result)
    # The tie on contact 2 now goes to B (read first), so A has one counted call fewer.
    assert ledger["a.csv"] == (7, 3, 1, 1, 2)
    assert ledger["b.csv"] == (5, 4, 0, 0, 1)
    assert sum(_per_key(result).values()) == 7


def test_pii_never_leaves_the_loader(tmp_path):
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    result = ac.read(_files(a, b), Profile())
    texts = [
        result.contacts.to_csv(),
        result.ledger.frame().to_csv(),
        *(t.to_csv() for t in result.tables.values()),
        " ".join(result.notes),
    ]
    for text in texts:
        assert "5550199" not in text
        assert "CANARY" not in text
        assert "6f1c2a9e" not in text  # contact ids are only used for deduplication
        assert "call-0008" not in text


def test_jsonl_nested_records(tmp_path):
    def rec(cid, channel, init, queue, agent, updated):
        out = {
            "ContactId": cid,
            "Channel": channel,
            "InitiationMethod": "INBOUND",
            "InitiationTimestamp": init,
            "Queue": {"Name": queue, "EnqueueTimestamp": init} if queue else None,
            "Agent": {"ConnectedToAgentTimestamp": agent, "Username": "agent7"} if agent else None,
            "CustomerEndpoint": {"Address": PHONE_CANARY, "Type": "TELEPHONE_NUMBER"},
            "Attributes": {"callerName": NAME_CANARY},
            "LastUpdateTimestamp": updated,
        }
        return json.dumps(out)

    lines = [
        # 02:00Z on 1 Jul 2024 = 19:00 PDT on 30 Jun: fiscal year 2023-24, not 2024-25
        rec(
            U.format(1),
            "VOICE",
            "2024-07-01T02:00:00Z",
            "General",
            "2024-07-01T02:01:00Z",
            "2024-07-01T02:10:00Z",
        ),
        rec(
            U.format(2),
            "VOICE",
            "2024-07-01T08:00:00Z",
            None,
            "2024-07-01T08:01:00Z",
            "2024-07-01T08:10:00Z",
        ),
        rec(
            U.format(3),
            "TASK",
            "2024-07-01T08:00:00Z",
            "General",
            "2024-07-01T08:01:00Z",
            "2024-07-01T08:10:00Z",
        ),
        rec(U.format(4), "VOICE", "2024-07-01T08:00:00Z", "General", None, "2024-07-01T08:10:00Z"),
        rec(
            U.format(1),
            "VOICE",
            "2024-07-01T02:00:00Z",
            "General",
            None,
            "2024-07-01T02:05:00.500Z",
        ),
    ]
    path = tmp_path / "ctr.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ac.read(_files(path), Profile())
    # Contact 1 on 30 Jun (General); contact 2 at 01:00 PDT on 1 Jul with no queue.
    assert _per_key(result) == {
        ("ctr.jsonl", "2024-06-30", "General"): 1,
        ("ctr.jsonl", "2024-07-01", None): 1,
    }
    assert _ledger(result) == {"ctr.jsonl": (5, 2, 1, 1, 1)}
    assert "5550199" not in result.contacts.to_csv() + result.tables["intervals"].to_csv()


def test_intervals_table_offered_answered_abandoned(tmp_path):
    a = _write(tmp_path / "a.csv", FILE_A)
    intervals = ac.read(_files(a), Profile()).tables["intervals"]
    # Voice calls with a queue on 11 Mar 2024 local: contact 4 at 00:30 (answered), contact 6
    # at 10:00 (not answered) and contact 7 at 11:00 (not answered in this file).
    day = intervals[intervals["contact_date"] == pd.Timestamp("2024-03-11")]
    got = {
        int(r.interval_start): (int(r.calls_offered), int(r.acd_calls), int(r.abandoned_calls))
        for r in day.itertuples()
    }
    assert got == {30: (1, 1, 0), 600: (1, 0, 1), 660: (1, 0, 1)}
    assert set(intervals["interval_minutes"]) == {30}
    assert list(intervals.columns) == list(ac.INTERVAL_COLUMNS)


def test_gzip_bom_crlf_and_case_insensitive_header(tmp_path):
    header = HEADER.replace("ContactId", " contactid ").replace("Queue.Name", "QUEUE.NAME")
    text = "\ufeff" + "\r\n".join([header, *FILE_A]) + "\r\n"
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    result = ac.read(_files(path), Profile())
    assert sum(_per_key(result).values()) == 4
    # Alone, file A's copy of contact 7 is the only one: not answered, no duplicate.
    assert _ledger(result)["a.csv.gz"] == (7, 4, 1, 2, 0)


def test_timestamps_without_zone_are_utc(tmp_path):
    lines = [line.replace("Z,", ",").replace("Z", "") for line in FILE_A]
    lines = [line.replace("T", " ") for line in lines]
    a = _write(tmp_path / "a.csv", lines)
    result = ac.read(_files(a), Profile())
    assert _per_key(result) == {k: v for k, v in EXPECTED.items() if k[0] == "a.csv"}


ONE_RECORD_CSV = (
    "ContactId,Channel,InitiationTimestamp,LastUpdateTimestamp,Agent.ConnectedToAgentTimestamp\n"
    "c1,VOICE,2024-03-11 16:15:02.000,2024-03-11 16:20:02.000,2024-03-11 16:16:02.000"
)
ONE_RECORD_JSONL = json.dumps(
    {
        "ContactId": "c1",
        "Channel": "VOICE",
        "InitiationTimestamp": "2024-03-11T16:15:02",
        "LastUpdateTimestamp": "2024-03-11T16:20:02",
        "Agent": {"ConnectedToAgentTimestamp": "2024-03-11T16:16:02"},
    }
)


@pytest.mark.parametrize(
    "name, text",
    [
        ("a.csv", ONE_RECORD_CSV + "\n"),
        ("a.csv", ONE_RECORD_CSV),  # no line end after the only record
        ("a.jsonl", ONE_RECORD_JSONL + "\n"),
        ("a.jsonl", ONE_RECORD_JSONL),
    ],
)
def test_a_file_of_one_record_without_zones_is_utc(tmp_path, name, text):
    # 16:15:02 UTC on 11 Mar is 09:15 PDT on 11 Mar: one answered call, as with two records.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = ac.read(_files(path), Profile())
    assert _per_key(result) == {(name, "2024-03-11", None): 1}
    assert _ledger(result) == {name: (1, 1, 0, 0, 0)}


def test_a_sample_without_timestamps_is_not_zoned():
    assert not _fields.zoned([])
    assert not _fields.zoned([None, " "])
    assert _fields.zoned(["2024-03-11T16:15:02Z", None])
    assert not _fields.zoned(["2024-03-11T16:15:02Z", "2024-03-11 16:15:02"])


def _bad_timestamp_file(tmp_path: Path) -> Path:
    """FILE_A with ``soon`` as the third record's LastUpdateTimestamp (line 4)."""
    lines = list(FILE_A)
    lines[2] = lines[2].rsplit(",", 1)[0] + ",soon"
    return _write(tmp_path / "a.csv", lines)


def test_bad_timestamp_names_line_and_column(tmp_path):
    a = _bad_timestamp_file(tmp_path)
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 4  # header is line 1, the third record line 4
    assert err.value.column == "LastUpdateTimestamp"
    assert "soon" in err.value.message


def test_bad_timestamp_far_down_the_file_names_its_line(tmp_path):
    # Beyond the first 16 KiB the fast reader meets it; the error still names the line.
    good = _many(400, agent="")
    bad = _row(U.format(9999), "VOICE", "2024-05-01 25:99", "General", "", "2024-05-01T17:10:00Z")
    a = _write(tmp_path / "a.csv", [*good, bad])
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 402  # header on line 1, 400 good rows, then the bad one
    assert err.value.column == "InitiationTimestamp"


def test_missing_required_column(tmp_path):
    header = HEADER.replace(",LastUpdateTimestamp", "")
    lines = [line.rsplit(",", 1)[0] for line in FILE_A]
    a = _write(tmp_path / "a.csv", lines, header=header)
    with pytest.raises(InputError, match="LastUpdateTimestamp"):
        ac.read(_files(a), Profile())


def test_empty_contact_id_is_an_error(tmp_path):
    lines = [FILE_A[0], FILE_A[1].replace(U.format(2), "")]
    a = _write(tmp_path / "a.csv", lines)
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 3


def _blank_id_records(blank: str) -> list[dict]:
    """A good record, then two whose ContactId is ``blank``: once merged as one duplicate."""
    return [
        {
            "ContactId": cid,
            "Channel": "VOICE",
            "InitiationTimestamp": "2024-03-11T16:15:02Z",
            "LastUpdateTimestamp": "2024-03-11T16:20:02Z",
            "Agent": {"ConnectedToAgentTimestamp": "2024-03-11T16:16:02Z"},
        }
        for cid in ("c1", blank, blank)
    ]


def _blank_id_file(tmp_path: Path, shape: str, blank: str) -> Path:
    records = _blank_id_records(blank)
    if shape == "csv":
        header = "ContactId,Channel,InitiationTimestamp,LastUpdateTimestamp,"
        header += "Agent.ConnectedToAgentTimestamp"
        rows = [
            f'"{r["ContactId"]}",VOICE,{r["InitiationTimestamp"]},{r["LastUpdateTimestamp"]},'
            f"{r['Agent']['ConnectedToAgentTimestamp']}"
            for r in records
        ]
        return _write(tmp_path / "a.csv", rows, header=header)
    if shape == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "a.parquet"
        pq.write_table(pa.Table.from_pylist(records), path)
        return path
    path = tmp_path / f"a.{shape}"
    lines = [json.dumps(r) for r in records]
    text = "\n".join(lines) if shape == "jsonl" else "[\n" + ",\n".join(lines) + "\n]"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("shape", "blank", "line"),
    [
        ("csv", " ", 3),  # the header is line 1
        ("csv", "", 3),
        ("jsonl", "", 2),
        ("jsonl", "  ", 2),
        ("json", "", 3),  # the array's "[" is line 1
        ("parquet", "", 2),  # a table's row
    ],
)
def test_a_blank_contact_id_is_an_error_in_every_shape(tmp_path, shape, blank, line):
    # Two records with a blank id were merged into one contact (3 read: counted 2,
    # duplicate 1); a blank id is no id.
    path = _blank_id_file(tmp_path, shape, blank)
    with pytest.raises(InputError, match="expected a ContactId on every record") as err:
        ac.read(_files(path), Profile())
    assert err.value.line == line


def test_a_contact_id_is_read_without_surrounding_spaces(tmp_path):
    # " c1 " and "c1" are one contact: 2 read, counted 1, duplicate 1.
    records = _blank_id_records("c2")[:2]
    records[1]["ContactId"] = " c1 "
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert _ledger(ac.read(_files(path), Profile())) == {"a.jsonl": (2, 1, 0, 0, 1)}


def test_sniff():
    assert ac.sniff(HEADER + "\n" + FILE_A[0])
    assert ac.sniff(
        '{"ContactId": "x", "Channel": "VOICE", "InitiationTimestamp": "2024-01-01T00:00:00Z"}\n'
    )
    assert not ac.sniff("ID,Requester,Subject,Status,Created at,Updated at\n1,a,b,Open,x,y\n")
    assert not ac.sniff("row_date,split,acdcalls,abncalls\n2024-01-01,1,2,3\n")
    assert not ac.sniff('{"id": 1, "created_at": "2024-01-01T00:00:00Z"}\n')
    assert not ac.sniff("")
    assert sources.sniff(HEADER + "\n") == "amazon_connect"
    line = json.dumps(
        {"ContactId": "x", "InitiationTimestamp": "2024-01-01T00:00:00Z", "Queue": {}}
    )
    assert sources.sniff(line + "\n") == "amazon_connect"


def test_ids_that_share_a_prefix_are_different_contacts(tmp_path):
    # Same first half, different second half: two contacts, both survive.
    same_half = [U.format(10**11 + 5), U.format(10**11 + 6)]
    lines = [
        _row(cid, "VOICE", "2024-05-01T17:00:00Z", "General", "2024-05-01T17:01:00Z", upd)
        for cid, upd in zip(
            same_half, ["2024-05-01T17:10:00Z", "2024-05-01T17:30:00Z"], strict=True
        )
    ]
    a = _write(tmp_path / "a.csv", lines)
    assert _ledger(ac.read(_files(a), Profile())) == {"a.csv": (2, 2, 0, 0, 0)}


def test_a_tie_goes_to_the_file_read_first_whatever_the_order_in_it(tmp_path):
    # Same id, same LastUpdateTimestamp: the copy in the file read first wins even when it
    # sits at the end of its file; within one file, the first copy wins.
    tie = _many(1, start=9, queue="Second")
    b = _write(tmp_path / "b.csv", [*tie, *_many(1, start=4, queue="Early"), *_many(1, start=4)])
    a = _write(tmp_path / "a.csv", [*_many(3, start=20), *_many(1, start=9, queue="First")])
    result = ac.read(_files(a, b), Profile())
    queues = {q for (_, _, q) in _per_key(result)}
    assert "First" in queues and "Second" not in queues
    assert "Early" in queues
    assert _ledger(result) == {"a.csv": (4, 4, 0, 0, 0), "b.csv": (3, 1, 0, 0, 2)}


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_result_does_not_depend_on_the_number_of_threads(tmp_path, monkeypatch, threads):
    _threads(monkeypatch, threads)
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    result = ac.read(_files(a, b), Profile())
    assert _per_key(result) == EXPECTED
    assert _ledger(result) == EXPECTED_LEDGER


def test_counts_per_file_queue_and_class_add_up_over_many_files(tmp_path):
    # Three files; contacts 100-102 read in the first two (the later copy wins, in b), so
    # a holds their three duplicates; c has one unanswered call and a chat.
    a = _write(tmp_path / "a.csv", [*_many(3, queue="One"), *_many(2, start=200, queue="Two")])
    later = [line.replace("17:10:00Z", "17:20:00Z") for line in _many(3, queue="Three")]
    b = _write(tmp_path / "b.csv", later)
    chat = _row(U.format(300), "CHAT", "2024-05-01T17:00:00Z", "One", "", "2024-05-01T17:10:00Z")
    c = _write(tmp_path / "c.csv", [*_many(1, start=301, agent=""), chat])
    result = ac.read(_files(a, b, c), Profile())
    assert _per_key(result) == {
        ("a.csv", "2024-05-01", "Two"): 2,
        ("b.csv", "2024-05-01", "Three"): 3,
    }
    assert _ledger(result) == {
        "a.csv": (5, 2, 0, 0, 3),
        "b.csv": (3, 3, 0, 0, 0),
        "c.csv": (2, 0, 1, 1, 0),
    }
    assert result.ledger.unbalanced() == []


def test_a_file_with_only_a_header_is_read_as_empty(tmp_path):
    a = _write(tmp_path / "a.csv", [])
    result = ac.read(_files(a), Profile())
    assert result.contacts.empty and result.tables["intervals"].empty
    assert list(result.contacts.columns) == [
        "contact_date",
        "channel",
        "count",
        "source",
        "source_file",
        "contact_id",
        "queue",
        "ledger_rows",
    ]
    frame = result.ledger.frame()
    assert frame["reason"].tolist() == ["no_data_rows"]


@pytest.mark.parametrize("name", ["a.csv", "a.json", "a.jsonl"])
def test_an_empty_file_named_by_a_profile_is_named_empty(tmp_path, name):
    # A profile's sources entry skips recognition: a 0-byte file said "missing column(s)
    # ContactId, ...", not the empty-file message it gets when found in a folder.
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert err.value.message == unrecognised(path, "").message
    assert err.value.line == 1


@pytest.mark.parametrize("text", [b"  \n", b"\r\n\r\n", b"\xef\xbb\xbf\n"])
def test_a_file_of_white_space_is_named_empty(tmp_path, text):
    path = tmp_path / "a.json"
    path.write_bytes(text)
    with pytest.raises(InputError, match="empty file .nothing but white space.*re-export it"):
        ac.read(_files(path), Profile())


def test_an_empty_gzip_file_is_named_empty(tmp_path):
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(InputError, match="empty file"):
        ac.read(_files(path), Profile())


def test_intervals_sum_calls_per_day_half_hour_and_queue(tmp_path):
    # 17:00Z and 17:20Z on 1 May are 10:00 PDT (one half hour); 17:40Z is 10:30.
    def call(n, init, agent, queue="General"):
        return _row(U.format(n), "VOICE", init, queue, agent, "2024-05-01T18:00:00Z")

    a = _write(
        tmp_path / "a.csv",
        [
            call(1, "2024-05-01T17:00:00Z", "2024-05-01T17:01:00Z"),
            call(2, "2024-05-01T17:20:00Z", ""),
            call(3, "2024-05-01T17:40:00Z", "2024-05-01T17:41:00Z"),
            call(4, "2024-05-01T17:05:00Z", "2024-05-01T17:06:00Z", queue="Parking"),
            call(5, "2024-05-01T17:05:00Z", "2024-05-01T17:06:00Z", queue=""),  # no queue
        ],
    )
    intervals = ac.read(_files(a), Profile()).tables["intervals"]
    got = [
        (int(r.interval_start), r.queue, int(r.calls_offered), int(r.acd_calls))
        for r in intervals.itertuples()
    ]
    assert got == [(600, "General", 2, 1), (600, "Parking", 1, 1), (630, "General", 1, 1)]
    assert intervals.dtypes.astype(str).to_dict() == {
        k: str(v) for k, v in ac.INTERVAL_COLUMNS.items()
    }


def test_a_small_memory_limit_spills_to_disk_with_the_same_result(tmp_path, monkeypatch):
    lines = [*_many(3000), *_many(500, start=1000, agent="")]  # 500 newer unanswered copies
    lines += [line.replace("17:10:00Z", "17:30:00Z") for line in _many(500, start=1000)]
    a = _write(tmp_path / "a.csv", lines)
    whole = ac.read(_files(a), Profile())
    monkeypatch.setattr(ac, "_MEMORY_LIMIT", "32MB")
    _threads(monkeypatch, 2)
    spilled = ac.read(_files(a), Profile())
    assert _per_key(spilled) == _per_key(whole) == {("a.csv", "2024-05-01", "General"): 3000}
    assert _ledger(spilled) == _ledger(whole) == {"a.csv": (4000, 3000, 0, 0, 1000)}


def test_pipeline_load_with_profile(tmp_path):
    from contacts311.pipeline import load

    _write(tmp_path / "a.csv", FILE_A)
    _write(tmp_path / "b.csv", FILE_B)
    profile = tmp_path / "profile.yml"
    profile.write_text(
        "sources:\n  - format: amazon_connect\n    path: '*.csv'\n", encoding="utf-8"
    )
    data = load(None, profile)
    # Answered VOICE survivors: contacts 1-4 in a.csv, 7, call-0008 and 9 in b.csv.
    assert int(data.contacts["count"].sum()) == 7
    assert set(data.ledger["format"]) == {"amazon_connect"}
    assert int(data.inputs["rows_read"].sum()) == 12  # 7 rows in a.csv + 5 in b.csv


def test_uuid_ids_are_case_insensitive_and_other_ids_distinct(tmp_path):
    lower = "6f1c2a9e-0000-4000-8000-00000000abcd"

    def call(cid, updated):
        init, agent = "2024-05-01T17:00:00Z", "2024-05-01T17:01:00Z"
        return _row(cid, "VOICE", init, "General", agent, updated)

    a = _write(
        tmp_path / "a.csv",
        [
            call(lower, "2024-05-01T17:10:00Z"),
            call(lower.upper(), "2024-05-01T17:20:00Z"),  # the same contact, delivered again
            call("call-0008", "2024-05-01T17:10:00Z"),
            call("CALL-0008", "2024-05-01T17:10:00Z"),  # not a UUID: a different contact
        ],
    )
    assert _ledger(ac.read(_files(a), Profile())) == {"a.csv": (4, 3, 0, 0, 1)}


def test_no_voice_calls_gives_no_rows_but_a_full_ledger(tmp_path):
    lines = [line.replace(",VOICE,", ",CHAT,") for line in FILE_A]
    a = _write(tmp_path / "a.csv", lines)
    result = ac.read(_files(a), Profile())
    assert result.contacts.empty
    assert result.tables["intervals"].empty
    assert _ledger(result) == {"a.csv": (7, 0, 7, 0, 0)}


def test_zone_missing_only_far_down_the_file_names_its_line(tmp_path):
    good = _many(400, agent="")
    late = _row(
        U.format(9999), "VOICE", "2024-05-01T17:00:00Z", "General", "", "2024-05-01 17:10:00"
    )
    a = _write(tmp_path / "a.csv", [*good, late])
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 402  # header on line 1, 400 good rows, then the bad one
    assert err.value.column == "LastUpdateTimestamp"


def test_bare_cr_line_ends_and_gzip(tmp_path):
    a = _write(tmp_path / "a.csv", _many(50))
    z = tmp_path / "z.csv"
    z.write_bytes(gzip.compress(a.read_bytes()))
    cr = tmp_path / "cr.csv"
    cr.write_bytes(a.read_bytes().replace(b"\n", b"\r"))
    for path in (z, cr):
        assert sum(_per_key(ac.read(_files(path), Profile())).values()) == 50


def test_parallel_read_equals_one_thread_and_first_copy_in_the_file_wins_ties(
    tmp_path, monkeypatch
):
    # Contact 7 appears near the top (queue First) and near the end (queue Last) with the same
    # LastUpdateTimestamp: the copy read first wins however the threads split the file.
    first = _many(1, start=7, queue="First")
    last = _many(1, start=7, queue="Last")
    a = _write(tmp_path / "a.csv", [*first, *_many(30000), *last])
    _threads(monkeypatch, 1)
    whole = ac.read(_files(a), Profile())
    _threads(monkeypatch, 4)
    split = ac.read(_files(a), Profile())
    assert _per_key(split) == _per_key(whole)
    assert _ledger(split) == _ledger(whole) == {"a.csv": (30002, 30001, 0, 0, 1)}
    queues = set(split.contacts["queue"])
    assert "First" in queues and "Last" not in queues


def test_parallel_read_error_far_down_names_the_line_in_the_file(tmp_path, monkeypatch):
    bad = _row(U.format(9999), "VOICE", "2024-05-01 25:99", "General", "", "2024-05-01T17:10:00Z")
    empty_id = _many(1, start=5)[0].replace(U.format(5), "")
    _threads(monkeypatch, 3)
    a = _write(tmp_path / "a.csv", [*_many(20000), bad, *_many(20, start=90000)])
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert (err.value.line, err.value.column) == (20002, "InitiationTimestamp")
    b = _write(tmp_path / "b.csv", [*_many(400), empty_id, *_many(20, start=900)])
    with pytest.raises(InputError) as err:
        ac.read(_files(b), Profile())
    assert err.value.line == 402 and "ContactId" in err.value.message


def test_the_first_bad_record_is_named_when_several_files_have_some(tmp_path):
    a = _write(tmp_path / "a.csv", _many(10))
    (tmp_path / "b").mkdir()
    b = _bad_timestamp_file(tmp_path / "b")
    c = _write(tmp_path / "c.csv", [_many(1)[0].replace("2024-05-01T17:10:00Z", "later")])
    with pytest.raises(InputError) as err:
        ac.read(_files(a, b, c), Profile())
    assert (err.value.file, err.value.line) == (b, 4)


def test_a_ragged_csv_row_names_its_line(tmp_path):
    a = _write(tmp_path / "a.csv", [*_many(5), "x,y,z"])
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 7
    assert "Amazon Connect" in err.value.message and PHONE_CANARY not in err.value.message


SHORT_HEADER = (
    "ContactId,Channel,InitiationTimestamp,LastUpdateTimestamp,Agent.ConnectedToAgentTimestamp,"
    "Attributes"
)


def _short(cid: str, init: str = "2024-03-11T16:15:02Z", attributes: str = "") -> str:
    return f"{cid},VOICE,{init},2024-03-11T16:20:02Z,2024-03-11T16:16:02Z,{attributes}"


@pytest.mark.parametrize(
    ("lines", "end"),
    [
        # the header, A1 over lines 2-4 (a quoted cell of three lines), A2, then A3 on line 6
        ([_short("A1", attributes='"one\ntwo\nthree"'), _short("A2")], "\n"),
        ([_short("A1", attributes='"one\r\ntwo\r\nthree"'), _short("A2")], "\r\n"),
        # the header, A1, two blank lines, A2, then A3 on line 6
        ([_short("A1"), "", "", _short("A2")], "\n"),
    ],
)
def test_a_bad_record_is_named_by_its_line_after_multi_line_cells_and_blank_lines(
    tmp_path, lines, end
):
    # The record's number plus one (line 4) was given, not the line it is on.
    path = tmp_path / "a.csv"
    text = end.join([SHORT_HEADER, *lines, _short("A3", init="garbage")]) + end
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert (err.value.line, err.value.column) == (6, "InitiationTimestamp")
    assert "garbage" in err.value.message


def test_a_ragged_csv_row_after_a_multi_line_cell_names_its_line(tmp_path):
    # Lines: the header, A1 over 2-4, a blank line, A2, then the short row on line 7 (the
    # engine says line 5: it counts a record as one line).
    lines = [_short("A1", attributes='"one\ntwo\nthree"'), "", _short("A2"), "A3,VOICE"]
    a = _write(tmp_path / "a.csv", lines, header=SHORT_HEADER)
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert err.value.line == 7
    assert "Line: 5" not in err.value.message


def _array_record(cid: str) -> str:
    return json.dumps(_blank_id_records(cid)[1])


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # DuckDB said only "Malformed JSON ... at byte 1 in record/value 4", naming no line.
        ("[" + _array_record("a") + ", " + _array_record("b") + ",]", 1, "a comma after the last"),
        (
            "[\n" + _array_record("a") + ",\n" + _array_record("b") + ",\n]\n",
            3,
            "a comma after the last",
        ),
        ("[\n" + _array_record("a") + ",\n,\n" + _array_record("b") + "\n]\n", 3, "not JSON"),
        ("[\n,\n" + _array_record("a") + "\n]\n", 2, "not JSON"),
        ("[\n" + _array_record("a") + "\n" + _array_record("b") + "\n]\n", 3, "not JSON"),
    ],
)
def test_a_json_array_with_a_stray_comma_names_its_line(tmp_path, text, line, words):
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert err.value.line == line
    assert words in err.value.message and "Malformed" not in err.value.message


def _counting_reads(monkeypatch) -> list:
    """The file names of every count run from now on."""
    reads = []
    real = ac._tally

    def counted(con, scans, *rules):
        reads.append([s.path.name for s in scans])
        return real(con, scans, *rules)

    monkeypatch.setattr(ac, "_tally", counted)
    return reads


def test_reading_twice_gives_the_same_and_leaves_no_spill_folder(tmp_path, monkeypatch, batching):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    files = _files(_write(tmp_path / "a.csv", FILE_A), _write(tmp_path / "b.csv", FILE_B))
    reads = _counting_reads(monkeypatch)
    results = [ac.read(files, Profile()) for _ in range(2)]
    assert reads == [["a.csv", "b.csv"]] * 2
    for result in results:
        assert _per_key(result) == EXPECTED
        assert _ledger(result) == EXPECTED_LEDGER
        assert result.columns["a.csv"][0] == "ContactId"
    assert list((tmp_path / "tmp").iterdir()) == []  # the engine's spill folder is gone


def test_a_file_changed_between_reads_is_read_afresh(tmp_path):
    a = _write(tmp_path / "a.csv", FILE_A)
    assert int(ac.read(_files(a), Profile()).contacts["count"].sum()) == 4
    _write(a, FILE_A + _many(3))
    assert int(ac.read(_files(a), Profile()).contacts["count"].sum()) == 4 + 3


def test_a_bad_file_raises_in_the_same_words_every_time(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    a = _bad_timestamp_file(tmp_path)
    with pytest.raises(InputError) as first:
        ac.read(_files(a), Profile())
    with pytest.raises(InputError) as again:
        ac.read(_files(a), Profile())
    assert str(again.value) == str(first.value)
    assert again.value.line == 4
    assert list((tmp_path / "tmp").iterdir()) == []  # removed when the read fails too


def test_the_command_counts_connect_records(tmp_path, fresh_python):
    _write(tmp_path / "a.csv", FILE_A)
    _write(tmp_path / "b.csv", FILE_B)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: amazon_connect\n    path: '*.csv'\n")
    code = (
        "import sys\n"
        "from contacts311.cli import main\n"
        f"sys.exit(main(['totals', {str(tmp_path)!r}, '--profile', {str(profile)!r},"
        " '--format', 'csv']))\n"
    )
    out = fresh_python(code, CONTACTS311_CACHE_DIR="off")
    assert out.returncode == 0, out.stderr
    rows = [line.split(",") for line in out.stdout.splitlines()[1:]]
    assert sum(int(r[4]) for r in rows) == 7  # the seven answered survivors, as read() gives


def test_a_load_that_fails_on_another_source_names_its_file(tmp_path, monkeypatch, capsys):
    from contacts311.cli import main

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    _write(tmp_path / "a.csv", FILE_A)
    (tmp_path / "calls.txt").write_text("row_date,split,acdcalls,abncalls\nnot a date,1,2,3\n")
    profile = tmp_path / "p.yml"
    profile.write_text(
        "sources:\n  - format: avaya_cms\n    path: calls.txt\n"
        "  - format: amazon_connect\n    path: a.csv\n"
    )
    assert main(["totals", str(tmp_path), "--profile", str(profile)]) == 2
    assert "calls.txt" in capsys.readouterr().err


def test_with_the_cache_on_a_second_run_reads_nothing(tmp_path, monkeypatch, capsys):
    from contacts311.cli import main

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "a.csv", FILE_A)
    _write(data / "b.csv", FILE_B)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: amazon_connect\n    path: '*.csv'\n")
    reads = _counting_reads(monkeypatch)
    outputs = []
    for _ in range(2):
        assert main(["totals", str(data), "--profile", str(profile), "--format", "csv"]) == 0
        outputs.append(capsys.readouterr().out)
    assert len(reads) == 1  # the second run found them cached
    assert outputs[0] == outputs[1]


def _jsonl(n: int, start: int = 100, queue: str = "General", init: str = "2024-05-01T17:00:00Z"):
    """``n`` answered voice calls as JSON lines, ids from ``start`` (like ``_many``)."""
    return [
        json.dumps(
            {
                "ContactId": U.format(start + i),
                "Channel": "VOICE",
                "InitiationTimestamp": init,
                "Queue": {"Name": queue},
                "Agent": {"ConnectedToAgentTimestamp": "2024-05-01T17:01:00Z"},
                "LastUpdateTimestamp": "2024-05-01T17:10:00Z",
            }
        )
        for i in range(n)
    ]


def test_jsonl_read_on_threads_like_one_thread(tmp_path, monkeypatch):
    # JSON lines have no header. Contact 7's first copy (queue First) wins the tie however
    # the threads split the file.
    path = tmp_path / "ctr.jsonl"
    lines = [*_jsonl(1, start=7, queue="First"), *_jsonl(300), *_jsonl(1, start=7, queue="Last")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _threads(monkeypatch, 1)
    whole = ac.read(_files(path), Profile())
    _threads(monkeypatch, 4)
    split = ac.read(_files(path), Profile())
    assert (
        _per_key(split)
        == _per_key(whole)
        == {
            ("ctr.jsonl", "2024-05-01", "General"): 300,
            ("ctr.jsonl", "2024-05-01", "First"): 1,
        }
    )
    assert _ledger(split) == _ledger(whole) == {"ctr.jsonl": (302, 301, 0, 0, 1)}


def test_jsonl_bad_record_far_down_reads_the_same_on_threads(tmp_path, monkeypatch):
    path = tmp_path / "ctr.jsonl"
    bad = _jsonl(1, start=9999, init="2024-05-01 25:99")
    path.write_text("\n".join([*_jsonl(200), *bad, *_jsonl(20, start=900)]) + "\n")
    _threads(monkeypatch, 1)
    with pytest.raises(InputError) as whole:
        ac.read(_files(path), Profile())
    _threads(monkeypatch, 4)
    with pytest.raises(InputError) as split:
        ac.read(_files(path), Profile())
    assert "2024-05-01 25:99" in str(whole.value)  # the value it could not read
    assert str(split.value) == str(whole.value)
    assert whole.value.line == 201


@pytest.mark.parametrize(
    ("bad", "line", "column", "words"),
    [
        (
            '{"ContactId": "x", "InitiationTimestamp": "2024-05-01 25:99"}',
            202,
            "InitiationTimestamp",
            "ISO-8601",
        ),
        (
            '{"ContactId": 5, "InitiationTimestamp": "2024-05-01T17:00:00Z"}',
            202,
            "ContactId",
            "text in",
        ),
        ('{"ContactId": "x", "Queue": "General"}', 202, "Queue", "an object"),
        ('{"ContactId": "x",', 202, None, "not JSON"),
    ],
)
def test_a_bad_jsonl_record_is_named_by_its_line(tmp_path, bad, line, column, words):
    # Arrow names no line (its first block's error used to say line 1); the 201 good records
    # before it put the bad one on line 202, in the first block or not.
    path = tmp_path / "ctr.jsonl"
    path.write_text("\n".join([*_jsonl(201), bad, *_jsonl(5, start=900)]) + "\n")
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert (err.value.line, err.value.column) == (line, column)
    assert words in err.value.message


def test_a_bad_jsonl_record_is_found_past_the_first_chunk(tmp_path, monkeypatch):
    # The re-scan skips whole chunks Arrow reads (here ~1 MiB, thousands of lines) and reads
    # lines one by one only in the chunk Arrow refuses; the line count carries across chunks.
    path = tmp_path / "ctr.jsonl"
    good = _jsonl(6000)
    bad = '{"ContactId": "x", "InitiationTimestamp": "2024-05-01 25:99"}'
    path.write_text("\n".join([*good, bad, *_jsonl(3, start=90000)]) + "\n")
    assert path.stat().st_size > 1 << 20
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert (err.value.line, err.value.column) == (6001, "InitiationTimestamp")


def test_a_jsonl_line_the_record_checks_cannot_explain_gets_the_engines_flags(
    tmp_path, monkeypatch
):
    path = tmp_path / "ctr.jsonl"
    bad = '{"ContactId": "x", "InitiationTimestamp": "2024-05-01 25:99"}'
    path.write_text("\n".join([*_jsonl(60), bad]) + "\n")
    monkeypatch.setattr(ac._errors, "json_record_problem", lambda record: None)
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    # The type checks find nothing; the count's own flags name the timestamp it could not read.
    assert err.value.line == 61 and err.value.column == "InitiationTimestamp"
    assert "2024-05-01 25:99" in err.value.message


_T1, _T2 = "2024-05-01 17:00:00", "2024-05-01 17:05:00"


@pytest.mark.parametrize(
    ("legs", "expected"),
    [
        # (id, chain, initiated, file, tied): a latest copy no line number had to choose
        ([("a", "a", _T1, 0, False), ("b", "b", _T1, 0, False)], False),
        ([("a", "a", _T1, 0, True), ("b", "b", _T2, 0, False)], True),
        # chain a: its later legs b and c start at different times, or in different files
        ([("b", "a", _T1, 0, False), ("c", "a", _T2, 0, False)], False),
        ([("b", "a", _T1, 0, False), ("c", "a", _T1, 1, False)], False),
        # ... or alike in time and file: only their lines say which is the first leg
        ([("b", "a", _T1, 0, False), ("c", "a", _T1, 0, False)], True),
        # the chain's own leg goes first whatever the others' times
        ([("a", "a", _T1, 0, False), ("c", "a", _T1, 0, False)], False),
    ],
)
def test_unordered_legs_are_those_only_line_numbers_put_in_order(legs, expected):
    import duckdb

    from contacts311.sources.amazon_connect import _rule

    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE legs (id VARCHAR, chain VARCHAR, initiated TIMESTAMP, file INT, "
            "tied BOOLEAN)"
        )
        con.executemany("INSERT INTO legs VALUES (?, ?, ?, ?, ?)", legs)
        assert _rule.unordered(con) is expected


@pytest.mark.parametrize(("tie", "reads"), [(False, 1), (True, 2)])
def test_records_are_read_again_numbered_only_when_a_tie_needs_their_lines(
    tmp_path, monkeypatch, tie, reads
):
    updated = "2024-05-01T17:10:00Z"
    again = _many(1, start=7, queue="Last")[0]
    if not tie:
        again = again.replace(updated, "2024-05-01T17:09:00Z")  # older: it loses without lines
    a = _write(tmp_path / "a.csv", [*_many(1, start=7, queue="First"), *_many(20), again])
    calls = []
    real = ac._legs
    monkeypatch.setattr(ac, "_legs", lambda *a, **k: calls.append(k["numbered"]) or real(*a, **k))
    result = ac.read(_files(a), Profile())
    assert calls == [False, True][:reads]
    assert "First" in set(result.contacts["queue"]) and "Last" not in set(result.contacts["queue"])
