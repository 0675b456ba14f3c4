"""The bundled sample (data/raw/sample) is up to date and the pipeline counts it exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from contacts311.ledger import ledger_wide
from contacts311.measures import period_totals
from contacts311.pipeline import load
from contacts311.sample import fake_pii_markers, write_sample

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"
TRUTH = SAMPLE / "_truth"


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


@pytest.fixture(scope="module")
def dataset():
    return load(SAMPLE)


def test_bundled_sample_is_byte_identical_to_a_fresh_run(tmp_path):
    summary = write_sample(tmp_path)  # the defaults: seed 311, end date 2026-10-31
    assert _files(tmp_path) == _files(SAMPLE) == summary.files
    differ = [f for f in summary.files if (tmp_path / f).read_bytes() != (SAMPLE / f).read_bytes()]
    assert differ == [], (
        "data/raw/sample is stale: run `contacts311 sample-data data/raw/sample --force`"
    )
    assert summary.bytes < 15_000_000


def test_daily_totals_per_channel_equal_the_ground_truth(dataset):
    got = dataset.contacts.groupby(["contact_date", "channel"])["count"].sum()
    got = got[got > 0].astype("int64")
    truth = pd.read_csv(TRUTH / "ground_truth.csv", parse_dates=["contact_date"])
    expected = truth.set_index(["contact_date", "channel"])["count"].astype("int64")
    both = pd.concat({"got": got, "expected": expected}, axis=1).fillna(0)
    wrong = both[both["got"] != both["expected"]]
    assert wrong.empty, f"{len(wrong)} day-channel totals differ, first:\n{wrong.head(10)}"


def test_ledger_per_file_equals_the_expected_ledger(dataset):
    expected = pd.read_csv(TRUTH / "expected_ledger.csv").set_index("source_file").sort_index()
    wide = ledger_wide(dataset.ledger)
    # README.md and _truth/ are listed as not exports (no rows), beside the files read.
    skipped = wide[wide["format"] == ""]
    assert sorted(skipped["source_file"]) == ["README.md", "_truth/"]
    assert skipped["rows_read"].sum() == 0
    got = wide[wide["format"] != ""].set_index("source_file").sort_index()
    assert list(got.index) == list(expected.index)
    for column in expected.columns:
        have = got[column] if column in got.columns else pd.Series(0, index=got.index)
        wrong = expected.index[have.to_numpy() != expected[column].to_numpy()]
        assert len(wrong) == 0, f"{column}: differs for {list(wrong[:5])}"


def test_published_fiscal_year_figures_come_out(dataset):
    table = period_totals(dataset.contacts, as_of=dt.date(2026, 11, 26)).set_index("period")
    assert table.loc["FY 2023-24", "total"] == 181_798
    assert table.loc["FY 2024-25", "total"] == 226_774
    assert not table.loc["FY 2024-25", "is_partial"]
    assert table.loc["FY 2026-27", "is_partial"]


def test_published_months_and_march_2024_channels_come_out(dataset):
    c = dataset.contacts
    month = c["contact_date"].dt.to_period("M")
    by_month = c.groupby(month)["count"].sum()
    assert [by_month[pd.Period(f"2024-0{m}", "M")] for m in (1, 2, 3)] == [13_723, 13_649, 14_974]
    assert [by_month[pd.Period(f"2023-0{m}", "M")] for m in (1, 2, 3)] == [12_004, 11_244, 13_824]
    march = c[month == pd.Period("2024-03", "M")].groupby("channel")["count"].sum()
    assert march["phone"] == 12_698
    assert march["email"] + march["webform"] == 1_634
    assert march["in_person"] == 642


def test_no_fake_personal_data_leaves_the_loaders(dataset):
    frames = {"contacts": dataset.contacts, "ledger": dataset.ledger, "inputs": dataset.inputs}
    frames.update({f"tables[{k}]": v for k, v in dataset.tables.items()})
    texts = list(dataset.notes)
    for name, frame in frames.items():
        for column in frame.columns:
            texts.append(f"{name}.{column}")
            values = frame[column].dropna()
            if values.dtype == object or pd.api.types.is_string_dtype(values):
                texts.extend(str(v) for v in values.unique())
    for file, header in dataset.columns.items():
        texts.append(file)
        # Header names such as "Requester email" are fine; values are what must not leak.
        texts.extend(h for h in header if "@" in h or "555-" in h)
    blob = "\n".join(texts)
    leaked = [m for m in fake_pii_markers() if m in blob]
    assert leaked == []
    # The markers are real: the raw exports do contain them.
    raw = (SAMPLE / "zendesk" / "incremental" / "users.ndjson.gz").read_bytes()
    import gzip

    assert b"example.org" in gzip.decompress(raw)
