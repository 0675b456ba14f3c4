"""Private temp folders: removed on the way out, and swept once their owner has died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contacts311 import scratch

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def _folder(root: Path, name: str, owner: str | None) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "dataset.pickle").write_bytes(b"x" * 10)
    if owner is not None:
        (folder / scratch.OWNER_FILE).write_text(owner, encoding="ascii")
    return folder


def test_a_private_folder_names_its_owner_and_is_removed_even_on_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with pytest.raises(RuntimeError), scratch.private_folder("c311-test-") as folder:
        assert folder.parent == tmp_path
        assert (folder / scratch.OWNER_FILE).read_text(encoding="ascii") == str(os.getpid())
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []


def test_only_folders_whose_owner_has_ended_are_swept(tmp_path):
    dead = _folder(tmp_path, "c311-test-dead", str(_dead_pid()))
    alive = _folder(tmp_path, "c311-test-alive", str(os.getpid()))
    unowned = _folder(tmp_path, "c311-test-unowned", None)
    garbled = _folder(tmp_path, "c311-test-garbled", "12ab")
    other = _folder(tmp_path, "other-dead", str(_dead_pid()))
    assert scratch.sweep_stale("c311-test-", tmp_path) == [dead]
    assert not dead.exists()
    assert all(f.is_dir() for f in (alive, unowned, garbled, other))


def test_a_new_private_folder_sweeps_a_dead_runs_folder_first(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    dead = _folder(tmp_path, "c311-test-old", str(_dead_pid()))
    with scratch.private_folder("c311-test-") as folder:
        assert sorted(tmp_path.iterdir()) == [folder]
    assert not dead.exists()


#: A parent that starts a child which watches it, prints the child's pid, then waits.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import time; from contacts311.scratch import exit_with_parent\\n"
    "exit_with_parent(0.1); print('watching', flush=True); time.sleep(120)"],
    stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "watching"
print(child.pid, flush=True)
time.sleep(120)
"""


def test_a_child_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    status = Path(f"/proc/{child}/stat")
    # Gone, or a zombie waiting for its new parent to reap it: either way it stopped running.
    assert not status.exists() or status.read_text().split()[2] == "Z"
