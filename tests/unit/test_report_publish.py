"""Publishing with one commit point: every stop and every full disk leaves a state that settles.

The output folders here are built by hand (pages, manifests, history rows), so each case runs in
milliseconds; ``tests/integration/test_faults.py`` stops real runs with signals.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from contacts311 import history_store as store
from contacts311.report import outputs, publish

OLD, NEW = "FY2025-26/20260101T000000Z", "FY2025-26/20260102T000000Z"


def _record(folder: str, status: str) -> dict:
    return {
        "id": Path(folder).name,
        "started": Path(folder).name,
        "status": status,
        "parameters": {},
        "key": "k-" + Path(folder).name,
        "period": Path(folder).parent.name,
        "folder": folder,
        "notebooks": [{"name": "01.ipynb", "status": "succeeded", "html": "01.html"}],
        "message": "",
    }


def _insert(out: Path, run_id: str, status: str, value: int) -> None:
    with closing(store.connect(out / store.HISTORY_FILE)) as conn, conn:
        conn.execute(
            "INSERT INTO runs VALUES (?, '2026-01-01T00:00:00+00:00', 'fiscal', 'x', 'r', ?)",
            (run_id, status),
        )
        conn.execute(
            "INSERT INTO figures VALUES (?, 'FY 2025-26', 'total', ?, 0, '')", (run_id, value)
        )


def _stage(out: Path, folder: str) -> None:
    run_dir = out / folder
    publish.stage(
        run_dir, "<p>run page</p>", {"run_id": run_dir.name, "record": _record(folder, "succeeded")}
    )


def _folder_with_a_published_run(tmp_path: Path) -> Path:
    """An output folder whose last run OLD is published; NEW has run its notebooks."""
    out = tmp_path / "reports"
    for folder in (OLD, NEW):
        (out / folder).mkdir(parents=True)
        (out / folder / "01.html").write_text(f"<p>{folder}</p>" * 100, encoding="utf-8")
    _stage(out, OLD)
    _insert(out, Path(OLD).name, store.PUBLISHED, 100)
    publish.point_latest(out, out / OLD)
    outputs.record(out, _record(OLD, "succeeded"))
    outputs.record(out, _record(NEW, "running"))
    return out


def _publish_new(out: Path) -> None:
    publish.publish(
        out,
        out / NEW,
        _record(NEW, "succeeded"),
        lambda: _insert(out, Path(NEW).name, store.PENDING, 120),
        lambda: _stage(out, NEW),
    )


def _published_figures(out: Path) -> dict[str, int]:
    with closing(sqlite3.connect(out / store.HISTORY_FILE)) as conn:
        return dict(
            conn.execute(
                "SELECT f.run_id, f.value FROM figures f JOIN runs r USING (run_id) "
                "WHERE r.status = 'published'"
            ).fetchall()
        )


def _assert_no_ghost(out: Path) -> None:
    """What anyone sees at any moment: latest, the published history and the index agree."""
    states = store.run_states(out / store.HISTORY_FILE)
    published = [i for i, s in states.items() if s == store.PUBLISHED]
    shown = publish.latest_folder(out)
    assert shown in (OLD, NEW) and publish.pages_whole(out / shown)
    assert Path(OLD).name in published  # a published run is never undone
    if Path(NEW).name in published:
        assert shown == NEW
    good = outputs.latest_good(out)
    assert good is not None and good["id"] in published  # "up to date" from published runs only


def _assert_settled(out: Path) -> str:
    """After reconcile: no pending run, and the new run either wholly published or gone."""
    states = store.run_states(out / store.HISTORY_FILE)
    assert store.PENDING not in states.values()
    runs = {r["id"]: r for r in outputs.read_runs(out)}
    new = runs[Path(NEW).name]
    if states.get(Path(NEW).name) == store.PUBLISHED:
        assert new["status"] == "succeeded" and new["folder"] == NEW
        assert publish.latest_folder(out) == NEW and publish.pages_whole(out / NEW)
        assert _published_figures(out) == {Path(OLD).name: 100, Path(NEW).name: 120}
        assert outputs.latest_good(out)["id"] == Path(NEW).name
        return "published"
    assert new["status"] in ("failed", "interrupted") and new["folder"] == ""
    assert "rolled back" in new["message"] or "killed" in new["message"]
    assert not (out / NEW).exists()
    assert publish.latest_folder(out) == OLD
    assert _published_figures(out) == {Path(OLD).name: 100}
    assert outputs.latest_good(out)["id"] == Path(OLD).name
    return "rolled back"


def test_a_clean_publish_passes_every_stage(tmp_path):
    out = _folder_with_a_published_run(tmp_path)
    _publish_new(out)
    assert (out / "latest").is_symlink() and os.readlink(out / "latest") == NEW
    assert json.loads((out / "latest" / "provenance.json").read_text())["pages"].keys() == {
        "01.html",
        "index.html",
    }
    publish.reconcile(out)
    assert _assert_settled(out) == "published"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".latest")) == []


class _Disk:
    """Counts the writes of publishing; the ``fail_at``-th (and, if ``stays_full``, every later
    one) raises ``OSError(ENOSPC)``."""

    def __init__(self, fail_at: int = 0, stays_full: bool = False) -> None:
        self.count, self.fail_at, self.stays_full = 0, fail_at, stays_full

    def wrap(self, real):
        def write(*args, **kwargs):
            self.count += 1
            if self.fail_at and (
                self.count == self.fail_at or (self.stays_full and self.count > self.fail_at)
            ):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "reports/somewhere")
            return real(*args, **kwargs)

        return write


def _run_with(disk: _Disk, out: Path, monkeypatch) -> BaseException | None:
    with monkeypatch.context() as m:
        m.setattr(outputs, "write_atomic", disk.wrap(outputs.write_atomic))
        m.setattr(store, "mark_published", disk.wrap(store.mark_published))
        m.setattr(store, "roll_back", disk.wrap(store.roll_back))
        for name in ("symlink", "replace", "fsync"):
            m.setattr(os, name, disk.wrap(getattr(os, name)))
        try:
            publish.publish(
                out,
                out / NEW,
                _record(NEW, "succeeded"),
                disk.wrap(lambda: _insert(out, Path(NEW).name, store.PENDING, 120)),
                lambda: _stage(out, NEW),
            )
        except OSError as exc:
            return exc
    return None


def _writes_of_a_clean_publish(tmp_path, monkeypatch) -> int:
    disk = _Disk()
    assert _run_with(disk, _folder_with_a_published_run(tmp_path / "count"), monkeypatch) is None
    return disk.count


@pytest.mark.parametrize("stays_full", [False, True], ids=["one-write-fails", "disk-stays-full"])
def test_a_full_disk_at_every_write_of_publishing_never_leaves_a_ghost(
    tmp_path, monkeypatch, stays_full
):
    writes = _writes_of_a_clean_publish(tmp_path, monkeypatch)
    assert writes >= 10  # history, pages, syncs, the link, its rename, the index...
    outcomes = {}
    for n in range(1, writes + 1):
        out = _folder_with_a_published_run(tmp_path / str(n))
        failed = _run_with(_Disk(n, stays_full), out, monkeypatch)
        assert failed is not None and failed.errno == errno.ENOSPC, n
        _assert_no_ghost(out)
        publish.reconcile(out)  # the next run, once there is room again
        outcomes[n] = _assert_settled(out)
        publish.reconcile(out)  # and a second one changes nothing
        assert _assert_settled(out) == outcomes[n]
    # Both ends are reached: early failures roll back, failures after the swap finish the run.
    assert outcomes[1] == "rolled back" and outcomes[writes] == "published"


@pytest.mark.parametrize("stage", [*publish.STAGES, "recorded"])
def test_a_process_killed_after_each_stage_is_settled_by_the_next(tmp_path, stage):
    """SIGKILL: nothing of the run's own clean-up ran; the next reconcile does it all."""
    out = _folder_with_a_published_run(tmp_path)
    steps = {
        "pending": lambda: _insert(out, Path(NEW).name, store.PENDING, 120),
        "staged": lambda: _stage(out, NEW),
        "swapped": lambda: publish.point_latest(out, out / NEW),
        "published": lambda: store.mark_published(out / store.HISTORY_FILE, Path(NEW).name),
        "recorded": lambda: outputs.record(out, _record(NEW, "succeeded")),
    }
    for name, step in steps.items():
        step()
        if name == stage:
            break
    _assert_no_ghost(out)
    publish.reconcile(out)
    expected = "published" if stage in ("swapped", "published", "recorded") else "rolled back"
    assert _assert_settled(out) == expected


