"""Amazon Connect contact records: per-day answered calls, dedupe, ledger, privacy."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.profile import Profile
from contacts311.sources import amazon_connect as ac

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


def _split(monkeypatch, parts: int = 3) -> None:
    """Read every CSV in ``parts`` byte ranges at once, as big files are."""
    monkeypatch.setattr(ac, "_SPLIT_BYTES", 0)
    monkeypatch.setattr(ac, "_workers", lambda: parts)


@pytest.fixture(params=["one_batch", "tiny_batches", "split_ranges"])
def batching(request, monkeypatch):
    if request.param in ("tiny_batches", "split_ranges"):
        # Batches of a few rows and a compaction after each: dedupe must not depend on batching.
        monkeypatch.setattr(ac, "_BLOCK_BYTES", 400)
        monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 1)
    if request.param == "split_ranges":
        _split(monkeypatch)
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


def test_winners_exact_when_high_words_collide():
    # Same high word, different low word: different contacts, both survive.
    hi = np.array([1, 1, 1, 2], dtype=np.uint64)
    lo = np.array([5, 6, 5, 7], dtype=np.uint64)
    updated = np.array([10, 30, 20, 1], dtype=np.int64)
    segment = np.zeros(4, dtype=np.int32)
    assert ac._winners(hi, lo, updated, segment).tolist() == [False, True, True, True]


def test_winners_tie_goes_to_the_segment_read_first_whatever_the_arrival_order():
    # Same id, same LastUpdateTimestamp: the copy from segment 0 wins even though the copy
    # from segment 1 arrived (and sits) first; within one segment, the first position wins.
    hi = np.array([9, 9, 4, 4], dtype=np.uint64)
    lo = np.array([1, 1, 2, 2], dtype=np.uint64)
    updated = np.array([50, 50, 7, 7], dtype=np.int64)
    segment = np.array([1, 0, 3, 3], dtype=np.int32)
    assert ac._winners(hi, lo, updated, segment).tolist() == [False, True, True, False]


@pytest.mark.parametrize("partitions", [1, 2, 3])
def test_result_does_not_depend_on_the_number_of_key_partitions(tmp_path, monkeypatch, partitions):
    # Contacts are deduplicated and counted in one partition per core; a contact's copies
    # always share a partition (2: a bit mask, 3: a remainder), so the result is the same.
    monkeypatch.setattr(ac, "_workers", lambda: partitions)
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 400)
    monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 1)
    a = _write(tmp_path / "a.csv", FILE_A)
    b = _write(tmp_path / "b.csv", FILE_B)
    result = ac.read(_files(a, b), Profile())
    assert _per_key(result) == EXPECTED
    assert _ledger(result) == EXPECTED_LEDGER


def _parts():
    """Two partitions of (file, queue, klass) keys; by hand: (0,1,0) x3, (0,2,2) x2, (1,1,0) x1."""
    return [
        {
            "file": np.array([0, 0, 1], dtype=np.int32),
            "queue": np.array([1, 2, 1], dtype=np.int32),
            "klass": np.array([0, 2, 0], dtype=np.int8),
        },
        {
            "file": np.array([0, 0, 0], dtype=np.int32),
            "queue": np.array([1, 1, 2], dtype=np.int32),
            "klass": np.array([0, 0, 2], dtype=np.int8),
        },
    ]


GROUPED = {(0, 1, 0): 3, (0, 2, 2): 2, (1, 1, 0): 1}


def _as_dict(groups: dict) -> dict:
    columns = [groups[k] for k in ("file", "queue", "klass", "count")]
    return {(int(f), int(q), int(k)): int(n) for f, q, k, n in zip(*columns, strict=True)}


def test_group_counts_over_partitions_dense_or_sorted(monkeypatch):
    assert _as_dict(ac._group(_parts())) == GROUPED
    monkeypatch.setattr(ac, "_DENSE_GROUPS", 0)  # the sort-based path for large key spaces
    assert _as_dict(ac._group(_parts())) == GROUPED


def test_group_key_space_too_large_for_one_integer():
    parts = _parts()
    # Spans of 2**40 and 2**30 would overflow a combined int64 key.
    parts[0]["file"] = parts[0]["file"].astype(np.int64) * 2**40
    parts[1]["queue"] = parts[1]["queue"].astype(np.int64) * 2**30
    got = ac._group(parts)
    assert _as_dict(got) == {
        (0, 1, 0): 1,
        (0, 2, 2): 1,
        (2**40, 1, 0): 1,
        (0, 2**30, 0): 2,
        (0, 2**31, 2): 1,
    }


def test_group_of_nothing_is_empty():
    empty = {k: v[:0] for k, v in _parts()[0].items()}
    got = ac._group([empty, empty])
    assert list(got) == ["file", "queue", "klass", "count"]
    assert all(len(v) == 0 for v in got.values())


def _weighted_parts():
    """(day, queue) keys with calls and answered calls; by hand, per key:
    (3, 1): 5 + 1 = 6 calls, 4 + 0 = 4 answered; (3, 2): 2 and 2; (5, 1): 7 and 0;
    (9, 1): 0 and 0 (a key whose sums are zero still has its row)."""
    return [
        {
            "day": np.array([3, 5, 3], dtype=np.int64),
            "queue": np.array([1, 1, 2], dtype=np.int32),
            "count": np.array([5, 7, 2], dtype=np.int64),
            "acd": np.array([4, 0, 2], dtype=np.int64),
        },
        {
            "day": np.array([3, 9], dtype=np.int64),
            "queue": np.array([1, 1], dtype=np.int32),
            "count": np.array([1, 0], dtype=np.int64),
            "acd": np.array([0, 0], dtype=np.int64),
        },
    ]


@pytest.mark.parametrize("dense", [True, False])
def test_group_sums_fields_per_key_in_key_order(monkeypatch, dense):
    if not dense:
        monkeypatch.setattr(ac, "_DENSE_GROUPS", 0)
    got = ac._group(_weighted_parts(), sums=("count", "acd"))
    assert list(got) == ["day", "queue", "count", "acd"]
    rows = list(zip(*(got[k].tolist() for k in got), strict=True))
    assert rows == [(3, 1, 6, 4), (3, 2, 2, 2), (5, 1, 7, 0), (9, 1, 0, 0)]
    assert all(v.dtype == np.int64 for v in got.values())


def test_group_sums_when_the_key_space_is_too_large_for_one_integer():
    parts = _weighted_parts()
    parts[1]["day"] = parts[1]["day"] * 2**40  # 3 -> 3 * 2**40, 9 -> 9 * 2**40
    parts[0]["queue"] = parts[0]["queue"].astype(np.int64) * 2**30
    got = ac._group(parts, sums=("count", "acd"))
    rows = sorted(zip(*(got[k].tolist() for k in got), strict=True))
    assert rows == [
        (3, 2**30, 5, 4),
        (3, 2**31, 2, 2),
        (5, 2**30, 7, 0),
        (3 * 2**40, 1, 1, 0),
        (9 * 2**40, 1, 0, 0),
    ]


def _state_part(ids: list[int]) -> dict:
    n = len(ids)
    return {
        "hi": np.asarray(ids, dtype=np.uint64),
        "lo": np.zeros(n, dtype=np.uint64),
        "updated": np.arange(n, dtype=np.int64),
        "quarter": np.zeros(n, dtype=np.int32),
        "file": np.zeros(n, dtype=np.int32),
        "queue": np.zeros(n, dtype=np.int32),
        "klass": np.zeros(n, dtype=np.int8),
    }


def test_dedupe_compacts_less_often_while_duplicates_are_rare(monkeypatch):
    monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 4)
    state = ac._Dedupe()
    state.add(_state_part([1, 2, 3, 4]))  # compacted: no duplicates
    assert state.growth == ac._SPARSE_GROWTH and len(state.state["hi"]) == 4
    state.add(_state_part([5, 6, 7, 8]))  # 4 pending < 4 x 4 state: waits
    assert state.pending_rows == 4
    state.add(_state_part([1, 1, 1, 1, 2, 2, 2, 2, 9, 9, 9, 9]))  # 16 pending: compacted
    assert state.pending_rows == 0
    # 20 rows in, 9 distinct kept: duplicates are common again, so compact as often as before.
    assert len(state.state["hi"]) == 9 and state.growth == 1
    assert int(state.duplicates.sum()) == 11


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


def test_id_keys_uuid_case_insensitive_and_other_ids_distinct():
    import pyarrow as pa

    lower = "6f1c2a9e-0000-4000-8000-00000000abcd"
    ids = pa.array(
        [
            lower.encode(),
            lower.upper().encode(),
            b"6f1c2a9e-0000-4000-8000-00000000abcg",  # 36 bytes, not hex: hashed, not decoded
            b"6f1c2a9e-0000-4000-8000-00000000abcd",
        ],
        type=pa.binary(),
    )
    hi, lo = ac._id_keys(ids)
    keys = list(zip(hi.tolist(), lo.tolist(), strict=True))
    assert keys[0] == keys[1] == keys[3]
    assert keys[2] != keys[0]
    # The decoded UUID is its own 128 bits: the first 8 bytes are 6f 1c 2a 9e 00 00 40 00.
    assert hi[0].tobytes() == bytes.fromhex("6f1c2a9e00004000")
    assert lo[0].tobytes() == bytes.fromhex("800000000000abcd")


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


def test_byte_ranges_end_at_line_ends_and_cover_every_data_row(tmp_path, monkeypatch):
    monkeypatch.setattr(ac, "_SPLIT_BYTES", 0)
    a = _write(tmp_path / "a.csv", _many(50))
    data = a.read_bytes()
    ranges = ac._byte_ranges(a, 4)
    assert len(ranges) == 4
    assert ranges[0][0] == len(HEADER) + 1 and ranges[-1][1] == len(data)
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert end == start and data[end - 1 : end] == b"\n"
    assert sum(data[a:b].count(b"\n") for a, b in ranges) == 50


def test_byte_ranges_one_stream_for_small_gzip_or_single_core(tmp_path, monkeypatch):
    a = _write(tmp_path / "a.csv", _many(50))
    assert ac._byte_ranges(a, 4) == [None]  # under _SPLIT_BYTES
    monkeypatch.setattr(ac, "_SPLIT_BYTES", 0)
    assert ac._byte_ranges(a, 1) == [None]
    z = tmp_path / "z.csv"
    z.write_bytes(gzip.compress(a.read_bytes()))
    assert ac._byte_ranges(z, 4) == [None]  # a gzip stream cannot be entered mid-way
    cr = tmp_path / "cr.csv"
    cr.write_bytes(a.read_bytes().replace(b"\n", b"\r"))
    assert ac._byte_ranges(cr, 4) == [None]  # no line feed to split at
    assert sum(_per_key(ac.read(_files(cr), Profile())).values()) == 50


def test_split_read_equals_one_stream_and_first_copy_in_the_file_wins_ties(tmp_path, monkeypatch):
    # Contact 7 appears near the top (queue First) and near the end (queue Last) with the same
    # LastUpdateTimestamp: the copy read first wins however the ranges' batches interleave.
    first = _many(1, start=7, queue="First")
    last = _many(1, start=7, queue="Last")
    a = _write(tmp_path / "a.csv", [*first, *_many(300), *last])
    whole = ac.read(_files(a), Profile())
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 2000)
    monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 1)
    _split(monkeypatch, parts=4)
    assert len(ac._byte_ranges(a, 4)) == 4
    split = ac.read(_files(a), Profile())
    assert _per_key(split) == _per_key(whole)
    assert _ledger(split) == _ledger(whole) == {"a.csv": (302, 301, 0, 0, 1)}
    queues = set(split.contacts["queue"])
    assert "First" in queues and "Last" not in queues


def test_split_read_error_in_a_later_range_names_the_line_in_the_file(tmp_path, monkeypatch):
    bad = _row(U.format(9999), "VOICE", "2024-05-01 25:99", "General", "", "2024-05-01T17:10:00Z")
    empty_id = _many(1, start=5)[0].replace(U.format(5), "")
    _split(monkeypatch, parts=3)
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 2000)
    a = _write(tmp_path / "a.csv", [*_many(400), bad, *_many(20, start=900)])
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert (err.value.line, err.value.column) == (402, "InitiationTimestamp")
    b = _write(tmp_path / "b.csv", [*_many(400), empty_id, *_many(20, start=900)])
    with pytest.raises(InputError) as err:
        ac.read(_files(b), Profile())
    assert err.value.line == 402 and "ContactId" in err.value.message


def _counting_scans(monkeypatch) -> list:
    scans = []
    real = ac._scan

    def counted(files, cancel=None):
        scans.append([f.name for f in files])
        return real(files, cancel)

    monkeypatch.setattr(ac, "_scan", counted)
    return scans


def test_a_prefetched_read_is_taken_over_not_read_again(tmp_path, monkeypatch, batching):
    files = _files(_write(tmp_path / "a.csv", FILE_A), _write(tmp_path / "b.csv", FILE_B))
    scans = _counting_scans(monkeypatch)
    stop = ac.prefetch(files)
    result = ac.read(files, Profile())
    stop()  # after the take-over: nothing left to stop
    assert scans == [["a.csv", "b.csv"]]
    assert _per_key(result) == EXPECTED
    assert _ledger(result) == EXPECTED_LEDGER
    assert result.columns["a.csv"][0] == "ContactId"
    assert ac._PREFETCHED == {}


def test_a_file_changed_after_the_prefetch_is_read_afresh(tmp_path, monkeypatch):
    a = _write(tmp_path / "a.csv", FILE_A)
    scans = _counting_scans(monkeypatch)
    stop = ac.prefetch(_files(a))
    _write(a, FILE_A + _many(3))  # size and mtime change: the prefetched read is stale
    result = ac.read(_files(a), Profile())
    stop()
    assert len(scans) == 2
    assert int(result.contacts["count"].sum()) == 4 + 3
    assert ac._PREFETCHED == {}


def test_a_prefetched_bad_file_raises_in_the_read_in_the_same_words(tmp_path):
    a = _bad_timestamp_file(tmp_path)
    with pytest.raises(InputError) as plain:
        ac.read(_files(a), Profile())
    stop = ac.prefetch(_files(a))
    with pytest.raises(InputError) as taken:
        ac.read(_files(a), Profile())
    stop()
    assert str(taken.value) == str(plain.value)
    assert taken.value.line == 4


def test_stopping_an_unused_prefetch_ends_its_read(tmp_path, monkeypatch):
    import threading

    a = _write(tmp_path / "a.csv", FILE_A + _many(50))
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 400)  # many batches: the stop lands between two
    release = threading.Event()
    real_plan = ac._csv_plan

    def held(*args):
        release.wait(10)
        return real_plan(*args)

    monkeypatch.setattr(ac, "_csv_plan", held)
    scans = _counting_scans(monkeypatch)
    stop = ac.prefetch(_files(a))
    (future,) = ac._PREFETCHED.values()
    stop()
    release.set()
    assert isinstance(future.exception(timeout=10), ac._Cancelled)
    assert ac._PREFETCHED == {}
    # The read that comes later reads the file itself.
    assert int(ac.read(_files(a), Profile()).contacts["count"].sum()) == 4 + 50
    assert len(scans) == 2


def test_reading_does_not_need_pandas_until_the_count(tmp_path):
    # A fresh interpreter: the command starts the read before pandas loads.
    import subprocess
    import sys

    a = _write(tmp_path / "a.csv", FILE_A)
    code = (
        "import sys\n"
        "from types import SimpleNamespace\n"
        "from pathlib import Path\n"
        "from contacts311.sources import amazon_connect as ac\n"
        f"files = [SimpleNamespace(path=Path({str(a)!r}), name='a.csv')]\n"
        "scan = ac._scan(files)\n"
        "print(sum(scan.rows), 'pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "False"]


def test_valid_and_filled_read_the_buffers_of_any_slice():
    import pyarrow as pa

    values = [1, None, 3, None, 5, 6, 7, 8, 9, None, 11]
    arr = pa.array(values, type=pa.int64())
    for start in range(len(values)):
        for length in range(len(values) - start):
            part = values[start : start + length]
            sliced = arr.slice(start, length)
            assert ac._valid(sliced).tolist() == [v is not None for v in part]
            assert ac._filled(sliced, np.int64, -9).tolist() == [
                -9 if v is None else v for v in part
            ]
    assert ac._filled(pa.array([None, None], pa.int64()), np.int64, -1).tolist() == [-1, -1]


def test_the_command_starts_reading_before_pandas_loads(tmp_path, fresh_python):
    # With the read cache off: nothing to hash, so the read itself starts early.
    _write(tmp_path / "a.csv", FILE_A)
    _write(tmp_path / "b.csv", FILE_B)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: amazon_connect\n    path: '*.csv'\n")
    code = (
        "import sys\n"
        "from contacts311.sources import amazon_connect as ac\n"
        "started = ac.prefetch\n"
        "def spy(files):\n"
        "    print('pandas loaded:', 'pandas' in sys.modules, file=sys.stderr)\n"
        "    return started(files)\n"
        "ac.prefetch = spy\n"
        "from contacts311.cli import main\n"
        f"code = main(['totals', {str(tmp_path)!r}, '--profile', {str(profile)!r},"
        " '--format', 'csv'])\n"
        "print('left:', len(ac._PREFETCHED), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    out = fresh_python(code, CONTACTS311_CACHE_DIR="off")
    assert out.returncode == 0, out.stderr
    assert "pandas loaded: False" in out.stderr
    assert "left: 0" in out.stderr  # the load took the prefetched read
    rows = [line.split(",") for line in out.stdout.splitlines()[1:]]
    assert sum(int(r[4]) for r in rows) == 7  # the seven answered survivors, as read() gives


def test_a_load_that_fails_first_stops_the_prefetched_read(tmp_path, monkeypatch, capsys):
    from contacts311.cli import main

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    _write(tmp_path / "a.csv", FILE_A)
    (tmp_path / "calls.txt").write_text("row_date,split,acdcalls,abncalls\nnot a date,1,2,3\n")
    profile = tmp_path / "p.yml"
    profile.write_text(
        "sources:\n  - format: avaya_cms\n    path: calls.txt\n"
        "  - format: amazon_connect\n    path: a.csv\n"
    )
    started = []
    real = ac.prefetch

    def spy(files):
        stop = real(files)
        started.append(list(ac._PREFETCHED.values()))
        return stop

    monkeypatch.setattr(ac, "prefetch", spy)
    assert main(["totals", str(tmp_path), "--profile", str(profile)]) == 2
    assert "calls.txt" in capsys.readouterr().err
    assert len(started) == 1 and len(started[0]) == 1
    assert ac._PREFETCHED == {}  # stopped and dropped, not left to run on
    started[0][0].exception(timeout=30)  # and it ends


def test_with_the_cache_on_only_files_never_cached_are_prefetched(tmp_path, monkeypatch, capsys):
    from contacts311.cli import main

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "a.csv", FILE_A)
    _write(data / "b.csv", FILE_B)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: amazon_connect\n    path: '*.csv'\n")
    started = []
    real = ac.prefetch
    monkeypatch.setattr(ac, "prefetch", lambda files: started.append(len(files)) or real(files))
    scans = _counting_scans(monkeypatch)
    outputs = []
    for _ in range(2):
        assert main(["totals", str(data), "--profile", str(profile), "--format", "csv"]) == 0
        outputs.append(capsys.readouterr().out)
    assert started == [2]  # the first run read them early; the second found them cached
    assert len(scans) == 1
    assert outputs[0] == outputs[1]
    assert ac._PREFETCHED == {}


def _counting_range_reads(monkeypatch) -> list:
    """The byte ranges read from now on, in the order they are read."""
    ranges = []
    real = ac._range_table

    def counted(path, plan, byte_range, buffer):
        ranges.append(byte_range)
        return real(path, plan, byte_range, buffer)

    monkeypatch.setattr(ac, "_range_table", counted)
    return ranges


def test_more_ranges_than_threads_read_like_one_stream(tmp_path, monkeypatch):
    # 2 threads take 6+ ranges in turn; contact 7's first copy (queue First) still wins the tie.
    a = _write(
        tmp_path / "a.csv",
        [*_many(1, start=7, queue="First"), *_many(300), *_many(1, start=7, queue="Last")],
    )
    whole = ac.read(_files(a), Profile())
    _split(monkeypatch, parts=2)
    monkeypatch.setattr(ac, "_RANGE_BYTES", a.stat().st_size // 6)
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 2000)
    monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 1)
    assert ac._range_count(a) == 7  # size // 6 rounds down: a seventh range holds the rest
    tables = _counting_range_reads(monkeypatch)
    split = ac.read(_files(a), Profile())
    assert len(tables) == 7
    assert _per_key(split) == _per_key(whole)
    assert _ledger(split) == _ledger(whole) == {"a.csv": (302, 301, 0, 0, 1)}
    assert "First" in set(split.contacts["queue"]) and "Last" not in set(split.contacts["queue"])


def test_range_count_is_one_per_core_at_least(tmp_path, monkeypatch):
    a = tmp_path / "a.csv"
    a.write_bytes(b"x" * 1000)
    monkeypatch.setattr(ac, "_workers", lambda: 2)
    monkeypatch.setattr(ac, "_RANGE_BYTES", 300)
    assert ac._range_count(a) == 4  # 1000 / 300 rounded up
    monkeypatch.setattr(ac, "_RANGE_BYTES", 5000)
    assert ac._range_count(a) == 2


def test_a_bad_range_stops_the_ranges_after_it(tmp_path, monkeypatch):
    bad = _row(U.format(9999), "VOICE", "2024-05-01 25:99", "General", "", "2024-05-01T17:10:00Z")
    a = _write(tmp_path / "a.csv", [bad, *_many(400)])
    _split(monkeypatch, parts=1)  # one thread: the ranges are taken strictly in order
    monkeypatch.setattr(ac, "_RANGE_BYTES", a.stat().st_size // 8)
    assert len(ac._byte_ranges(a, ac._range_count(a))) == 9
    tables = _counting_range_reads(monkeypatch)
    with pytest.raises(InputError) as err:
        ac.read(_files(a), Profile())
    assert (err.value.line, err.value.column) == (2, "InitiationTimestamp")
    assert len(tables) == 1  # the other eight ranges were never read


def test_read_buffer_is_reused_grown_and_reads_what_is_there(tmp_path):
    a = tmp_path / "a.bin"
    a.write_bytes(bytes(range(100)))
    buffer = ac._ReadBuffer()
    assert bytes(buffer.read(a, 10, 20)) == bytes(range(10, 20))
    first = buffer._data
    assert bytes(buffer.read(a, 0, 5)) == bytes(range(5))
    assert buffer._data is first  # a shorter range reuses the same 10 bytes
    assert bytes(buffer.read(a, 50, 90)) == bytes(range(50, 90))
    assert len(buffer._data) == 40  # grown for a longer one
    assert bytes(buffer.read(a, 95, 120)) == bytes(range(95, 100))  # the file ends first


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


def test_jsonl_read_in_ranges_like_one_stream(tmp_path, monkeypatch):
    # JSON lines have no header: the first range starts at byte 0. Contact 7's first copy
    # (queue First) wins the tie however the ranges are read.
    path = tmp_path / "ctr.jsonl"
    lines = [*_jsonl(1, start=7, queue="First"), *_jsonl(300), *_jsonl(1, start=7, queue="Last")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = ac.read(_files(path), Profile())
    _split(monkeypatch, parts=2)
    monkeypatch.setattr(ac, "_RANGE_BYTES", path.stat().st_size // 5)
    monkeypatch.setattr(ac, "_BLOCK_BYTES", 2000)
    monkeypatch.setattr(ac, "_MIN_COMPACT_ROWS", 1)
    ranges = ac._byte_ranges(path, ac._range_count(path), header=False)
    assert len(ranges) == 6 and ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
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


def test_jsonl_bad_record_in_a_later_range_reads_as_in_one_stream(tmp_path, monkeypatch):
    path = tmp_path / "ctr.jsonl"
    bad = _jsonl(1, start=9999, init="2024-05-01 25:99")
    path.write_text("\n".join([*_jsonl(200), *bad, *_jsonl(20, start=900)]) + "\n")
    with pytest.raises(InputError) as whole:
        ac.read(_files(path), Profile())
    _split(monkeypatch, parts=2)
    monkeypatch.setattr(ac, "_RANGE_BYTES", path.stat().st_size // 4)
    with pytest.raises(InputError) as split:
        ac.read(_files(path), Profile())
    assert "2024-05-01 25:99" in str(whole.value)  # the value it could not read
    assert str(split.value) == str(whole.value)


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


def test_a_refused_jsonl_line_the_checks_cannot_explain_gets_arrows_words(tmp_path, monkeypatch):
    path = tmp_path / "ctr.jsonl"
    bad = '{"ContactId": "x", "InitiationTimestamp": "2024-05-01 25:99"}'
    path.write_text("\n".join([*_jsonl(60), bad]) + "\n")
    monkeypatch.setattr(ac, "_json_record_problem", lambda record: None)
    with pytest.raises(InputError) as err:
        ac.read(_files(path), Profile())
    assert err.value.line == 61 and err.value.column is None
    assert "2024-05-01 25:99" in err.value.message  # Arrow's own account of the value
