"""Publishing a run with one commit point, and settling a run that stopped on the way.

A good run is published in this order; a stop (a signal, a kill, a full disk) after any step
leaves a state the next run settles:

1. ``pending``: the run's figures enter the history marked pending, in one transaction
   (readers of the history never see a pending run);
2. ``staged``: the run page and ``provenance.json`` (the manifest: every page's SHA-256 and the
   run's record) are written and synced in the run's own folder;
3. ``swapped``: ``latest``, a symbolic link to the run's folder, is replaced by renaming a new
   link over it. This rename is the commit point: before it the world sees the previous run,
   after it the new one;
4. ``published``: the history marks the run published, in one transaction;
5. the runs index (``runs.json``, ``index.html``) records the run's status.

:func:`reconcile` runs first in every run (under the output folder's lock) and in every command
that reads the history: a pending run whose pages are whole and that ``latest`` shows is
finished (steps 4-5); any other pending run is rolled back (its history rows and its folder
removed, its record marked ``interrupted``). A run recorded ``running`` that no process runs any
more is marked ``interrupted`` and its partial folder removed.

``CONTACTS311_TEST_PAUSE_AT=<stage>`` (test-only) makes a run wait at that stage, after its
step, for up to :data:`PAUSE_SECONDS`, so tests can stop it there with a signal: one of
:data:`STAGES`, or a stage of the runner before publishing (``notebooks-started``: every
kernel is starting and waits for the dataset; ``dataset-published``: the notebooks run).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contacts311 import history_store as store
from contacts311.errors import handling_stop, os_error_message, warn_input
from contacts311.report import outputs
from contacts311.report.html import GOOD, LATEST

__all__ = [
    "MANIFEST",
    "PAUSE_ENV",
    "STAGES",
    "latest_folder",
    "pages_whole",
    "pause_at",
    "point_latest",
    "publish",
    "reconcile",
    "stage",
]

#: The publishing stages, in order, as :data:`PAUSE_ENV` names them.
STAGES = ("pending", "staged", "swapped", "published")
#: Test-only: the stage at which a run waits (see :func:`pause_at`).
PAUSE_ENV = "CONTACTS311_TEST_PAUSE_AT"
PAUSE_SECONDS = 120.0
#: The run's provenance, which also lists its pages' digests and keeps its record.
MANIFEST = "provenance.json"
#: Where a run stopped while publishing, as the index says.
_STOPPED = "the run stopped while publishing (the process ended); rolled back, nothing published"
_VANISHED = "the run ended without recording how (the process was killed); partial pages removed"


def pause_at(stage_name: str) -> None:
    """Test-only hook: wait here when :data:`PAUSE_ENV` names this stage.

    One line ``contacts311: test pause at STAGE`` goes to stderr; the wait ends by a signal
    (which stops the run as usual) or after :data:`PAUSE_SECONDS`, and the run goes on.
    """
    if os.environ.get(PAUSE_ENV) != stage_name:
        return
    print(f"contacts311: test pause at {stage_name}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)  # a signal's handler runs between these sleeps


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sync(path: Path) -> None:
    """Flush a file or a folder to the disk (a folder: the names it holds)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(run_dir: Path, run_page: str, provenance: Mapping[str, Any]) -> None:
    """Write the run page, then the manifest naming every page's digest; all synced.

    Args:
        run_dir: The run's folder, already holding its notebook pages.
        run_page: The run's ``index.html``.
        provenance: What ``provenance.json`` says (a ``record`` key keeps the run's record).
    """
    outputs.write_atomic(run_dir / outputs.INDEX_FILE, run_page)
    pages = {}
    for page in sorted(run_dir.iterdir()):
        if page.is_file() and page.name != MANIFEST and not page.name.startswith("."):
            _sync(page)
            pages[page.name] = _sha256(page)
    text = json.dumps({**provenance, "pages": pages}, indent=1, default=str)
    outputs.write_atomic(run_dir / MANIFEST, text, sync=True)
    _sync(run_dir)


def _manifest(run_dir: Path) -> dict[str, Any]:
    """The run folder's ``provenance.json`` (empty when missing or unreadable)."""
    try:
        doc = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def pages_whole(run_dir: Path) -> bool:
    """True when the run's folder holds every page its manifest lists, each byte for byte."""
    pages = _manifest(run_dir).get("pages")
    if not isinstance(pages, dict) or outputs.INDEX_FILE not in pages:
        return False
    try:
        return all(_sha256(run_dir / name) == digest for name, digest in pages.items())
    except OSError:
        return False


