"""The shared file helpers of the sources: how a file's head is read for recognition."""

from __future__ import annotations

import gzip
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from parquet_helpers import gzip_parquet

from contacts311.errors import InputError
from contacts311.sources._base import (
    is_gzip_parquet,
    is_parquet,
    parquet_columns,
    plain_parquet,
    read_head,
)


def test_a_parquet_head_is_its_column_names_with_struct_fields_dotted(tmp_path):
    table = pa.table(
        {
            "ContactId": ["a"],
            "Agent": [{"ConnectedToAgentTimestamp": "2024-03-01T10:00:00Z", "Username": "x"}],
            "custom_fields": [[{"id": 7, "value": "Email"}]],
        }
    )
    path = tmp_path / "records.bin"  # recognised by content, whatever the name
    pq.write_table(table, path)
    assert is_parquet(path)
    assert parquet_columns(path) == [
        "ContactId",
        "Agent.ConnectedToAgentTimestamp",
        "Agent.Username",
        "custom_fields",
    ]
    assert read_head(path) == (
        "ContactId,Agent.ConnectedToAgentTimestamp,Agent.Username,custom_fields"
    )


def test_a_damaged_parquet_file_has_no_columns_and_no_head(tmp_path):
    path = tmp_path / "cut.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 40)
    assert is_parquet(path)
    assert parquet_columns(path) == []
    assert read_head(path) == ""


def test_a_csv_file_is_not_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    path.write_text("date,count\n2024-01-01,3\n")
    assert not is_parquet(path)
    assert read_head(path).startswith("date,count")


def test_a_gzip_compressed_parquet_head_is_its_column_names(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = gzip_parquet(
        tmp_path / "t.parquet.gz", pa.table({"id": [1], "via": [{"channel": "web"}]})
    )
    assert not is_parquet(path)
    assert is_gzip_parquet(path)
    assert parquet_columns(path) == ["id", "via.channel"]
    assert read_head(path) == "id,via.channel"
    assert list((tmp_path / "tmp").iterdir()) == []  # the decompressed copy is gone


def test_plain_parquet_yields_other_files_as_they_are(tmp_path):
    csv_gz = tmp_path / "a.csv.gz"
    csv_gz.write_bytes(gzip.compress(b"date,count\n", mtime=0))
    assert not is_gzip_parquet(csv_gz)
    with plain_parquet(csv_gz) as local:
        assert local == csv_gz


def test_plain_parquet_removes_its_copy_on_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = gzip_parquet(tmp_path / "t.parquet.gz", pa.table({"id": [1]}))
    with pytest.raises(ValueError), plain_parquet(path) as local:
        assert pq.read_table(local).num_rows == 1
        raise ValueError("a reader failed")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_gzip_compressed_parquet_cut_short_is_an_error_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    whole = gzip_parquet(tmp_path / "t.parquet.gz", pa.table({"id": list(range(1000))}))
    cut = tmp_path / "cut.parquet.gz"
    cut.write_bytes(whole.read_bytes()[:-20])
    assert is_gzip_parquet(cut)
    expected = "cannot decompress gzip-compressed Parquet"
    with pytest.raises(InputError, match=expected) as err, plain_parquet(cut):
        pass
    assert err.value.file == cut
    assert parquet_columns(cut) == []  # recognition then reports it as unreadable
    assert list((tmp_path / "tmp").iterdir()) == []
