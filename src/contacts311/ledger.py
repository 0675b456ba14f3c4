"""The ledger: where every row read from every file went.

Every row read lands in exactly one bucket: ``counted``, ``excluded`` (with a reason) or
``duplicate``. Reference tables (Zendesk users, ticket events, population) are ``excluded``
with reason ``supporting_record``: they are read as evidence, not counted as contacts.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

__all__ = ["BUCKETS", "LEDGER_COLUMNS", "LedgerBuilder", "ledger_wide", "uncounted_reasons"]

BUCKETS = ("counted", "excluded", "duplicate")
LEDGER_COLUMNS = ["source_file", "format", "bucket", "reason", "rows", "contacts"]


def _zero_pair() -> list[int]:
    # A named function, not a lambda, so a LedgerBuilder can be pickled (the read cache).
    return [0, 0]


class LedgerBuilder:
    """Collects rows read and their buckets for the files of one source."""

    def __init__(self, format_name: str) -> None:
        self.format = format_name
        self.rows_read: dict[str, int] = {}
        self._buckets: dict[tuple[str, str, str], list[int]] = defaultdict(_zero_pair)

    def read(self, source_file: str, rows: int) -> None:
        """Record that ``rows`` data rows were read from ``source_file``."""
        self.rows_read[source_file] = self.rows_read.get(source_file, 0) + int(rows)

    def add(self, source_file: str, bucket: str, reason: str, rows: int, contacts: int = 0) -> None:
        """Put ``rows`` rows of ``source_file`` into ``bucket`` (``reason`` says why)."""
        if bucket not in BUCKETS:
            raise ValueError(f"unknown ledger bucket {bucket!r}")
        if rows:
            cell = self._buckets[(source_file, bucket, reason)]
            cell[0] += int(rows)
            cell[1] += int(contacts)

    def add_frame(self, frame: pd.DataFrame, contacts_column: str | None = None) -> None:
        """Add rows grouped by ``source_file``, ``bucket`` and ``reason`` columns of ``frame``."""
        if frame.empty:
            return
        keys = ["source_file", "bucket", "reason"]
        if contacts_column is None:
            grouped = frame.groupby(keys, sort=False, observed=True).size()
            for (f, b, r), n in grouped.items():
                self.add(f, b, r, n, n if b == "counted" else 0)
        else:
            grouped = frame.groupby(keys, sort=False, observed=True)[contacts_column].agg(
                ["size", "sum"]
            )
            for (f, b, r), row in grouped.iterrows():
                self.add(f, b, r, row["size"], row["sum"] if b == "counted" else 0)

    def frame(self) -> pd.DataFrame:
        """The long ledger: one row per file, bucket and reason."""
        rows = [
            {
                "source_file": f,
                "format": self.format,
                "bucket": b,
                "reason": r,
                "rows": v[0],
                "contacts": v[1],
            }
            for (f, b, r), v in self._buckets.items()
        ]
        # Files with no data rows still appear, so an empty export is visible in the ledger.
        seen = {f for f, _, _ in self._buckets}
        rows += [
            {
                "source_file": f,
                "format": self.format,
                "bucket": "excluded",
                "reason": "no_data_rows",
                "rows": 0,
                "contacts": 0,
            }
            for f in self.rows_read
            if f not in seen
        ]
        return pd.DataFrame(rows, columns=LEDGER_COLUMNS).astype(
            {"rows": "int64", "contacts": "int64"}
        )

    def unbalanced(self) -> list[str]:
        """Files whose buckets do not add up to the rows read (an internal error)."""
        placed: dict[str, int] = defaultdict(int)
        for (f, _, _), v in self._buckets.items():
            placed[f] += v[0]
        files = set(placed) | set(self.rows_read)
        return [
            f"{f}: read {self.rows_read.get(f, 0)}, placed {placed.get(f, 0)}"
            for f in sorted(files)
            if placed.get(f, 0) != self.rows_read.get(f, 0)
        ]


def ledger_wide(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per file: rows read, counted, duplicates, excluded by reason, contacts counted.

    ``rows_read == counted + duplicate + excluded`` holds on every row.
    """
    if ledger.empty:
        return pd.DataFrame(
            columns=[
                "source_file",
                "format",
                "rows_read",
                "counted",
                "duplicate",
                "excluded",
                "contacts",
            ]
        )
    files = ledger.groupby(["source_file", "format"], sort=True)
    out = files["rows"].sum().rename("rows_read").to_frame()
    for bucket in BUCKETS:
        out[bucket] = (
            ledger[ledger["bucket"] == bucket].groupby(["source_file", "format"])["rows"].sum()
        )
    out["contacts"] = (
        ledger[ledger["bucket"] == "counted"].groupby(["source_file", "format"])["contacts"].sum()
    )
    excluded = ledger[ledger["bucket"] == "excluded"]
    for reason in sorted(excluded["reason"].unique()):
        part = excluded[excluded["reason"] == reason]
        out[f"excluded_{reason}"] = part.groupby(["source_file", "format"])["rows"].sum()
    out = out.fillna(0).astype("int64").reset_index()
    return out


def uncounted_reasons(ledger: pd.DataFrame) -> list[tuple[str, int]]:
    """Rows that gave no contact, by reason, most rows first (ties by reason).

    Excluded and duplicate rows under their reason; counted rows whose count was 0 under
    ``count_zero``. What a run that counted nothing says about where its rows went.
    """
    if ledger.empty:
        return []
    zero = (ledger["bucket"] == "counted") & (ledger["contacts"] == 0)
    rows = ledger[(ledger["bucket"] != "counted") | zero]
    reasons = rows["reason"].astype(str).where(rows["bucket"] != "counted", "count_zero")
    per = rows["rows"].groupby(reasons).sum()
    per = per[per > 0]
    return sorted(((str(r), int(n)) for r, n in per.items()), key=lambda rn: (-rn[1], rn[0]))