def latest_folder(out: Path) -> str | None:
    """The run folder ``latest`` points to (``FY2025-26/<run id>``), or ``None``.

    ``None`` too when ``latest`` is missing, points nowhere, or is a folder (the copy that
    versions before the link kept; :func:`reconcile` turns it into the link).
    """
    link = out / LATEST
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    if target.is_absolute() or not (out / target).is_dir():
        return None
    return target.as_posix()


def point_latest(out: Path, run_dir: Path) -> None:
    """Make ``latest`` point to ``run_dir``: a new link renamed over the old (atomic)."""
    link = out / LATEST
    if link.is_dir() and not link.is_symlink():
        _migrate_latest_dir(out, outputs.read_runs(out))
    fresh = out / f".latest-new-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        fresh.unlink()
    os.symlink(os.path.relpath(run_dir, out), fresh)
    os.replace(fresh, link)
    _sync(out)


def publish(
    out: Path,
    run_dir: Path,
    record: dict[str, Any],
    record_pending: Callable[[], None],
    stage_pages: Callable[[], None],
) -> None:
    """Publish a good run: history pending, pages staged, ``latest`` swapped, run published.

    Args:
        out: The output folder (its lock held).
        run_dir: The run's folder.
        record: The run's record, with its final status (``succeeded`` or ``warning``).
        record_pending: Writes the run's figures to the history, pending.
        stage_pages: Writes the run page and the manifest (:func:`stage`).

    Raises:
        OSError: A write failed (a full disk); the run was settled first as far as the
            disk allowed (finished when ``latest`` already showed it, else rolled back).
        KeyboardInterrupt: A stop by Ctrl-C or a signal, after settling the run the same way.
    """
    history = out / store.HISTORY_FILE
    try:
        record_pending()
        pause_at("pending")
        stage_pages()
        pause_at("staged")
        point_latest(out, run_dir)
        pause_at("swapped")
        store.mark_published(history, record["id"])
        pause_at("published")
        outputs.record(out, record)
    except BaseException as exc:
        handling_stop(exc)
        with contextlib.suppress(Exception, KeyboardInterrupt):  # the next run settles it then
            _settle(out, record, _reason(exc))
        raise


def _reason(exc: BaseException) -> tuple[str, str]:
    """The status and message a run rolled back for ``exc`` gets."""
    if isinstance(exc, OSError):
        return "failed", f"publishing failed: {os_error_message(exc)}; rolled back"
    number = getattr(exc, "signal_number", None)
    how = f"stopped by {signal.Signals(number).name}" if number else "interrupted (Ctrl-C)"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", f"{how} while publishing; rolled back, nothing published"
    return "failed", f"publishing failed: {type(exc).__name__}: {exc}; rolled back"


def reconcile(out: Path, say: Callable[[str], None] | None = None) -> None:
    """Bring the history, the runs index and ``latest`` back into agreement (lock held).

    Settles every pending run, restores the records of published runs the index lost, marks
    runs that a killed process left ``running`` as interrupted, turns an earlier version's
    ``latest/`` folder into the link, and removes the package's own leftovers
    (``.latest-*``).

    Raises:
        InputError: The history is damaged; OSError: the system refused a read or a write.
    """
    runs = outputs.read_runs(out)
    _tidy_latest(out, runs)
    history = out / store.HISTORY_FILE
    states = store.run_states(history)
    for run_id, state in states.items():
        if state == store.PENDING:
            outcome = _settle(out, _record_of(out, runs, run_id), ("interrupted", _STOPPED))
            if say is not None:
                say(f"run {run_id} had stopped while publishing: {outcome}")
    states = store.run_states(history)
    runs = outputs.read_runs(out)
    published = {i for i, s in states.items() if s == store.PUBLISHED}
    for rec in runs:
        if rec.get("id") in published and rec.get("status") not in GOOD:
            _restore_record(out, rec)
        elif rec.get("status") == "running":
            _discard(out, rec, "interrupted", _VANISHED)
    known = {r.get("id") for r in runs}
    for run_id in sorted(published - known):
        _restore_record(out, {"id": run_id})
    if latest_folder(out) is None:
        _point_at_newest(out, states)


