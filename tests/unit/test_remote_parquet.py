"""Unit tests for contacts311.remote_parquet: a Parquet table copied with only the columns read.

The store is fsspec's local filesystem (the same calls as s3fs and adlfs, over files); the
copies must read exactly as the originals, through the real sources.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from zendesk_helpers import DATA as ZENDESK_DATA
from zendesk_helpers import profile as zendesk_profile

from contacts311.inputs import InputFile
from contacts311.profile import Profile
from contacts311.remote_parquet import copy_columns, may_be_parquet
from contacts311.sources import amazon_connect, reads_parquet_column, zendesk
from contacts311.sources._base import parquet_columns

CONNECT_DATA = Path(__file__).resolve().parents[1] / "data" / "amazon_connect"
FS = fsspec.filesystem("file")


def _copy(source: Path, target: Path) -> bool:
    return copy_columns(FS, str(source), target, reads_parquet_column)


def _nulls(path: Path) -> set[str]:
    table = pq.read_table(path)
    return {n for n in table.column_names if table.column(n).null_count == table.num_rows}


def test_only_names_that_say_text_are_never_probed():
    assert may_be_parquet("tickets.parquet") and may_be_parquet("part-00000-c000.snappy.parquet")
    assert may_be_parquet("firehose-ctr-2024-05-01-00")  # Firehose names carry no suffix
    for name in ("calls.csv", "tickets.ndjson.gz", "records.parquet.gz", "Calls.XLSX", "a.json"):
        assert not may_be_parquet(name)


@pytest.mark.parametrize("fixture", ["ctr_nested.parquet", "ctr_flat.parquet"])
def test_a_connect_table_reads_the_same_without_the_columns_left_out(fixture, tmp_path):
    original = CONNECT_DATA / fixture
    copy = tmp_path / "copy" / fixture
    copy.parent.mkdir()
    assert _copy(original, copy)
    assert parquet_columns(copy) == parquet_columns(original)  # every name is still there
    # The caller's number (and any other field the count never reads) is not copied.
    left_out = _nulls(copy) - _nulls(original)
    assert any("customerendpoint" in n.lower().replace("_", "") for n in left_out), left_out
    profile = Profile(timezone="America/Los_Angeles")
    read = [
        amazon_connect.read([SimpleNamespace(path=p, name=fixture)], profile)
        for p in (original, copy)
    ]
    assert read[0].contacts.equals(read[1].contacts)
    assert read[0].tables["intervals"].equals(read[1].tables["intervals"])
    assert read[0].ledger.frame().equals(read[1].ledger.frame())


def _zendesk_tables(folder: Path) -> list[Path]:
    names = {
        "tickets.parquet": ("incremental_tickets.json", "tickets"),
        "ticket_events.parquet": ("incremental_ticket_events.json", "ticket_events"),
        "users.parquet": ("incremental_users.json", "users"),
    }
    folder.mkdir()
    for name, (fixture, key) in names.items():
        records = json.loads((ZENDESK_DATA / fixture).read_text(encoding="utf-8"))[key]
        pq.write_table(pa.Table.from_pylist(records), folder / name)
    return sorted(folder.iterdir())


def test_zendesk_lake_tables_read_the_same_without_subjects_names_or_emails(tmp_path):
    originals = _zendesk_tables(tmp_path / "lake")
    (tmp_path / "copy").mkdir()
    copies = []
    for path in originals:
        copies.append(tmp_path / "copy" / path.name)
        assert _copy(path, copies[-1]), path.name
        assert parquet_columns(copies[-1]) == parquet_columns(path)
    left_out = set().union(*(_nulls(c) - _nulls(o) for o, c in zip(originals, copies, strict=True)))
    assert {"subject", "description", "name", "email"} <= left_out
    rules = zendesk_profile(contact_type_field_id=360, agent_user_field="pdx311_csr")
    read = [zendesk.read([InputFile(p, p.name, "zendesk") for p in group], rules)
            for group in (originals, copies)]  # fmt: skip
    assert read[0].contacts.equals(read[1].contacts)
    assert read[0].ledger.frame().equals(read[1].ledger.frame())


def test_a_table_copied_whole_when_nothing_or_everything_is_read(tmp_path):
    target = tmp_path / "copy.parquet"
    unknown = tmp_path / "weather.parquet"
    pq.write_table(pa.table({"station": ["PDX"], "rain_mm": [3.2]}), unknown)
    assert not _copy(unknown, target)  # no source reads it: its reader-to-be explains
    needed = tmp_path / "needed.parquet"
    pq.write_table(pa.table({"id": [1], "status": ["solved"]}), needed)
    assert not _copy(needed, target)  # every column is read: the bytes as they are
    text = tmp_path / "calls.parquet"
    text.write_text("ContactId,Channel\n", encoding="utf-8")
    assert not _copy(text, target)  # named .parquet, but CSV inside
    broken = tmp_path / "broken.parquet"
    shutil.copyfile(CONNECT_DATA / "ctr_flat.parquet", broken)
    broken.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    assert not _copy(broken, target)  # magic bytes, no readable footer
    assert not target.exists() or target.stat().st_size == 0


def test_a_table_of_several_row_groups_keeps_them(tmp_path):
    table = pa.table(
        {
            "id": pa.array(range(10)),
            "status": ["solved"] * 10,
            "subject": [f"resident text {i}" for i in range(10)],
        }
    )
    source, copy = tmp_path / "tickets.parquet", tmp_path / "copy.parquet"
    pq.write_table(table, source, row_group_size=3)
    assert _copy(source, copy)
    assert pq.ParquetFile(copy).num_row_groups == 4
    got = pq.read_table(copy)
    assert got.column("id").to_pylist() == list(range(10))
    assert got.column("subject").null_count == 10
    assert b"resident text" not in copy.read_bytes()
