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
