"""Avaya CMS ``layouts``: the two layouts and finding a file's header."""

from __future__ import annotations

import pytest
from avaya_cms_helpers import HSPLIT, TAB_REPORT
from avaya_cms_helpers import counts as _counts
from avaya_cms_helpers import read as _read
from avaya_cms_helpers import write as _write

from contacts311.errors import InputError
from contacts311.sources import avaya_cms


def test_sniff():
    assert avaya_cms.sniff(TAB_REPORT)
    assert avaya_cms.sniff(HSPLIT)
    assert avaya_cms.sniff("\ufeffDay,Split,Split/Skill Name,ACD Calls,Aban Calls\r\n")
    zendesk = (
        "ID,Requester,Requester ID,Requester external id,Requester email,Requester domain,Submitter,"
        "Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,Updated at\n"
        "101,Ann,5,,ann@example.org,example.org,Ann,Bob,311,Pothole,,Solved,Normal,Web form,,"
        "2024-03-11 09:15:02,2024-03-11 10:00:00\n"
    )
    assert not avaya_cms.sniff(zendesk)
    assert not avaya_cms.sniff('{"tickets": [{"id": 1}]}')
    assert not avaya_cms.sniff("")
    assert not avaya_cms.sniff("date,skill,calls\n2023-07-01,101,5\n")  # no ACD Calls column


def test_date_column_preferred_over_a_day_of_week_column(tmp_path):
    text = "Day\tDate\tSkill\tACD Calls\tAban Calls\nMon\t07/03/2023\t101\t6\t1\n"
    _write(tmp_path, "d.txt", text)
    assert _counts(_read(tmp_path, ["d.txt"])) == {("2023-07-03", "101"): 6}


def test_no_header_is_an_error(tmp_path):
    _write(tmp_path, "x.txt", "just a note\nnothing here\n")
    with pytest.raises(InputError, match="no column header"):
        _read(tmp_path, ["x.txt"])
