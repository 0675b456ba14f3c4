"""The output folder: room check, run records, atomic writes."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from contacts311.report import outputs

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


class _FakeStat:
    def __init__(self, free: int) -> None:
        self.f_bavail, self.f_frsize = free, 1


def test_room_check_writes_a_probe_and_leaves_nothing(tmp_path):
    outputs.check_room(tmp_path, 3 << 20)
    assert list(tmp_path.iterdir()) == []


def test_room_check_refuses_a_folder_with_too_little_room(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "statvfs", lambda _path: _FakeStat(2 << 20))
    outputs.check_room(tmp_path, 1 << 20)  # 1 MiB needed, 2 MiB free: fine
    with pytest.raises(OSError) as caught:
        outputs.check_room(tmp_path, 3 << 20)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(tmp_path)
    assert "No space left on device" in caught.value.strerror
    assert "3.1 MB test write" in caught.value.strerror
    assert list(tmp_path.iterdir()) == []


def test_room_check_reports_a_write_the_disk_refuses(tmp_path, monkeypatch):
    real_open = Path.open

    def full(self, mode="r", *args, **kwargs):
        if self.name.startswith(".write-probe-"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full)
    with pytest.raises(OSError, match="cannot write the output folder") as caught:
        outputs.check_room(tmp_path, 0)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path)


def test_report_into_a_full_folder_is_one_line_exit_4_and_runs_nothing(tmp_path, monkeypatch):
    from contacts311.cli import main

    if not any(SAMPLE.glob("*/*")):
        pytest.skip("the bundled sample is missing")
    out = tmp_path / "reports"
    monkeypatch.setattr(os, "statvfs", lambda _path: _FakeStat(1000))
    code = main(["report", str(SAMPLE), "--out", str(out)])
    assert code == 4
    assert sorted(p.name for p in out.iterdir()) == [outputs.LOCK_FILE]  # nothing else written


def test_report_full_folder_message(tmp_path, monkeypatch, capsys):
    from contacts311.cli import main

    if not any(SAMPLE.glob("*/*")):
        pytest.skip("the bundled sample is missing")
    monkeypatch.setattr(os, "statvfs", lambda _path: _FakeStat(1000))
    main(["report", str(SAMPLE), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"contacts311: error: {tmp_path}: cannot write the output folder (")
    assert "nothing was run" in err


def test_write_atomic_leaves_no_temp_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "runs.json"
    target.write_text("[]", encoding="utf-8")

    def refuse(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        outputs.write_atomic(target, "[1]", sync=True)
    assert target.read_text(encoding="utf-8") == "[]"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.json"]


def test_record_replaces_the_run_and_its_earlier_id(tmp_path):
    outputs.record(tmp_path, {"id": "a", "status": "running"})
    outputs.record(tmp_path, {"id": "b", "status": "running"})
    outputs.record(tmp_path, {"id": "b-2", "status": "running"}, replaces="b")
    outputs.record(tmp_path, {"id": "a", "status": "failed"})
    runs = json.loads((tmp_path / outputs.RUNS_FILE).read_text(encoding="utf-8"))
    assert [(r["id"], r["status"]) for r in runs] == [("b-2", "running"), ("a", "failed")]


# --- a damaged or ill-shaped runs.json ----------------------------------------------------------


def _run_folder(out: Path, folder: str, record: dict) -> None:
    run_dir = out / folder
    run_dir.mkdir(parents=True)
    (run_dir / "index.html").write_text("<p>run</p>", encoding="utf-8")
    prov = {"run_id": record["id"], "record": {**record, "folder": folder}}
    (run_dir / "provenance.json").write_text(json.dumps(prov), encoding="utf-8")


def _published_history(out: Path, *run_ids: str) -> None:
    import sqlite3
    from contextlib import closing

    from contacts311 import history_store

    with closing(history_store.connect(out / history_store.HISTORY_FILE)) as conn, conn:
        for n, run_id in enumerate(run_ids):
            conn.execute(
                "INSERT INTO runs VALUES (?, ?, 'fiscal', 'x', 'rules', 'published')",
                (run_id, f"2026-01-0{n + 1}T00:00:00+00:00"),
            )
    assert sqlite3.connect(out / "history.sqlite").execute("SELECT COUNT(*) FROM runs").fetchone()


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01 not json at all",
        b'[{"id": "r1", "status": "succ',  # cut short by a full disk
        b"{}",
        b'"runs"',
        b"[1, 2]",
        b'[{"status": "succeeded"}]',
        b'[{"id": 5}]',
        b'[{"id": "r1", "notebooks": "01.ipynb"}]',
        b'[{"id": "r1", "notebooks": [1]}]',
        b'[{"id": "r1", "parameters": []}]',
        b"\xff\xfe bad utf-8",
    ],
)
def test_a_damaged_runs_json_is_kept_aside_and_rebuilt(tmp_path, content):
    from contacts311.errors import InputWarning

    _run_folder(
        tmp_path,
        "FY2025-26/r2",
        {"id": "r2", "started": "2026-01-02T00:00:00+00:00", "status": "succeeded",
         "parameters": {"as_of": "2026-01-02"}, "message": "",
         "notebooks": [{"name": "01.ipynb", "status": "succeeded", "html": "01.html"}]},
    )  # fmt: skip
    _published_history(tmp_path, "r1", "r2")  # r1's folder was deleted by hand
    (tmp_path / outputs.RUNS_FILE).write_bytes(content)
    with pytest.warns(InputWarning, match=r"runs\.json: damaged .*kept as runs\.json\.damaged-"):
        runs = outputs.read_runs(tmp_path)
    assert [(r["id"], r["status"], r["folder"]) for r in runs] == [
        ("r1", "succeeded", ""),
        ("r2", "succeeded", "FY2025-26/r2"),
    ]
    assert runs[1]["parameters"] == {"as_of": "2026-01-02"}
    (aside,) = tmp_path.glob("runs.json.damaged-*")
    assert aside.read_bytes() == content  # the damaged file is kept byte for byte
    assert json.loads((tmp_path / outputs.RUNS_FILE).read_text(encoding="utf-8")) == runs
    assert 'href="FY2025-26/r2/01.html"' in (tmp_path / outputs.INDEX_FILE).read_text(
        encoding="utf-8"
    )
    assert outputs.read_runs(tmp_path) == runs  # once rebuilt, read as it is


def test_a_healthy_runs_json_is_read_as_it_is(tmp_path):
    runs = [{"id": "a", "status": "failed", "notebooks": [{"name": "x"}], "extra": 1}]
    (tmp_path / outputs.RUNS_FILE).write_text(json.dumps(runs), encoding="utf-8")
    assert outputs.read_runs(tmp_path) == runs
    assert not list(tmp_path.glob("*.damaged-*"))
