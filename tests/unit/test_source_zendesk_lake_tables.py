"""Zendesk data-lake tables: Parquet (nested or flattened columns) and flattened CSV.

The Parquet files are written in each test from the JSON fixtures of tests/data/zendesk or from
inline tables; every expected value is worked out by hand (see test_source_zendesk_rules.py for
the fixtures' story: 35436 and 35437 counted, both on 5 March 2024).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from zendesk_helpers import DATA
from zendesk_helpers import files as _files
from zendesk_helpers import ledger as _ledger
from zendesk_helpers import profile as _profile

from contacts311.cli import main
from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.sources import zendesk
from contacts311.sources._base import read_head
from contacts311.sources.zendesk.lake_tables import table_kind

_RULES = {"contact_type_field_id": 360, "agent_user_field": "pdx311_csr"}


def _records(name: str, key: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))[key]


def _nested(tmp_path):
    """The fixtures as a data lake holds them nested: structs and lists as in the JSON."""
    tables = {
        "tickets.parquet": _records("incremental_tickets.json", "tickets"),
        "ticket_events.parquet": _records("incremental_ticket_events.json", "ticket_events"),
        "users.parquet": _records("incremental_users.json", "users"),
    }
    for name, recs in tables.items():
        pq.write_table(pa.Table.from_pylist(recs), tmp_path / name)
    return [InputFile(tmp_path / n, n, "zendesk") for n in tables]


def _stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", ""))


def _flat_tickets() -> pa.Table:
    """The fixture's tickets flattened: via_channel, field_<id>, tags as text, timestamps."""
    recs = _records("incremental_tickets.json", "tickets")
    stamp = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "id": pa.array([float(r["id"]) for r in recs]),  # ids as floats, as some tools write
            "subject": [r["subject"] for r in recs],
            "created_at": pa.array([_stamp(r["created_at"]) for r in recs], stamp),
            # a time without a zone: UTC, as Zendesk's
            "updated_at": pa.array([_stamp(r["updated_at"]) for r in recs], pa.timestamp("us")),
            "status": pa.array([r["status"] for r in recs]).dictionary_encode(),
            "tags": [" ".join(r["tags"]) for r in recs],
            "via_channel": [r["via"]["channel"] for r in recs],
            "field_27642": ["745"] * len(recs),
            "field_360": [r["custom_fields"][1]["value"] for r in recs],
        }
    )


def _flat(tmp_path):
    events = _records("incremental_ticket_events.json", "ticket_events")
    users = _records("incremental_users.json", "users")
    pq.write_table(_flat_tickets(), tmp_path / "tickets.parquet")
    pq.write_table(
        pa.table(
            {
                "ticket_id": [e["ticket_id"] for e in events],
                "updater_id": [str(e["updater_id"]) for e in events],  # ids as text
                "created_at": [e["created_at"] for e in events],  # times as text
            }
        ),
        tmp_path / "ticket_events.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "id": [u["id"] for u in users],
                "name": [u["name"] for u in users],
                "role": [u["role"] for u in users],
                "user_fields_pdx311_csr": [u["user_fields"]["pdx311_csr"] for u in users],
            }
        ),
        tmp_path / "users.parquet",
    )
    names = ("tickets.parquet", "ticket_events.parquet", "users.parquet")
    return [InputFile(tmp_path / n, n, "zendesk") for n in names]


def _expected(result, tickets="tickets.parquet"):
    counted = result.contacts.sort_values("contact_id")
    assert counted["contact_id"].tolist() == ["35436", "35437"]
    assert counted["channel"].tolist() == ["email", "webform"]
    assert counted["contact_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05"] * 2
    reasons = {r: n for (f, _, r), n in _ledger(result).items() if f == tickets}
    assert reasons == {
        "agent_event": 2,
        "no_agent_event": 2,
        "phone_type": 1,
        "deleted": 1,
        "spam_or_test": 1,
    }


def test_nested_parquet_tables(tmp_path):
    files = _nested(tmp_path)
    assert all(zendesk.sniff(read_head(f.path)) for f in files)
    result = zendesk.read(files, _profile(**_RULES))
    _expected(result)
    assert _ledger(result)[("ticket_events.parquet", "excluded", "supporting_record")] == 6
    assert _ledger(result)[("users.parquet", "excluded", "supporting_record")] == 4


def test_flattened_parquet_tables(tmp_path):
    files = _flat(tmp_path)
    assert all(zendesk.sniff(read_head(f.path)) for f in files)
    _expected(zendesk.read(files, _profile(**_RULES)))


def test_gzip_compressed_parquet_tables_read_like_plain_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    files = []
    for f in _nested(tmp_path):  # tickets.parquet.gz, ..., as a data lake's export may hold them
        gz = f.path.with_name(f.name + ".gz")
        gz.write_bytes(gzip.compress(f.path.read_bytes(), mtime=0))
        f.path.unlink()
        files.append(InputFile(gz, gz.name, "zendesk"))
    assert all(zendesk.sniff(read_head(f.path)) for f in files)
    result = zendesk.read(files, _profile(**_RULES))
    _expected(result, tickets="tickets.parquet.gz")
    assert _ledger(result)[("users.parquet.gz", "excluded", "supporting_record")] == 4
    assert list((tmp_path / "tmp").iterdir()) == []  # the decompressed copies are gone


