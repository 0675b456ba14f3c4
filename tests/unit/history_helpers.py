"""Tiny history fixtures shared by test_history.py and test_history_revisions.py."""

import datetime as dt

import pandas as pd

from contacts311.history import data_as_of, figures_for_run, record_run

AS_OF = dt.date(2030, 1, 1)


def contacts_frame(rows):
    """Core-table rows ``(contact_date, channel, count, source_file)``."""
    return pd.DataFrame(rows, columns=["contact_date", "channel", "count", "source_file"]).assign(
        contact_date=lambda d: pd.to_datetime(d["contact_date"])
    )


def inputs_frame(files):
    """``Dataset.inputs`` rows from ``(source_file, format, sha256)``."""
    return pd.DataFrame(
        [
            {"source_file": f, "format": fmt, "sha256": sha, "bytes": 1, "rows_read": 1}
            for f, fmt, sha in files
        ]
    )


def record(path, run_id, contacts, inputs, columns=None):
    """Record one run with fixed time and rules; returns its figures."""
    figures = figures_for_run(contacts, inputs, as_of=AS_OF)
    record_run(
        path,
        run_id,
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        figures,
        inputs,
        columns or {},
        data_as_of(contacts),
        ["rule A"],
    )
    return figures
