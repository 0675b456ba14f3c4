"""Saying what an unrecognised file holds, and the nearest known layout with what it lacks."""

import gzip
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contacts311 import sources
from contacts311.errors import InputError
from contacts311.inputs import discover
from contacts311.profile import default_profile
from contacts311.recognition import HEADER, LAYOUTS, describe, nearest, unrecognised
from contacts311.sources._base import read_head

# One data line below each header, so a sniffer that wants a row sees one.
_ROW = "\n1,2,3,4\n"


def _header(layout, drop=None) -> str:
    names = [r[0] for i, r in enumerate(layout.required) if i != drop]
    return ",".join(n.replace("<year>", "2023") for n in names) + _ROW


def _json_lines(layout, drop=None) -> str:
    keys = [r[0] for i, r in enumerate(layout.required) if i != drop]
    record = "{" + ", ".join(f'"{k}": "x"' for k in keys) + "}"
    return f"{record}\n{record}\n"


def _head(layout, drop=None) -> str:
    return (_header if HEADER in layout.shapes else _json_lines)(layout, drop)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay.format}:{lay.label}")
def test_each_declared_layout_is_what_its_sniffer_recognises(layout):
    # The declarations name what each sniff() needs: all of it is recognised ...
    assert sources.get(layout.format).sniff(_head(layout))
    # ... and without any one required name it is not.
    for i in range(len(layout.required)):
        assert not sources.get(layout.format).sniff(_head(layout, drop=i)), layout.required[i]


def test_a_json_array_is_described_by_its_first_objects_keys():
    seen = describe('[{"id": 7, "subject": "pothole", "created_at": "2024-03-11T16:15:02Z"}]')
    assert seen.text == "a JSON array of objects with keys id, subject, created_at"
    assert nearest(seen) == "nearest: Zendesk tickets (zendesk), lacks 'status'"


def test_json_lines_are_described_by_the_first_records_keys():
    seen = describe('{"ContactId": "a", "Channel": "VOICE"}\n{"ContactId": "b"}\n')
    assert seen.text == "JSON lines with keys ContactId, Channel"
    assert nearest(seen) == (
        "nearest: Amazon Connect contact records (amazon_connect), lacks 'InitiationTimestamp'"
    )


def test_a_json_object_names_the_keys_of_the_records_it_holds():
    seen = describe('{"count": 1, "data": [{"ticket_id": 1, "updater": 2}]}')
    assert seen.text == (
        "a JSON object with keys count, data; its 'data' holds objects with keys ticket_id, updater"
    )
    assert nearest(seen) == (
        "nearest: Zendesk ticket events (zendesk), lacks 'updater_id' ('updater' is close)"
    )


def test_a_json_array_of_connect_records_is_told_what_it_lacks():
    # Connect records are read as an array too: only the missing key is worth saying.
    seen = describe('[{"ContactId": "a", "Channel": "VOICE"}]')
    assert nearest(seen) == (
        "nearest: Amazon Connect contact records (amazon_connect), lacks 'InitiationTimestamp'"
    )


def test_a_csv_header_lists_its_columns_and_the_nearest_layout_what_it_lacks():
    seen = describe("ID,Subject,Status,Created,Updated at\n1,x,open,2024-01-05,2024-01-05\n")
    assert seen.text == "a CSV header with columns ID, Subject, Status, Created, Updated at"
    assert nearest(seen) == (
        "nearest: Zendesk Support CSV export (zendesk), lacks 'Created at' ('Created' is close)"
    )


def test_a_header_below_title_lines_is_found_and_its_line_given():
    seen = describe("311 Multi-Day Multi-Skill\n\nDate\tSkill\tCalls\n3/5/2024\t1\t4\n")
    assert (seen.text, seen.line) == (
        "a tab-delimited header on line 3 with columns Date, Skill, Calls",
        3,
    )
    assert nearest(seen) == (
        "nearest: Avaya CMS Supervisor report (avaya_cms), lacks 'ACD Calls' ('Calls' is close)"
    )


def test_a_long_header_is_shortened():
    seen = describe(",".join(f"c{i}" for i in range(12)) + "\n")
    assert seen.text == "a CSV header with columns c0, c1, c2, c3, c4, c5, c6, c7, ... (12 in all)"


def test_nothing_near_gives_no_nearest():
    assert nearest(describe("alpha,beta\n1,2\n")) is None


def test_the_error_says_what_was_seen_the_nearest_and_the_known_formats(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("ID,Status,Created at,Updated\n1,open,2024-01-05,2024-01-05\n")
    message = str(unrecognised(path, path.read_text()))
    assert message == (
        f"{path}, line 1: not recognised as any known export: it holds a CSV header with columns "
        "ID, Status, Created at, Updated; nearest: Zendesk Support CSV export (zendesk), lacks "
        "'Updated at' ('Updated' is close); known formats: " + ", ".join(sources.FORMATS)
    )


def test_a_semicolon_header_keeps_its_delimiter_hint(tmp_path):
    path = tmp_path / "hsplit.csv"
    path.write_text("row_date;split;acdcalls;abncalls\n2024-01-05;1;4;0\n")
    message = str(unrecognised(path, path.read_text()))
    assert "semicolon-delimited header with columns row_date, split, acdcalls, abncalls" in message
    assert "the header looks semicolon-delimited, expected comma- or tab-delimited" in message
    assert "nearest: Avaya CMS hsplit dump (avaya_cms), whose columns are all there" in message


def test_an_unrelated_header_points_at_the_counts_format(tmp_path):
    path = tmp_path / "daily.csv"
    path.write_text("Month,Total\n2024-01,4\n")
    message = str(unrecognised(path, path.read_text()))
    assert "a profile 'sources' entry of format counts" in message


def _gzip(data: bytes, path):
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def test_a_gzip_compressed_parquet_is_described_by_its_columns(tmp_path):
    buf = io.BytesIO()
    pq.write_table(pa.table({"sku": [1], "price": [2.5]}), buf)
    path = _gzip(buf.getvalue(), tmp_path / "items.parquet.gz")
    message = str(unrecognised(path, read_head(path)))
    assert message.startswith(
        f"{path}, line 1: not recognised as any known export: it holds a gzip-compressed "
        "Parquet table with columns sku, price;"
    )


def test_a_damaged_gzip_compressed_parquet_is_said_to_be_unreadable(tmp_path):
    path = _gzip(b"PAR1" + b"\0" * 40, tmp_path / "cut.parquet.gz")
    assert read_head(path) == ""
    message = str(unrecognised(path, read_head(path)))
    assert message == (
        f"{path}: not a readable Parquet table (its schema cannot be read); re-export it"
    )


def test_an_empty_gzip_file_is_said_to_be_empty(tmp_path):
    # Beside a valid export, an empty e.json.gz was "not a text export (binary content)".
    (tmp_path / "phone.csv").write_text("row_date,split,acdcalls,abncalls\n2024-03-01,1,5,0\n")
    path = _gzip(b"", tmp_path / "e.json.gz")
    assert read_head(path) == ""
    with pytest.raises(InputError) as err:
        discover(tmp_path, default_profile())
    assert str(err.value) == (
        f"{path}, line 1: empty file (0 bytes after gzip decompression); expected an export "
        "with a header row (re-export it)"
    )


def test_a_damaged_gzip_file_is_not_called_empty(tmp_path):
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(b'{"id": 1}\n', mtime=0)[:12])  # cut inside the stream
    assert "binary content" in str(unrecognised(path, read_head(path)))
