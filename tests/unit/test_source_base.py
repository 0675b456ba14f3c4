"""The shared file helpers of the sources: how a file's head is read for recognition."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from contacts311.sources._base import is_parquet, parquet_columns, read_head


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
