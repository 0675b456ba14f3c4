import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from history_helpers import AS_OF
from history_helpers import contacts_frame as _contacts
from history_helpers import inputs_frame as _inputs
from history_helpers import record as _record

from contacts311.cli import main
from contacts311.history import (
    data_as_of,
    figures_for_run,
    input_checks,
    read_history,
    revisions,
)


def test_figures_name_contributing_inputs():
    contacts = _contacts(
        [
            ("2023-07-03", "phone", 10, "p1.txt"),
            ("2023-07-04", "email", 2, "z.csv"),
            ("2024-07-01", "phone", 5, "p2.txt"),
        ]
    )
    inputs = _inputs(
        [
            ("p1.txt", "avaya_cms", "aaa"),
            ("z.csv", "zendesk", "zzz"),
            ("p2.txt", "avaya_cms", "bbb"),
        ]
    )
    figs = figures_for_run(contacts, inputs, as_of=AS_OF).set_index(["period", "channel"])
    assert figs.loc[("FY 2023-24", "phone"), "value"] == 10
    assert figs.loc[("FY 2023-24", "total"), "value"] == 12
    assert figs.loc[("FY 2024-25", "email"), "value"] == 0
    assert figs.loc[("FY 2023-24", "phone"), "input_sha256"] == "p1.txt:aaa"
    assert figs.loc[("FY 2023-24", "total"), "input_sha256"] == "p1.txt:aaa;z.csv:zzz"
    assert figs.loc[("FY 2024-25", "phone"), "input_sha256"] == "p2.txt:bbb"


def test_revisions_between_two_runs(tmp_path):
    path = tmp_path / "history.sqlite"
    first = _contacts([("2023-07-03", "phone", 10, "p1.txt"), ("2023-07-04", "email", 2, "z.csv")])
    _record(
        path, "run1", first, _inputs([("p1.txt", "avaya_cms", "aaa"), ("z.csv", "zendesk", "zzz")])
    )
    # Second run: a late email export adds 3 emails to FY 2023-24, p1 unchanged, z.csv re-exported.
    second = _contacts(
        [
            ("2023-07-03", "phone", 10, "p1.txt"),
            ("2023-07-04", "email", 2, "z.csv"),
            ("2023-08-01", "email", 3, "late.csv"),
        ]
    )
    _record(
        path,
        "run2",
        second,
        _inputs(
            [
                ("p1.txt", "avaya_cms", "aaa"),
                ("z.csv", "zendesk", "zz2"),
                ("late.csv", "zendesk", "lll"),
            ]
        ),
    )
    rev = revisions(path)
    assert (rev.previous_run, rev.current_run) == ("run1", "run2")
    got = rev.figures.set_index("channel")
    assert list(got.index) == ["email", "total"]  # phone unchanged: not listed
    assert got.loc["email", "previous_value"] == 2 and got.loc["email", "current_value"] == 5
    assert got.loc["email", "change"] == 3
    assert got.loc["total", "change"] == 3
    assert dict(zip(rev.inputs["source_file"], rev.inputs["change"], strict=True)) == {
        "late.csv": "new",
        "z.csv": "changed",
    }
    same = revisions(path, since="run2")
    assert same.figures.empty
    with pytest.raises(KeyError):
        revisions(path, since="nope")


def test_history_is_append_only(tmp_path):
    path = tmp_path / "history.sqlite"
    _record(
        path,
        "run1",
        _contacts([("2023-07-03", "phone", 1, "p")]),
        _inputs([("p", "avaya_cms", "a")]),
    )
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE figures SET value = 99")
    with pytest.raises(sqlite3.IntegrityError):  # the same run id twice is refused, nothing written
        _record(
            path,
            "run1",
            _contacts([("2023-07-03", "phone", 7, "p")]),
            _inputs([("p", "avaya_cms", "a")]),
        )
    assert read_history(path)["figures"]["value"].tolist() == [1, 1]


