"""Zendesk times: local CSV times and UTC JSON times, daylight saving, zones and errors.

Every expected value below is worked out by hand from the inline data.
"""

from __future__ import annotations

import pandas as pd
import pytest
from zendesk_helpers import CSV_HEADER
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import ndjson as _ndjson
from zendesk_helpers import profile as _profile
from zendesk_helpers import ticket as _ticket

from contacts311.errors import InputError, InputWarning
from contacts311.sources import zendesk
from contacts311.sources.zendesk import times


def test_csv_and_json_copies_compare_in_utc(tmp_path):
    # CSV times are Pacific (PST, UTC-8 in March before the 10th): 10:30 local = 18:30Z.
    csv_text = (
        CSV_HEADER
        + "\n301,Ann,a@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 10:30:00,1,311,Email,d"
        + "\n302,Bo,b@x.org,Hi,,Solved,Mail,2024-03-05 09:00:00,2024-03-05 10:30:00,1,311,Email,d\n"
    )
    json_copies = [
        # 18:00Z is earlier than 18:30Z: the CSV copy wins (a naive comparison would say 18:00 > 10:30)
        _ticket(301, "2024-03-05T17:00:00Z", "2024-03-05T18:00:00Z", status="deleted"),
        # 19:00Z is later than 18:30Z: the JSON copy wins
        _ticket(302, "2024-03-05T17:00:00Z", "2024-03-05T19:00:00Z", status="deleted"),
    ]
    files = _files(tmp_path, {"a.csv": csv_text, "b.ndjson": _ndjson(json_copies)})
    result = zendesk.read(files, _profile())
    assert result.contacts["contact_id"].tolist() == ["301"]
    assert _ledger(result) == {
        ("a.csv", "counted", "handled_fallback"): 1,
        ("a.csv", "duplicate", "duplicate"): 1,
        ("b.ndjson", "duplicate", "duplicate"): 1,
        ("b.ndjson", "excluded", "deleted"): 1,
    }


def test_json_ticket_counts_on_its_local_creation_date(tmp_path):
    tickets = [
        # 05:30Z on 6 March = 21:30 PST on 5 March
        _ticket(1, "2024-03-06T05:30:00Z", status="solved"),
        # 06:59:59Z on 1 July = 23:59:59 PDT on 30 June (last second of FY 2023-24)
        _ticket(2, "2024-07-01T06:59:59Z", status="solved"),
        # 07:00:00Z on 1 July = midnight PDT: the new fiscal year
        _ticket(3, "2024-07-01T07:00:00Z", status="solved"),
    ]
    files = _files(tmp_path, {"t.ndjson": _ndjson(tickets)})
    result = zendesk.read(files, _profile())
    got = result.contacts.set_index("contact_id")["contact_date"].dt.strftime("%Y-%m-%d").to_dict()
    assert got == {"1": "2024-03-05", "2": "2024-06-30", "3": "2024-07-01"}
    assert result.contacts["contact_date"].dtype == "datetime64[ns]"


def test_local_times_dst_gap_shifts_forward_and_repeat_takes_first():
    values = pd.Series(
        [
            "2024-03-10 02:30:00",  # does not exist in Los Angeles: shifted to 03:00 PDT = 10:00Z
            "2024-11-03 01:30:00",  # happens twice: first occurrence is PDT (UTC-7) = 08:30Z
            "2024-01-15 12:00:00",  # PST (UTC-8) = 20:00Z
            "03/05/2024 9:05 PM",  # US style, PST = 05:05Z next day
        ]
    )
    utc, local = times.parse_local_times(
        values, "f.csv", "Created at", [2, 3, 4, 5], "America/Los_Angeles"
    )
    assert [str(t) for t in utc] == [
        "2024-03-10 10:00:00",
        "2024-11-03 08:30:00",
        "2024-01-15 20:00:00",
        "2024-03-06 05:05:00",
    ]
    assert [d.strftime("%Y-%m-%d") for d in local] == [
        "2024-03-10",
        "2024-11-03",
        "2024-01-15",
        "2024-03-05",
    ]