def test_a_killed_run_before_publishing_is_marked_interrupted_and_its_folder_removed(tmp_path):
    out = _folder_with_a_published_run(tmp_path)  # NEW is "running": its process is gone
    publish.reconcile(out)
    assert _assert_settled(out) == "rolled back"
    new = next(r for r in outputs.read_runs(out) if r["id"] == Path(NEW).name)
    assert new["status"] == "interrupted" and "killed" in new["message"]


def test_a_pending_run_with_damaged_pages_behind_latest_is_rolled_back_and_latest_restored(
    tmp_path,
):
    out = _folder_with_a_published_run(tmp_path)
    _insert(out, Path(NEW).name, store.PENDING, 120)
    _stage(out, NEW)
    publish.point_latest(out, out / NEW)
    (out / NEW / "01.html").write_text("truncated", encoding="utf-8")
    publish.reconcile(out)
    assert _assert_settled(out) == "rolled back"


def test_an_older_latest_folder_becomes_a_link_to_its_run(tmp_path):
    import shutil

    out = _folder_with_a_published_run(tmp_path)
    (out / "latest").unlink()
    shutil.copytree(out / OLD, out / "latest")  # how versions before the link kept it
    publish.reconcile(out)  # NEW, left "running" by no process, is removed as a killed run
    assert os.readlink(out / "latest") == OLD
    (out / NEW).mkdir()
    (out / NEW / "01.html").write_text("<p>new</p>", encoding="utf-8")
    _publish_new(out)
    assert os.readlink(out / "latest") == NEW