def _record_of(out: Path, runs: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """A run's record: from the index, else from its manifest, else just its id."""
    found = next((r for r in runs if r.get("id") == run_id), None)
    if found is not None:
        return dict(found)
    for manifest in out.glob(f"*/{run_id}/{MANIFEST}"):
        kept = _manifest(manifest.parent).get("record")
        if isinstance(kept, dict):
            return {**kept, "folder": manifest.parent.relative_to(out).as_posix()}
    return {"id": run_id, "folder": "", "status": "running", "notebooks": []}


def _settle(out: Path, record: dict[str, Any], rolled_back: tuple[str, str]) -> str:
    """Finish a pending run that ``latest`` shows with whole pages; roll back any other.

    Returns:
        ``finished`` or ``rolled back`` (``nothing to do`` when the run is not pending).
    """
    history = out / store.HISTORY_FILE
    run_id = record["id"]
    if store.run_states(history).get(run_id) != store.PENDING:
        return "nothing to do"
    folder = record.get("folder") or ""
    if folder and latest_folder(out) == folder and pages_whole(out / folder):
        store.mark_published(history, run_id)
        _restore_record(out, record)
        return "finished"
    store.roll_back(history, run_id)
    if folder and latest_folder(out) == folder:  # damaged pages behind latest: never show them
        _point_at_newest(out, store.run_states(history))
    status, message = rolled_back
    _discard(out, record, status, message)
    return "rolled back"


def _restore_record(out: Path, record: dict[str, Any]) -> None:
    """Write a published run's record back to the index from its manifest."""
    rec = dict(record)
    folder = rec.get("folder") or next(
        (m.parent.relative_to(out).as_posix() for m in out.glob(f"*/{rec['id']}/{MANIFEST}")),
        "",
    )
    kept = _manifest(out / folder).get("record") if folder else None
    if isinstance(kept, dict):
        rec = {**kept, "folder": folder, "id": rec["id"]}
    if rec.get("status") not in GOOD:
        rec["status"] = "succeeded"
    rec.setdefault("message", "record restored from the history")
    outputs.record(out, rec)


def _discard(out: Path, record: dict[str, Any], status: str, message: str) -> None:
    """Mark a run that did not publish, and remove its partial folder (never ``latest``'s)."""
    folder = record.get("folder") or ""
    run_dir = out / folder
    if folder and run_dir.parent.parent == out and latest_folder(out) != folder:
        shutil.rmtree(run_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            run_dir.parent.rmdir()  # the period folder, when this run was its only one
        folder = ""
    outputs.record(out, {**record, "status": status, "message": message, "folder": folder})


def _point_at_newest(out: Path, states: Mapping[str, str]) -> None:
    """Point ``latest`` at the newest published run whose pages are whole; else remove it."""
    runs = {r.get("id"): r for r in outputs.read_runs(out)}
    for run_id in reversed([i for i, s in states.items() if s == store.PUBLISHED]):
        folder = (runs.get(run_id) or {}).get("folder")
        if folder and pages_whole(out / folder):
            point_latest(out, out / folder)
            return
    link = out / LATEST
    if link.is_symlink():
        link.unlink()


def _tidy_latest(out: Path, runs: list[dict[str, Any]]) -> None:
    """Remove this package's leftovers (``.latest-*``) and migrate a ``latest/`` folder."""
    link = out / LATEST
    for left in sorted(out.glob(".latest-*")):
        if left.is_symlink():
            left.unlink()  # a new link that was never renamed over latest
        elif left.name.startswith(".latest-old-") and not os.path.lexists(link):
            os.replace(left, link)  # a migration stopped between its two renames
        elif left.is_dir():
            shutil.rmtree(left, ignore_errors=True)  # a copy of a run folder, or half of one
    if link.is_dir() and not link.is_symlink():
        _migrate_latest_dir(out, runs)


def _migrate_latest_dir(out: Path, runs: list[dict[str, Any]]) -> None:
    """Replace an earlier version's ``latest/`` copy by a link to its run's folder.

    The copy is removed only when the run's own folder exists; otherwise it becomes that folder
    again, or, naming no known run, is kept aside as ``latest.old-<time>`` with a warning.
    """
    link = out / LATEST
    run_id = _manifest(link).get("run_id")
    rec = next((r for r in runs if r.get("id") == run_id and r.get("folder")), None)
    if rec is not None and (out / rec["folder"]).is_dir():
        aside = out / f".latest-old-{os.getpid()}"
        os.replace(link, aside)
        point_latest(out, out / rec["folder"])
        shutil.rmtree(aside, ignore_errors=True)
    elif rec is not None:
        target = out / rec["folder"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(link, target)
        point_latest(out, target)
    else:
        kept = out / f"latest.old-{outputs.utcnow().strftime('%Y%m%dT%H%M%SZ')}"
        os.replace(link, kept)
        warn_input(kept, "the latest/ folder an earlier version left names no run in the index")
