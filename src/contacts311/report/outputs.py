"""The output folder: its lock, the run records (``runs.json``, ``index.html``) and ``latest/``.

``<out>/<period>/<run id>/`` holds each run; ``latest/`` is a copy of the last good one,
swapped in whole only after a run succeeded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    "swap_latest",
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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file renamed over it (no half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def record(out: Path, run: dict[str, Any]) -> None:
    """Add or replace ``run`` in ``runs.json`` and write the index again."""
    runs = [r for r in read_runs(out) if r.get("id") != run["id"]] + [run]
    write_atomic(out / RUNS_FILE, json.dumps(runs, indent=1, default=str))
    write_atomic(out / INDEX_FILE, render_index(runs))


def latest_good(out: Path) -> dict[str, Any] | None:
    """The record of the last run whose reports were published."""
    good = [r for r in read_runs(out) if r.get("status") in GOOD]
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


def swap_latest(out: Path, run_dir: Path) -> None:
    """Copy ``run_dir`` to a temp folder, then rename it over ``latest/``."""
    staging = Path(tempfile.mkdtemp(prefix=".latest-", dir=out))
    shutil.copytree(run_dir, staging, dirs_exist_ok=True)
    latest = out / LATEST
    old = out / f".latest-old-{os.getpid()}"
    if latest.exists():
        os.replace(latest, old)
    os.replace(staging, latest)
    shutil.rmtree(old, ignore_errors=True)


def utcnow() -> dt.datetime:
    """Now in UTC, to the second (run ids and start times)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