def test_an_older_latest_folder_whose_run_folder_is_gone_becomes_that_folder(tmp_path):
    import shutil

    out = _folder_with_a_published_run(tmp_path)
    (out / "latest").unlink()
    shutil.copytree(out / OLD, out / "latest")
    shutil.rmtree(out / OLD)
    publish.reconcile(out)
    assert os.readlink(out / "latest") == OLD and publish.pages_whole(out / OLD)


def test_history_readers_and_the_up_to_date_check_never_see_a_pending_run(tmp_path):
    out = _folder_with_a_published_run(tmp_path)
    _insert(out, Path(NEW).name, store.PENDING, 120)
    outputs.record(out, _record(NEW, "succeeded"))  # even if the index said so
    assert outputs.latest_good(out)["id"] == Path(OLD).name
    assert store.run_states(out / store.HISTORY_FILE)[Path(NEW).name] == store.PENDING


def test_pause_hook_waits_only_at_its_stage(monkeypatch, capsys):
    monkeypatch.setattr(publish, "PAUSE_SECONDS", 0.2)
    monkeypatch.setenv(publish.PAUSE_ENV, "staged")
    publish.pause_at("pending")
    assert capsys.readouterr().err == ""
    publish.pause_at("staged")
    assert capsys.readouterr().err == "contacts311: test pause at staged\n"


def test_the_revisions_command_settles_a_stopped_run_first(tmp_path, capsys):
    from contacts311.cli import main

    out = _folder_with_a_published_run(tmp_path)
    _insert(out, Path(NEW).name, store.PENDING, 120)  # killed before the swap
    _stage(out, NEW)
    assert main(["revisions", "--out", str(out)]) == 0
    assert "only one report run" in capsys.readouterr().out  # never compared with NEW
    assert _assert_settled(out) == "rolled back"


def test_the_revisions_command_leaves_a_run_under_way_alone(tmp_path, capsys):
    from contacts311.cli import main

    out = _folder_with_a_published_run(tmp_path)
    _insert(out, Path(NEW).name, store.PENDING, 120)
    with outputs.lock(out, 0):  # another process is publishing NEW right now
        assert main(["revisions", "--out", str(out)]) == 0
    assert "only one report run" in capsys.readouterr().out
    assert store.run_states(out / store.HISTORY_FILE)[Path(NEW).name] == store.PENDING


def test_an_older_latest_folder_naming_no_known_run_is_kept_aside_with_a_warning(tmp_path):
    from contacts311.errors import InputWarning

    out = _folder_with_a_published_run(tmp_path)
    (out / "latest").unlink()
    (out / "latest").mkdir()
    (out / "latest" / "provenance.json").write_text('{"run_id": "unknown"}', encoding="utf-8")
    with pytest.warns(InputWarning, match="names no run in the index"):
        publish.reconcile(out)
    (kept,) = out.glob("latest.old-*")
    assert (kept / "provenance.json").is_file()  # nothing dropped
    assert os.readlink(out / "latest") == OLD  # the newest published run is shown again
