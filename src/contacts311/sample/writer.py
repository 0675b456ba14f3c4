"""Writing the sample's files byte for byte the same every time, and their ledger."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from pathlib import Path


class SampleWriter:
    """Writes files under ``root`` deterministically and keeps the per-file ledger."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []
        self.ledger: dict[str, dict[str, int]] = {}

    def write(self, rel: str, text: str, compress: bool = False) -> None:
        """Write ``text`` as UTF-8 to ``rel`` under the root (gzip-compressed if asked)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if compress:
            # mtime=0 and no file name in the header: same input, same bytes.
            data = gzip.compress(data, compresslevel=9, mtime=0)
        path.write_bytes(data)
        self.files.append(rel)

    def record(
        self, rel: str, bucket: str, reason: str | None = None, rows: int = 1, contacts: int = 0
    ) -> None:
        """Count ``rows`` rows of ``rel`` in the expected ledger: bucket, reason and contacts."""
        entry = self.ledger.setdefault(rel, defaultdict(int))
        entry["rows_read"] += rows
        entry[bucket] += rows
        if reason:
            entry[f"excluded_{reason}"] += rows
        entry["contacts"] += contacts


def csv_text(rows: list[list], delimiter: str = ",", lineterminator: str = "\n") -> str:
    """``rows`` as delimited text, quoted the way the csv module quotes."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    w.writerows(rows)
    return buf.getvalue()
