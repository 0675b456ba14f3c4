"""The history file's run states: pending, published, rolled back; older files migrated."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from history_helpers import AS_OF, contacts_frame, inputs_frame, record

from contacts311 import history_store as store
from contacts311.history import figure_revisions, figures_for_run, read_history, revisions

#: The schema of histories written before run states (no status, figures never deleted).
OLD_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, run_time TEXT NOT NULL, basis TEXT NOT NULL,
    profile_sha256 TEXT NOT NULL, rules TEXT NOT NULL);
CREATE TABLE figures (run_id TEXT NOT NULL, period TEXT NOT NULL, channel TEXT NOT NULL,
    value INTEGER NOT NULL, is_partial INTEGER NOT NULL, input_sha256 TEXT NOT NULL);
CREATE TABLE inputs (run_id TEXT NOT NULL, source_file TEXT NOT NULL, format TEXT NOT NULL,
    sha256 TEXT NOT NULL, rows_read INTEGER NOT NULL, columns TEXT NOT NULL);
CREATE TABLE as_of (run_id TEXT NOT NULL, channel TEXT NOT NULL, last_contact_date TEXT NOT NULL);
CREATE TRIGGER figures_append_only BEFORE UPDATE ON figures
    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER figures_no_delete BEFORE DELETE ON figures
    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
INSERT INTO runs VALUES ('old1', '2025-01-01T00:00:00+00:00', 'fiscal', 'x', 'rule A');
INSERT INTO figures VALUES ('old1', 'FY 2023-24', 'total', 7, 0, '');
"""


def _pending(path, run_id, value):
    contacts = contacts_frame([("2023-07-03", "phone", value, "p")])
    inputs = inputs_frame([("p", "avaya_cms", "a")])
    import datetime as dt

    from contacts311.history import data_as_of, record_run

    record_run(
        path,
        run_id,
        dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
        figures_for_run(contacts, inputs, as_of=AS_OF),
        inputs,
        {},
        data_as_of(contacts),
        ["rule A"],
        status=store.PENDING,
    )


def _count(path, table):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


def test_a_pending_run_is_invisible_to_readers_until_published(tmp_path):
    path = tmp_path / "history.sqlite"
    figures = record(path, "run1", contacts_frame([("2023-07-03", "phone", 10, "p")]),
                     inputs_frame([("p", "avaya_cms", "a")]))  # fmt: skip
    _pending(path, "run2", 12)
    assert store.run_states(path) == {"run1": "published", "run2": "pending"}
    assert list(read_history(path)["runs"]["run_id"]) == ["run1"]
    assert set(read_history(path, include_pending=True)["runs"]["run_id"]) == {"run1", "run2"}
    assert revisions(path).current_run == "run1"
    # The next report compares with run1, never with the pending run2.
    assert set(figure_revisions(path, figures)["previous_run"]) == {"run1"}
    assert store.mark_published(path, "run2") is True
    assert store.mark_published(path, "run2") is False  # once only
    assert revisions(path).current_run == "run2"
    assert revisions(path).figures.set_index("channel").loc["phone", "change"] == 2


def test_roll_back_removes_a_pending_run_whole_and_never_a_published_one(tmp_path):
    path = tmp_path / "history.sqlite"
    record(path, "run1", contacts_frame([("2023-07-03", "phone", 10, "p")]),
           inputs_frame([("p", "avaya_cms", "a")]))  # fmt: skip
    before = {t: _count(path, t) for t in ("runs", "figures", "inputs", "as_of")}
    _pending(path, "run2", 12)
    assert store.roll_back(path, "run2") is True
    assert {t: _count(path, t) for t in before} == before
    assert store.roll_back(path, "run1") is False  # published: refused, nothing removed
    assert store.roll_back(path, "nope") is False
    with closing(sqlite3.connect(path)) as conn:
        for sql in (
            "DELETE FROM figures",
            "DELETE FROM runs",
            "UPDATE runs SET status = 'pending'",
            "UPDATE runs SET rules = 'other'",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
    assert {t: _count(path, t) for t in before} == before


def test_a_history_from_before_run_states_is_migrated_with_its_runs_published(tmp_path):
    path = tmp_path / "history.sqlite"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(OLD_SCHEMA)
    # Read-only readers see the old file as it is: every run published.
    assert store.run_states(path) == {"old1": "published"}
    assert read_history(path)["figures"]["value"].tolist() == [7]
    _pending(path, "run2", 12)  # the first write migrates
    assert store.run_states(path) == {"old1": "published", "run2": "pending"}
    assert store.roll_back(path, "run2") is True
    with closing(sqlite3.connect(path)) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM figures WHERE run_id = 'old1'")
    assert read_history(path)["figures"]["value"].tolist() == [7]


def test_record_run_refuses_an_unknown_state(tmp_path):
    with pytest.raises(ValueError, match="pending or published"):
        from contacts311.history import record_run

        record_run(tmp_path / "h.sqlite", "r", None, None, None, {}, None, [], status="draft")


def test_states_of_a_missing_or_damaged_history(tmp_path):
    from contacts311.errors import InputError

    assert store.run_states(tmp_path / "missing.sqlite") == {}
    bad = tmp_path / "history.sqlite"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(InputError, match="not a readable contacts311 figure history"):
        store.run_states(bad)
