"""The ground truth: what the pipeline must count, per day and channel and per file.

Also the contacts the manual tracking missed (not in any export).
"""

from __future__ import annotations

from contacts311.sample.volumes import CHANNELS
from contacts311.sample.writer import SampleWriter, csv_text

_LEDGER_BASE = ["source_file", "rows_read", "counted", "duplicate", "excluded"]


def write_truth(w: SampleWriter, counted: dict, missed: dict) -> None:
    """``_truth/``: counted and missed contacts per day and channel, and the expected ledger.

    Written last: the ledger holds what every export written before recorded.
    """
    order = {c: i for i, c in enumerate(CHANNELS)}
    rows: list[list] = [["contact_date", "channel", "count"]]
    for (d, ch), n in sorted(counted.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        rows.append([d.isoformat(), ch, n])
    w.write("_truth/ground_truth.csv", csv_text(rows))
    rows = [["contact_date", "channel", "missed"]]
    for (d, ch), n in sorted(missed.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        rows.append([d.isoformat(), ch, n])
    w.write("_truth/missed_contacts.csv", csv_text(rows))
    reasons = sorted({k for e in w.ledger.values() for k in e if k.startswith("excluded_")})
    columns = [*_LEDGER_BASE, *reasons, "contacts"]
    rows = [columns]
    for rel in sorted(w.ledger):
        entry = w.ledger[rel]
        rows.append([rel, *[entry.get(c, 0) for c in columns[1:]]])
    w.write("_truth/expected_ledger.csv", csv_text(rows))
