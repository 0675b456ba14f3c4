"""The output folder: its lock, its run folders and the run records (``runs.json``, ``index.html``).

``<out>/<period>/<run id>/`` holds each run; ``latest`` is a link to the last published one
(see :mod:`~contacts311.report.publish`, which also settles runs that stopped on the way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contacts311.history_store import HISTORY_FILE, PUBLISHED, run_states
from contacts311.report.html import GOOD, LATEST, render_index

__all__ = [
    "INDEX_FILE",
    "LATEST",
    "LOCK_FILE",
    "RUNS_FILE",
    "LockTimeout",
    "latest_good",
    "lock",
    "new_run_dir",
    "read_runs",
    "record",
    "write_atomic",
]

RUNS_FILE = "runs.json"
INDEX_FILE = "index.html"
LOCK_FILE = ".report.lock"


class LockTimeout(RuntimeError):
    """Another report run holds the output folder's lock for longer than we wait."""


def read_runs(out: Path) -> list[dict[str, Any]]:
    """The run records kept in ``out``, oldest first (none when missing or unreadable)."""
    path = out / RUNS_FILE
    if not path.is_file():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    return runs if isinstance(runs, list) else []


def write_atomic(path: Path, text: str, sync: bool = False) -> None:
    """Write ``text`` to ``path`` through a temp file renamed over it (no half-written file).

    Args:
        path: The file to write.
        text: Its new content.
        sync: Flush the temp file to the disk before the rename (a page about to be published).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()  # a full disk must not leave half a file behind
        raise


def record(out: Path, run: dict[str, Any], replaces: str | None = None) -> None:
    """Add or replace ``run`` in ``runs.json`` and write the index again.

    Args:
        out: The output folder.
        run: The run's record (``id`` names it).
        replaces: An earlier id of the same run (it was renamed when its folder was taken).
    """
    ids = {run["id"], replaces}
    runs = [r for r in read_runs(out) if r.get("id") not in ids] + [run]
    write_atomic(out / RUNS_FILE, json.dumps(runs, indent=1, default=str))
    write_atomic(out / INDEX_FILE, render_index(runs))


def latest_good(out: Path) -> dict[str, Any] | None:
    """The record of the last run whose reports were published (never a pending run)."""
    states = run_states(out / HISTORY_FILE)
    good = [
        r
        for r in read_runs(out)
        if r.get("status") in GOOD and states.get(str(r.get("id"))) == PUBLISHED
    ]
    return good[-1] if good else None


@contextlib.contextmanager
def lock(out: Path, wait_seconds: float) -> Iterator[None]:
    """Hold the output folder's lock (one run at a time).

    Raises:
        LockTimeout: Another run kept it longer than ``wait_seconds``.
    """
    from filelock import FileLock, Timeout

    held = FileLock(str(out / LOCK_FILE))
    try:
        held.acquire(timeout=wait_seconds)
    except Timeout:
        raise LockTimeout(
            f"another report run holds {out / LOCK_FILE} (waited {wait_seconds:.0f} s)"
        ) from None
    try:
        yield
    finally:
        held.release()


def new_run_dir(out: Path, period: str, run_id: str) -> Path:
    """Create ``<out>/<period>/<run_id>/`` (``-2``, ``-3`` ... when that second is taken)."""
    run_dir = out / period / run_id
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = out / period / f"{run_id}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir


def utcnow() -> dt.datetime:
    """Now in UTC, to the second (run ids and start times)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
