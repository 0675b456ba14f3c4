from pathlib import Path

import pandas as pd
import pytest

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.pipeline import InputFile
from contacts311.profile import default_profile
from contacts311.sources import events


def _file(tmp_path: Path, text: str) -> InputFile:
    p = tmp_path / "events.csv"
    p.write_text(text, encoding="utf-8")
    return InputFile(p, "events.csv", "events", {})


def test_sniff_and_registry_order():
    head = "date,end_date,label\n2024-01-13,2024-01-17,Winter storm\n"
    assert events.sniff(head)
    assert not events.sniff("year,population,source\n")
    assert sources.sniff(head) == "events"
    assert sources.sniff("fiscal_year,forecast_contacts,note\n") == "forecast"
    assert sources.sniff("year,population,source\n") == "population"


def test_read_events(tmp_path):
    f = _file(
        tmp_path,
        "date,end_date,label,notes\n"
        "2024-01-13,2024-01-17,Winter storm,ice\n"
        "03/05/2024,,News story\n",
    )
    result = events.read([f], default_profile())
    table = result.tables["events"]
    assert list(table.columns) == ["date", "end_date", "label", "source_file"]
    assert table["date"].tolist() == [pd.Timestamp("2024-01-13"), pd.Timestamp("2024-03-05")]
    # A blank end_date is a one-day event.
    assert table["end_date"].tolist() == [pd.Timestamp("2024-01-17"), pd.Timestamp("2024-03-05")]
    assert table["label"].tolist() == ["Winter storm", "News story"]
    frame = result.ledger.frame()
    assert frame[["bucket", "reason", "rows"]].values.tolist() == [
        ["excluded", "supporting_record", 2]
    ]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("date,end_date,label\n2024-01-17,2024-01-13,x\n", "before"),
        ("date,end_date,label\nyesterday,,x\n", "not a date"),
        ("date,end_date\n2024-01-01,\n", "label"),
        # An unquoted comma in a label would cut it short unseen.
        (
            "date,end_date,label\n2024-01-13,,Storm, ice\n",
            "line 2: this row has 4 cells but the header has 3",
        ),
    ],
)
def test_bad_input(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        events.read([_file(tmp_path, text)], default_profile())
