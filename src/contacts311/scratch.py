"""Private temp folders that a killed process does not leave behind for good.

A run stopped by SIGKILL (or a power cut) cannot remove its own temp folder: a report run's
holds the read dataset and the kernels' files (tens of MB), DuckDB's spill folder can hold
gigabytes. Each folder made here carries its owner's process id, and the next one made with
the same prefix first removes those whose owner is no longer alive. A folder whose owner
cannot be told (no owner file yet, another user's, a process id now alive again) is left
alone: removing a live run's files would be worse than keeping a dead run's.

A child started for a run calls :func:`exit_with_parent` so it ends when that run is killed,
rather than finish a read nobody will use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["OWNER_FILE", "exit_with_parent", "private_folder", "sweep_stale"]

#: The file in each folder that names its owner's process id.
OWNER_FILE = ".owner-pid"


@contextlib.contextmanager
def private_folder(prefix: str) -> Iterator[Path]:
    """A new temp folder owned by this process, removed on the way out.

    Args:
        prefix: The folder name's prefix (``contacts311-report-``); folders with this prefix
            left by dead processes are removed first.

    Yields:
        The folder's path.
    """
    sweep_stale(prefix)
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep_stale(prefix: str, root: Path | None = None) -> list[Path]:
    """Remove the temp folders with ``prefix`` whose owning process has ended.

    Args:
        prefix: Folder name prefix.
        root: Where to look; the system temp folder by default.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    if os.name != "posix":  # no portable, harmless liveness check elsewhere
        return removed
    for folder in Path(root or tempfile.gettempdir()).glob(prefix + "*"):
        pid = _owner(folder)
        if pid is not None and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def exit_with_parent(interval_seconds: float = 0.5) -> None:
    """End this process at once when the process that started it is gone.

    An orphan is adopted by another process, so a change of parent id means the parent died.
    """
    parent = os.getppid()

    def _watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_seconds)
        os._exit(1)

    threading.Thread(target=_watch, name="exit-with-parent", daemon=True).start()


def _owner(folder: Path) -> int | None:
    """The owner's process id, or ``None`` when it cannot be told or is not ours to judge."""
    try:
        if folder.is_symlink() or folder.stat().st_uid != os.getuid():
            return None
        return int((folder / OWNER_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