def test_dst_repeat_decides_which_copy_is_latest(tmp_path):
    # CSV updated 01:30 on the fall-back night = 08:30Z (first occurrence); the JSON copy at
    # 09:00Z is later, so it wins. Had the second occurrence (09:30Z) been taken, the CSV would win.
    csv_text = (
        CSV_HEADER
        + "\n401,Ann,a@x.org,Hi,,Solved,Mail,2024-11-02 09:00:00,2024-11-03 01:30:00,1,311,Email,d\n"
    )
    files = _files(
        tmp_path,
        {
            "a.csv": csv_text,
            "b.ndjson": _ndjson(
                [_ticket(401, "2024-11-02T16:00:00Z", "2024-11-03T09:00:00Z", status="deleted")]
            ),
        },
    )
    result = zendesk.read(files, _profile())
    assert result.contacts.empty
    assert _ledger(result)[("b.ndjson", "excluded", "deleted")] == 1


def _created_dates(tmp_path, created: list[str]) -> list[str]:
    """Local contact dates (America/Los_Angeles, the default) of tickets created at ``created``."""
    tickets = [_ticket(i + 1, c, status="solved") for i, c in enumerate(created)]
    result = zendesk.read(_files(tmp_path, {"t.ndjson": _ndjson(tickets)}), _profile())
    frame = result.contacts.sort_values("contact_id")
    return [d.strftime("%Y-%m-%d") for d in frame["contact_date"]]


def test_json_times_with_a_zone_or_an_offset_are_utc(tmp_path):
    # 07:30Z and 09:30+02:00 are the same instant: 23:30 the evening before in Portland.
    assert _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "2024-03-10T09:30:00+02:00"]) == [
        "2024-03-09",
        "2024-03-09",
    ]


def test_json_time_without_a_zone_is_taken_as_utc_with_a_warning(tmp_path):
    with pytest.warns(InputWarning) as caught:
        dates = _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "2024-03-10T07:30:00"])
    assert dates == ["2024-03-09", "2024-03-09"]
    messages = [str(w.message) for w in caught]
    for column in ("created_at", "updated_at"):  # the ticket's updated_at defaults to created_at
        assert any(f"1 {column} time(s) have no time zone" in m for m in messages), messages


def test_unreadable_json_time_names_line_and_column(tmp_path):
    with pytest.raises(InputError) as info:
        _created_dates(tmp_path, ["2024-03-10T07:30:00Z", "yesterday"])
    err = info.value
    assert (err.file, err.line, err.column) == ("t.ndjson", 2, "created_at")
    assert "'yesterday'" in err.message


def test_bad_json_timestamp_names_line_and_value(tmp_path):
    recs = [_ticket(1, "2024-03-05T09:00:00Z"), _ticket(2, "5 March 2024")]
    with pytest.raises(InputError) as info:
        zendesk.read(_files(tmp_path, {"t.ndjson.gz": _ndjson(recs)}), _profile())
    err = info.value
    assert (err.file, err.line, err.column) == ("t.ndjson.gz", 2, "created_at")
    assert "'5 March 2024'" in err.message and "ISO-8601" in err.message


def test_local_times_with_an_explicit_offset_use_it():
    values = pd.Series(["2024-03-05T23:30:00-05:00", "2024-03-05 09:00:00"])
    utc, local = times.parse_local_times(
        values, "f.csv", "Created at", [2, 3], "America/Los_Angeles"
    )
    # 23:30 at UTC-5 = 04:30Z on the 6th = 20:30 PST on the 5th; 09:00 PST = 17:00Z
    assert [str(t) for t in utc] == ["2024-03-06 04:30:00", "2024-03-05 17:00:00"]
    assert [str(t) for t in local] == ["2024-03-05 20:30:00", "2024-03-05 09:00:00"]
