"""Avaya CMS ``duplicates``: overlapping exports."""

from __future__ import annotations

import pytest
from avaya_cms_helpers import HSPLIT, TAB_REPORT
from avaya_cms_helpers import bucket_rows as _bucket_rows
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError
from contacts311.ledger import ledger_wide


def test_overlapping_exports_same_values_are_duplicates(tmp_path):
    _write(tmp_path, "a.txt", TAB_REPORT)
    later = (
        "Date\tSplit/Skill\tACD Calls\tAban Calls\n"
        "07/02/2023\t101\t90\t5\n"  # same as a.txt line 9
        "07/03/2023\t101\t80\t4\n"
    )
    _write(tmp_path, "b.txt", later)
    result = _read(tmp_path, ["b.txt", "a.txt"])  # order given does not matter: sorted by name
    assert _counts(result) == {
        ("2023-07-01", "General"): 120,
        ("2023-07-01", "Spanish"): 15,
        ("2023-07-02", "General"): 90,
        ("2023-07-03", "General"): 80,
    }
    assert _bucket_rows(result, "b.txt") == {
        ("counted", ""): 1,
        ("duplicate", "same_key_same_values"): 1,
    }
    wide = ledger_wide(result.ledger.frame()).set_index("source_file")
    assert wide.loc["b.txt", "duplicate"] == 1
    assert wide.loc["a.txt", "contacts"] == 225  # 120 + 15 + 90
    assert wide.loc["b.txt", "contacts"] == 80
    assert (wide["rows_read"] == wide["counted"] + wide["excluded"] + wide["duplicate"]).all()


def test_conflicting_duplicate_names_files_lines_key_and_values(tmp_path):
    _write(tmp_path, "a.txt", TAB_REPORT)
    _write(
        tmp_path, "b.txt", "Date\tSplit/Skill\tACD Calls\tAban Calls\n\n07/02/2023\t101\t91\t5\n"
    )
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["a.txt", "b.txt"])
    text = str(err.value)
    assert "skill 101, 2023-07-02" in text
    assert "a.txt line 9" in text and "b.txt line 3" in text
    assert "is 90 in" in text and "but 91 in" in text


def test_daily_row_equal_to_interval_sum_is_a_duplicate(tmp_path):
    text = HSPLIT + "2023-07-03,0,1440,1,101,10,1,11,,,\n"  # 4+6, 1+0, 5+6
    _write(tmp_path, "h.csv", text)
    result = _read(tmp_path, ["h.csv"])
    assert _counts(result)[("2023-07-03", "101")] == 10
    assert _bucket_rows(result, "h.csv") == {
        ("counted", ""): 4,
        ("duplicate", "daily_row_equals_intervals"): 1,
    }


def test_daily_row_different_from_interval_sum_is_an_error(tmp_path):
    _write(tmp_path, "h.csv", HSPLIT + "2023-07-03,0,1440,1,101,12,1,13,,,\n")
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["h.csv"])
    assert err.value.line == 6
    assert "acd_calls 12" in err.value.message and "sum to 10" in err.value.message
    assert "lines 2-3" in err.value.message
