"""Parquet files as tests need them: a table written gzip-compressed, as some lakes hold it."""

import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def gzip_parquet(path: Path, table: pa.Table) -> Path:
    """Write ``table`` as Parquet, gzip-compressed (no timestamp, so the bytes are stable)."""
    buf = io.BytesIO()
    pq.write_table(table, buf)
    path.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    return path
