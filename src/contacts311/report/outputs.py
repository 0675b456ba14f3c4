"""The output folder: its lock, its run folders and the run records (``runs.json``, ``index.html``).

``<out>/<period>/<run id>/`` holds each run; ``latest`` is a link to the last published one
(see :mod:`~contacts311.report.publish`, which also settles runs that stopped on the way).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contacts311.errors import warn_input
from contacts311.history_store import HISTORY_FILE, PUBLISHED, recorded_runs, run_states
from contacts311.report.html import GOOD, LATEST, render_index

__all__ = [
    "INDEX_FILE",
    "LATEST",
    "LOCK_FILE",
    "RUNS_FILE",
    "LockTimeout",
    "check_room",
    "folder_bytes",
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
    """The run records kept in ``out``, oldest first (none when there is no ``runs.json``).

    A ``runs.json`` that is damaged or of the wrong shape is never silently replaced: it is
    kept aside as ``runs.json.damaged-<time>``, a warning says so, and the records are rebuilt
    from the figure history and each run folder's ``provenance.json`` (call with the lock held).
    """
    path = out / RUNS_FILE
    if not path.is_file():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return _rebuild_runs(out, f"not valid JSON ({exc})")
    problem = _shape_problem(runs)
    if problem:
        return _rebuild_runs(out, problem)
    return runs


#: A run record's fields that the index reads, with the type each must have.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "started": str,
    "status": str,
    "period": str,
    "folder": str,
    "message": str,
    "key": str,
    "parameters": dict,
    "key_parts": dict,
    "notebooks": list,
    "duration_seconds": (int, float, type(None)),
}


def _shape_problem(runs: Any) -> str:
    """What is wrong with a parsed ``runs.json`` (empty when it is a list of run records)."""
    if not isinstance(runs, list):
        return f"expected a list of run records, found a JSON {type(runs).__name__}"
    for n, run in enumerate(runs, start=1):
        if not isinstance(run, dict) or not isinstance(run.get("id"), str):
            return f"record {n} is not a run record with an id"
        for name, kind in _FIELD_TYPES.items():
            if name in run and not isinstance(run[name], kind):
                return f"record {n} ({run['id']}): {name!r} is a {type(run[name]).__name__}"
        if not all(isinstance(nb, dict) for nb in run.get("notebooks", [])):
            return f"record {n} ({run['id']}): a notebook entry is not a record"
    return ""


def _rebuild_runs(out: Path, problem: str) -> list[dict[str, Any]]:
    """Keep the damaged ``runs.json`` aside and rebuild it from the history and provenance."""
    path = out / RUNS_FILE
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    aside = out / f"{RUNS_FILE}.damaged-{stamp}"
    n = 1
    while aside.exists():
        n += 1
        aside = out / f"{RUNS_FILE}.damaged-{stamp}-{n}"
    os.replace(path, aside)
    runs = _runs_from_folders(out)
    warn_input(
        path,
        f"damaged ({problem}); kept as {aside.name}, and the index rebuilt from the figure "
        f"history and the run folders ({len(runs)} run(s))",
    )
    write_atomic(path, json.dumps(runs, indent=1, default=str))
    write_atomic(out / INDEX_FILE, render_index(runs))
    return runs


def _runs_from_folders(out: Path) -> list[dict[str, Any]]:
    """A record per run folder (from its ``provenance.json``) and per published run left."""
    runs: dict[str, dict[str, Any]] = {}
    for manifest in sorted(out.glob("*/*/provenance.json")):
        folder = manifest.parent
        if folder.parent.name == LATEST or folder.parent.is_symlink():
            continue
        try:
            prov = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(prov, dict):
            rec = _record_from_provenance(prov, folder.relative_to(out).as_posix())
            if not _shape_problem([rec]):
                runs[rec["id"]] = rec
    for run_id, (state, run_time) in _history_runs(out).items():
        if run_id not in runs and state == PUBLISHED:
            runs[run_id] = {
                "id": run_id,
                "started": run_time,
                "status": "succeeded",
                "period": "",
                "folder": "",
                "parameters": {},
                "notebooks": [],
                "message": "rebuilt from the figure history; the run's folder is gone",
            }
    return sorted(runs.values(), key=lambda r: str(r.get("started", "")))


def _record_from_provenance(prov: dict[str, Any], folder: str) -> dict[str, Any]:
    """A run's record from its provenance: the copy it keeps, else what it says."""
    kept = prov.get("record")
    if isinstance(kept, dict):
        return {**kept, "folder": folder}
    return {
        "id": str(prov.get("run_id") or Path(folder).name),
        "started": str(prov.get("started") or ""),
        "status": str(prov.get("status") or "failed"),
        "parameters": {},
        "key": str(prov.get("key") or ""),
        "key_parts": {},
        "period": Path(folder).parent.name,
        "folder": folder,
        "notebooks": prov.get("notebooks") if isinstance(prov.get("notebooks"), list) else [],
        "message": "rebuilt from the run's provenance.json",
    }


def _history_runs(out: Path) -> dict[str, tuple[str, str]]:
    """Run id -> (state, start time) of every run in the figure history."""
    return {run_id: (state, when) for run_id, state, when in recorded_runs(out / HISTORY_FILE)}


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


#: The least a run is given room for, on top of the last run's size (history rows, the index).
MIN_ROOM_BYTES = 1 << 20


def folder_bytes(folder: Path) -> int:
    """The bytes the files directly in ``folder`` hold (0 when it is missing)."""
    try:
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    except OSError:
        return 0


def check_room(out: Path, need_bytes: int) -> None:
    """Check that ``out`` takes a write of ``need_bytes`` (synced, then removed).

    A read-only, full or quota-bound output folder is found here, before a notebook runs,
    rather than half-way through publishing.

    Raises:
        OSError: The folder refused the write, or has less room than ``need_bytes``; the
            message names the folder and what failed.
    """
    need = max(need_bytes, MIN_ROOM_BYTES)
    probe = out / f".write-probe-{os.getpid()}"
    try:
        if hasattr(os, "statvfs"):  # not on Windows
            fs = os.statvfs(out)
            if fs.f_bavail * fs.f_frsize < need:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        block = b"\0" * (1 << 16)
        with probe.open("wb") as fh:
            for _ in range(0, need, len(block)):
                fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        what = exc.strerror or type(exc).__name__
        raise OSError(
            exc.errno,
            f"cannot write the output folder ({what}; checked with a {need / 1e6:.1f} MB "
            "test write, the size of the last run); nothing was run",
            str(out),
        ) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def utcnow() -> dt.datetime:
    """Now in UTC, to the second (run ids and start times)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
