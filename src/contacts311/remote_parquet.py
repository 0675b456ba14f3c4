"""A remote Parquet table copied with only the columns a source reads; the others arrive empty.

Parquet stores each column apart and says where in its footer, so a table in an object store
can be read column by column with range requests. The copy keeps the table's whole schema
(every column name, so recognition, the ledger's column lists and the layout checks see the
table as it is) and its row groups, but a column no source reads (a ticket's subject, a
caller's number) holds nulls: those bytes are neither downloaded nor written to this machine.

Which columns a source reads is the sources' knowledge
(:func:`contacts311.sources.reads_parquet_column`); a table of which no column is read, or
one that cannot be read this way, is copied whole and its reader explains what it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["MAGIC", "copy_columns", "may_be_parquet"]

#: The first and last four bytes of a Parquet file.
MAGIC = b"PAR1"
#: Object names that say text (or gzip, which a Parquet reader cannot seek): never probed.
_TEXT_SUFFIXES = (
    ".csv", ".tsv", ".txt", ".json", ".ndjson", ".jsonl", ".gz", ".xlsx", ".xlsm", ".md", ".yml",
    ".yaml", ".xml", ".html",
)  # fmt: skip


def may_be_parquet(name: str) -> bool:
    """Whether an object is worth probing for the Parquet magic bytes.

    A name only rules the probe out (``.csv``, ``.gz``...): such an object is copied whole and
    recognised by its content as usual, so a Parquet table named ``.csv`` is still read.
    """
    return not name.lower().endswith(_TEXT_SUFFIXES)


def copy_columns(fs: Any, key: str, target: Path, reads: Callable[[str], bool]) -> bool:
    """Copy the Parquet object ``key`` to ``target`` with only the columns ``reads`` accepts.

    A top-level column is copied when ``reads`` accepts its name or, for a struct, the dotted
    name of any of its fields (``Agent.ConnectedToAgentTimestamp``); it is then copied whole.

    Args:
        fs: The store's fsspec filesystem.
        key: The object's key in it.
        target: The local copy to write.
        reads: Whether a source reads a column, by its (dotted) name.

    Returns:
        ``True`` when ``target`` now holds the table; ``False`` when it is to be copied whole
        instead: not Parquet, not readable as Parquet, every column read, or none.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fs.cat_file(key, start=0, end=len(MAGIC)) != MAGIC:
        return False
    # No read-ahead: each read of the Parquet reader (the footer, one column chunk) is one
    # range request for exactly those bytes, so no part of a column left out is fetched.
    with fs.open(key, "rb", cache_type="none") as src:
        try:
            table = pq.ParquetFile(src)
            schema = table.schema_arrow
            kept = {f.name for f in schema if any(reads(n) for n in _names(f))}
            if not kept or len(kept) == len(schema) or len(set(schema.names)) < len(schema):
                return False
            _write(table, schema, kept, target)
        except (OSError, pa.ArrowException, ValueError, TypeError):
            # Not readable this way (a damaged footer reads as OSError too): the whole copy
            # comes next, where a fault of the store is retried and reported as usual, and a
            # damaged table is explained by its reader.
            return False
    return True


def _names(field: Any, prefix: str = "") -> list[str]:
    """The column's name and, for a struct, its fields' dotted names, at every depth."""
    import pyarrow as pa

    name = prefix + field.name
    if not pa.types.is_struct(field.type):
        return [name]
    return [name, *(n for child in field.type for n in _names(child, name + "."))]


def _write(table: Any, schema: Any, kept: set[str], target: Path) -> None:
    """Row group by row group: the kept columns as read, the others as nulls of their type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = pa.schema(
        [f if f.name in kept else f.with_nullable(True) for f in schema], metadata=schema.metadata
    )
    with pq.ParquetWriter(target, out) as writer:
        for group in range(table.num_row_groups):
            read = table.read_row_group(group, columns=[n for n in schema.names if n in kept])
            rows = read.num_rows
            columns = [
                read.column(f.name) if f.name in kept else pa.nulls(rows, f.type) for f in out
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=out))