def test_input_checks_stale_and_layout(tmp_path):
    path = tmp_path / "history.sqlite"
    before = _contacts([("2024-01-31", "phone", 1, "p"), ("2024-01-31", "email", 1, "z")])
    inputs = _inputs([("p", "avaya_cms", "a"), ("z", "zendesk", "b")])
    _record(
        path,
        "run1",
        before,
        inputs,
        {"p": ["row_date", "split", "acdcalls"], "z": ["ID", "Status"]},
    )
    # Phone now ends on 31 Dec (31 days earlier); email unchanged; a Zendesk column was renamed.
    now = _contacts([("2023-12-31", "phone", 1, "p"), ("2024-01-31", "email", 1, "z")])
    stale, layout = input_checks(
        path,
        data_as_of(now),
        inputs,
        {"p": ["row_date", "split", "acdcalls"], "z": ["ID", "Ticket status"]},
        7,
    )
    assert stale == [
        "phone: data ends 2023-12-31, 31 days earlier than the previous run (2024-01-31); a month of exports may be missing"
    ]
    assert layout == [
        "zendesk export layout changed since the previous run (columns gone: 'Status'; columns new: 'Ticket status')"
    ]
    # Within tolerance: no warning.
    assert input_checks(
        path,
        data_as_of(before),
        inputs,
        {"p": ["row_date", "split", "acdcalls"], "z": ["ID", "Status"]},
    ) == ([], [])


def test_cli_revisions(tmp_path, capsys):
    path = tmp_path / "history.sqlite"
    assert main(["revisions", "--out", str(tmp_path)]) == 2
    assert "no report history yet" in capsys.readouterr().err
    contacts = _contacts([("2023-07-03", "phone", 10, "p1.txt")])
    _record(path, "run1", contacts, _inputs([("p1.txt", "avaya_cms", "aaa")]))
    _record(path, "run2", contacts, _inputs([("p1.txt", "avaya_cms", "aaa")]))
    assert main(["revisions", "--out", str(tmp_path)]) == 0
    assert "no figures revised" in capsys.readouterr().out
    _record(
        path,
        "run3",
        _contacts([("2023-07-03", "phone", 12, "p1.txt")]),
        _inputs([("p1.txt", "avaya_cms", "abc")]),
    )
    assert main(["revisions", "--out", str(tmp_path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["previous_run"] == "run2" and doc["current_run"] == "run3"
    assert {
        (r["channel"], r["previous_value"], r["current_value"], r["change"])
        for r in doc["revisions"]
    } == {
        ("phone", 10, 12, 2),
        ("total", 10, 12, 2),
    }
    assert doc["inputs"] == [{"source_file": "p1.txt", "change": "changed"}]
    assert main(["revisions", "--out", str(tmp_path), "--since", "missing"]) == 2
    assert "not in the history" in capsys.readouterr().err


def test_damaged_history_is_a_one_line_input_error(tmp_path, capsys):
    from contacts311.errors import InputError

    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match="not a readable contacts311 figure history"):
        read_history(path)
    contacts = _contacts([("2023-07-03", "phone", 1, "p")])
    with pytest.raises(InputError, match="move it aside"):
        _record(path, "run1", contacts, _inputs([("p", "avaya_cms", "a")]))
    assert path.read_bytes() == b"this is not a database" * 100  # nothing overwritten
    assert main(["revisions", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "history.sqlite" in err


def test_a_history_in_a_folder_that_cannot_exist_is_a_system_error_not_damage(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    contacts = _contacts([("2023-07-03", "phone", 1, "p")])
    with pytest.raises(OSError, match="cannot open the figure history") as caught:
        _record(blocker / "history.sqlite", "run1", contacts, _inputs([("p", "avaya_cms", "a")]))
    assert "move it aside" not in str(caught.value)
    assert caught.value.filename == str(blocker / "history.sqlite")


def test_a_read_only_history_is_a_permission_error_and_stays_whole(unprivileged):
    """Run as ``nobody`` (root writes any file): the healthy history must not read as damaged."""
    base = Path(tempfile.mkdtemp(prefix="contacts311-history-"))
    try:
        base.chmod(0o755)
        path = base / "history.sqlite"
        contacts = _contacts([("2023-07-03", "phone", 1, "p")])
        _record(path, "run1", contacts, _inputs([("p", "avaya_cms", "a")]))
        before = path.read_bytes()
        path.chmod(0o444)
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from history_helpers import contacts_frame, inputs_frame, record;"
            "record(sys.argv[2], 'run2', contacts_frame([('2023-07-04', 'phone', 2, 'p')]),"
            " inputs_frame([('p', 'avaya_cms', 'a')]))"
        )
        command = [sys.executable, "-c", script, str(Path(__file__).parent), str(path)]
        done = subprocess.run(unprivileged(command), capture_output=True, text=True, timeout=120)
        assert path.read_bytes() == before
    finally:
        shutil.rmtree(base)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("PermissionError: [Errno 13] cannot write the figure history"), last
