"""Avaya CMS ``rules``: formulas, per-file options and skills."""

from __future__ import annotations

import pytest
from avaya_cms_helpers import HSPLIT, TAB_REPORT
from avaya_cms_helpers import bucket_rows as _bucket_rows
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import profile as _profile
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError


def test_skill_names_from_a_report_name_hsplit_queues(tmp_path):
    _write(tmp_path, "a_report.txt", TAB_REPORT)
    _write(tmp_path, "b_hsplit.csv", HSPLIT)
    result = _read(tmp_path, ["a_report.txt", "b_hsplit.csv"])
    assert _counts(result)[("2023-07-03", "General")] == 10
    assert _counts(result)[("2023-07-03", "Spanish")] == 2


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # hsplit 07-03 skill 101: ACD 4+6=10, aban 1+0=1, offered 5+6=11; skill 102: 2, 3, 5.
        ("acd_calls", {("2023-07-03", "101"): 10, ("2023-07-03", "102"): 2}),
        ("calls_offered", {("2023-07-03", "101"): 11, ("2023-07-03", "102"): 5}),
    ],
)
def test_formulas_on_interval_sums(tmp_path, formula, expected):
    _write(tmp_path, "h.csv", HSPLIT.rsplit("2023-07-04", 1)[0])
    assert _counts(_read(tmp_path, ["h.csv"], _profile(formula=formula))) == expected


def test_acd_minus_abandoned_is_taken_on_skill_day_sums(tmp_path):
    text = (
        "row_date,starttime,intrvl,split,acdcalls,abncalls\n"
        "2023-07-03,700,30,101,1,3\n"  # more abandoned than answered in one interval: allowed
        "2023-07-03,730,30,101,9,2\n"
    )
    _write(tmp_path, "h.csv", text)
    profile = _profile(formula="acd_minus_abandoned")
    result = _read(tmp_path, ["h.csv"], profile)
    assert _counts(result) == {("2023-07-03", "101"): 5}  # (1 + 9) - (3 + 2)
    assert int(result.ledger.frame()["contacts"].sum()) == 5
    assert any("SUM(ACD Calls) - SUM(Abandoned Calls)" in n for n in profile.rules_text())


def test_acd_minus_abandoned_negative_skill_day_is_an_error(tmp_path):
    text = "row_date,split,acdcalls,abncalls\n2023-07-03,101,2,5\n"
    _write(tmp_path, "h.csv", text)
    with pytest.raises(InputError) as err:
        _read(tmp_path, ["h.csv"], _profile(formula="acd_minus_abandoned"))
    assert err.value.file == "h.csv"
    assert err.value.line == "2"
    assert "-3" in err.value.message and "skill 101" in err.value.message


def test_calls_offered_formula_needs_the_column(tmp_path):
    _write(tmp_path, "h.csv", "row_date,split,acdcalls,abncalls\n2023-07-03,101,2,1\n")
    with pytest.raises(InputError, match="calls offered"):
        _read(tmp_path, ["h.csv"], _profile(formula="calls_offered"))


def test_per_file_option_overrides_the_profile_formula(tmp_path):
    _write(tmp_path, "report.txt", TAB_REPORT)
    result = _read(tmp_path, ["report.txt"], options={"formula": "calls_offered"})
    # Calls Offered column: 130, 18, 95.
    assert sorted(_counts(result).values()) == [18, 95, 130]
    assert any("report.txt: per-file rules" in n for n in result.notes)
    with pytest.raises(InputError, match="unknown avaya_cms option"):
        _read(tmp_path, ["report.txt"], options={"fomula": "acd_calls"})


def test_skill_filter_and_exclusion_by_number_or_name(tmp_path):
    _write(tmp_path, "report.txt", TAB_REPORT)
    only_101 = _read(tmp_path, ["report.txt"], _profile(skills=["101"]))
    assert _counts(only_101) == {("2023-07-01", "General"): 120, ("2023-07-02", "General"): 90}
    assert _bucket_rows(only_101, "report.txt")[("excluded", "skill_not_counted")] == 1

    no_general = _read(tmp_path, ["report.txt"], _profile(exclude_skills=["general"]))
    assert _counts(no_general) == {("2023-07-01", "Spanish"): 15}
    assert _bucket_rows(no_general, "report.txt") == {
        ("counted", ""): 1,
        ("excluded", "skill_not_counted"): 2,
        ("excluded", "summary_row"): 1,
    }
    assert no_general.ledger.unbalanced() == []