def test_a_gzip_compressed_parquet_of_no_zendesk_kind_is_an_error_leaving_no_copy(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    pq.write_table(pa.table({"sku": [1], "price": [2.5]}), tmp_path / "x.parquet")
    gz = tmp_path / "x.parquet.gz"
    gz.write_bytes(gzip.compress((tmp_path / "x.parquet").read_bytes(), mtime=0))
    with pytest.raises(InputError, match=r"a table with columns sku, price; expected the columns"):
        zendesk.read([InputFile(gz, "x.parquet.gz", "zendesk")], _profile())
    assert list((tmp_path / "tmp").iterdir()) == []


def test_parquet_audits_decide_as_events(tmp_path):
    # Parquet cannot hold an empty struct (metadata.custom, via.source.from): left out.
    audits = [
        {k: v for k, v in a.items() if k not in ("metadata", "via")}
        for a in _records("ticket_audits.json", "audits")
    ]
    files = _nested(tmp_path)[::2]  # tickets and users
    pq.write_table(pa.Table.from_pylist(audits), tmp_path / "audits.parquet")
    files.append(InputFile(tmp_path / "audits.parquet", "audits.parquet", "zendesk"))
    _expected(zendesk.read(files, _profile(**_RULES)))


def test_only_the_needed_columns_are_read(tmp_path, monkeypatch):
    files = _nested(tmp_path)
    asked: list[list[str]] = []
    real = pq.ParquetFile.read

    def spy(self, columns=None, **kw):
        asked.append(columns)
        return real(self, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    zendesk.read(files, _profile(**_RULES))
    read = {c for cols in asked for c in cols}
    assert None not in asked
    assert not read & {"subject", "description", "raw_subject", "name", "email", "via.source"}
    assert {"via.channel", "custom_fields", "user_fields.pdx311_csr"} <= read


def test_custom_fields_as_json_text_and_user_fields_as_json_text(tmp_path):
    tickets = pa.table(
        {
            "id": [1, 2],
            "created_at": ["2024-03-05T17:00:00Z", "2024-03-05T18:00:00Z"],
            "status": ["solved", "solved"],
            "custom_fields": ['[{"id": 360, "value": "email"}]', '[{"id": 360.0, "value": null}]'],
        }
    )
    users = pa.table({"id": [7], "role": ["agent"], "user_fields": ['{"pdx311_csr": true}']})
    events = pa.table(
        {"ticket_id": [1, 2], "updater_id": [7, 7], "created_at": ["2024-03-05T17:00:00Z"] * 2}
    )
    for name, table in (("t.parquet", tickets), ("u.parquet", users), ("e.parquet", events)):
        pq.write_table(table, tmp_path / name)
    files = [InputFile(tmp_path / n, n, "zendesk") for n in ("t.parquet", "u.parquet", "e.parquet")]
    result = zendesk.read(files, _profile(**_RULES))
    assert result.contacts["contact_id"].tolist() == ["1"]
    assert _ledger(result)[("t.parquet", "excluded", "contact_type_not_counted")] == 1


def test_flattened_csv_table(tmp_path):
    text = (
        "id,subject,created_at,updated_at,status,tags,via_channel,field_360\n"
        '5,"Hello, world",2024-03-05T17:00:00Z,,solved,"a,b",web,webform\n'
        "6,Other,2024-03-05T18:00:00Z,2024-03-05T19:00:00Z,open,spam,email,email\n"
    )
    assert zendesk.sniff(text)
    result = zendesk.read(_files(tmp_path, {"t.csv": text}), _profile(contact_type_field_id=360))
    assert result.contacts["contact_id"].tolist() == ["5"]  # 6 is spam
    assert _ledger(result)[("t.csv", "excluded", "spam_or_test")] == 1


def test_a_ticket_without_a_creation_time_names_the_row(tmp_path):
    table = pa.table(
        {"id": [1, 2], "created_at": ["2024-03-05T17:00:00Z", None], "status": ["open"] * 2}
    )
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(InputError, match=r"ticket record \(record 2\) has no 'created_at'"):
        zendesk.read([InputFile(tmp_path / "t.parquet", "t.parquet", "zendesk")], _profile())


def test_a_parquet_table_of_no_zendesk_kind_is_an_error(tmp_path):
    pq.write_table(pa.table({"sku": [1], "price": [2.5]}), tmp_path / "x.parquet")
    assert not zendesk.sniff(read_head(tmp_path / "x.parquet"))
    with pytest.raises(InputError, match=r"a table with columns sku, price; expected the columns"):
        zendesk.read([InputFile(tmp_path / "x.parquet", "x.parquet", "zendesk")], _profile())


def test_table_kind_from_column_names():
    assert table_kind(["id", "created_at", "via.channel"]) == "tickets"
    assert table_kind(["id", "created_at", "via_channel"]) == "tickets"
    assert table_kind(["id", "created_at", "field_360"]) == "tickets"
    assert table_kind(["ticket_id", "updater_id", "created_at"]) == "ticket_events"
    assert table_kind(["ticket_id", "author_id", "created_at"]) == "audits"
    assert table_kind(["id", "user_fields.pdx311_csr"]) == "users"
    assert table_kind(["id", "created_at", "body"]) is None  # a comment, not a ticket


def test_totals_of_parquet_tables_equal_the_same_data_as_json(tmp_path, capsys):
    parquet, as_json = tmp_path / "parquet", tmp_path / "json"
    parquet.mkdir()
    as_json.mkdir()
    _nested(parquet)
    for name in (
        "incremental_tickets.json",
        "incremental_ticket_events.json",
        "incremental_users.json",
    ):
        (as_json / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    profile = tmp_path / "profile.yml"
    profile.write_text(
        "tickets:\n  contact_type_field_id: 360\n  agent_user_field: pdx311_csr\n", encoding="utf-8"
    )

    def totals(folder):
        assert main(["totals", str(folder), "--profile", str(profile)]) == 0
        return capsys.readouterr().out

    out = totals(parquet)
    assert out == totals(as_json)
    # FY 2023-24 (partial): 35436 by email and 35437 by webform.
    assert out.splitlines()[1].split()[-3:] == ["1", "1", "2"]
