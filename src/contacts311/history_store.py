"""The figure history's file: its schema, its run states and the errors it raises; no pandas.

A report run enters the history ``pending`` (every figure, input and "data as of" row in one
transaction), and is marked ``published`` in one more transaction once ``latest`` shows it.
Readers of figures see published runs only. A published run is final: its rows can be neither
changed nor removed (triggers refuse it); a pending run can be removed whole
(:func:`roll_back`), which is how a run that never reached ``latest`` is undone.

The report runner reads these states before deciding anything (is the output up to date?
which run was the last one published?), so this module loads only the standard library.
"""

from __future__ import annotations

import errno
import sqlite3
from contextlib import closing
from pathlib import Path

from contacts311.errors import InputError

__all__ = [
    "HISTORY_FILE",
    "PENDING",
    "PUBLISHED",
    "connect",
    "history_error",
    "mark_published",
    "open_read_only",
    "recorded_runs",
    "roll_back",
    "run_states",
    "select_sql",
]

HISTORY_FILE = "history.sqlite"
#: A run whose figures are recorded but whose reports are not (yet) what ``latest`` shows.
PENDING = "pending"
#: A run whose reports were published: final.
PUBLISHED = "published"

_TABLES = ("runs", "figures", "inputs", "as_of")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, run_time TEXT NOT NULL, basis TEXT NOT NULL,
    profile_sha256 TEXT NOT NULL, rules TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'published');
CREATE TABLE IF NOT EXISTS figures (
    run_id TEXT NOT NULL, period TEXT NOT NULL, channel TEXT NOT NULL, value INTEGER NOT NULL,
    is_partial INTEGER NOT NULL, input_sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    run_id TEXT NOT NULL, source_file TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL,
    rows_read INTEGER NOT NULL, columns TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS as_of (
    run_id TEXT NOT NULL, channel TEXT NOT NULL, last_contact_date TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS figures_append_only BEFORE UPDATE ON figures
    BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS figures_keep_published BEFORE DELETE ON figures
    WHEN (SELECT status FROM runs WHERE run_id = OLD.run_id) IS NOT 'pending'
    BEGIN SELECT RAISE(ABORT, 'history is append-only: a published run is never removed'); END;
CREATE TRIGGER IF NOT EXISTS runs_keep_published BEFORE DELETE ON runs
    WHEN OLD.status IS NOT 'pending'
    BEGIN SELECT RAISE(ABORT, 'history is append-only: a published run is never removed'); END;
CREATE TRIGGER IF NOT EXISTS runs_publish_only BEFORE UPDATE ON runs
    WHEN OLD.status IS NOT 'pending' OR NEW.status IS NOT 'published'
        OR NEW.run_id IS NOT OLD.run_id OR NEW.run_time IS NOT OLD.run_time
        OR NEW.basis IS NOT OLD.basis OR NEW.rules IS NOT OLD.rules
        OR NEW.profile_sha256 IS NOT OLD.profile_sha256
    BEGIN SELECT RAISE(ABORT, 'history is append-only: only a pending run may be published');
    END;
"""

#: Before run states, every recorded run was published and figures could never be deleted.
_MIGRATE = """
BEGIN;
ALTER TABLE runs ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
DROP TRIGGER IF EXISTS figures_no_delete;
COMMIT;
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open the history for writing: created when missing, a history without states migrated.

    Raises:
        InputError: The file is not a history; OSError: the system refused it (see
            :func:`history_error`).
    """
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            columns = _run_columns(conn)
            if columns and "status" not in columns:
                conn.executescript(_MIGRATE)
            conn.executescript(SCHEMA)
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise history_error(path, exc) from None
    return conn


def open_read_only(path: Path) -> sqlite3.Connection:
    """The history for reading only (nothing is created or migrated); in memory when absent."""
    if not path.is_file():
        conn = sqlite3.connect(":memory:")
        conn.executescript(SCHEMA)
        return conn
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _run_columns(conn: sqlite3.Connection) -> list[str]:
    return [row[1] for row in conn.execute("PRAGMA table_info(runs)")]


def select_sql(conn: sqlite3.Connection, table: str, include_pending: bool = False) -> str:
    """The query reading ``table`` in recording order, by default of published runs only.

    A history written before run states has no ``status`` column: all its runs were published.
    """
    if table not in _TABLES:
        raise ValueError(f"no table {table!r} in the history")
    with_states = "status" in _run_columns(conn)
    if include_pending or not with_states:
        return f"SELECT * FROM {table} ORDER BY rowid"  # noqa: S608 - a fixed table name
    if table == "runs":
        return f"SELECT * FROM runs WHERE status = '{PUBLISHED}' ORDER BY rowid"  # noqa: S608
    return (
        f"SELECT * FROM {table} WHERE run_id IN "  # noqa: S608 - a fixed table name
        f"(SELECT run_id FROM runs WHERE status = '{PUBLISHED}') ORDER BY rowid"
    )


def run_states(path: str | Path) -> dict[str, str]:
    """Every recorded run's state (``pending`` or ``published``), oldest first; none when absent.

    Raises:
        InputError: The file is not a history; OSError: the system refused to read it.
    """
    return {run_id: state for run_id, state, _ in recorded_runs(path)}


def recorded_runs(path: str | Path) -> list[tuple[str, str, str]]:
    """``(run id, state, run time)`` of every recorded run, oldest first; none when absent.

    Raises:
        InputError: The file is not a history; OSError: the system refused to read it.
    """
    path = Path(path)
    if not path.is_file():
        return []
    try:
        with closing(open_read_only(path)) as conn:
            columns = _run_columns(conn)
            if not columns:
                return []
            state = "status" if "status" in columns else f"'{PUBLISHED}'"
            query = f"SELECT run_id, {state}, run_time FROM runs ORDER BY rowid"  # noqa: S608
            return [tuple(row) for row in conn.execute(query).fetchall()]
    except sqlite3.DatabaseError as exc:
        raise history_error(path, exc) from None


def mark_published(path: str | Path, run_id: str) -> bool:
    """Mark a pending run published, in one transaction; ``False`` when it was not pending.

    Raises:
        InputError: The file is not a history; OSError: the system refused the write.
    """
    path = Path(path)
    try:
        with closing(connect(path)) as conn, conn:
            done = conn.execute(
                "UPDATE runs SET status = ? WHERE run_id = ? AND status = ?",
                (PUBLISHED, run_id, PENDING),
            )
            return done.rowcount == 1
    except sqlite3.DatabaseError as exc:
        raise history_error(path, exc) from None


def roll_back(path: str | Path, run_id: str) -> bool:
    """Remove a pending run and all its rows, in one transaction; ``False`` when not pending.

    Raises:
        InputError: The file is not a history; OSError: the system refused the write.
    """
    path = Path(path)
    try:
        with closing(connect(path)) as conn, conn:
            state = conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if state is None or state[0] != PENDING:
                return False
            for table in ("figures", "inputs", "as_of", "runs"):  # runs last: the triggers ask it
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))  # noqa: S608
            return True
    except sqlite3.DatabaseError as exc:
        raise history_error(path, exc) from None


#: SQLite's errors that are the system's (permissions, space, a missing folder, another
#: writer), by primary code; all others mean the file is not a healthy history.
_SYSTEM = {
    "SQLITE_READONLY": (errno.EACCES, "cannot write the figure history: it is read-only here"),
    "SQLITE_PERM": (errno.EACCES, "cannot use the figure history: permission denied"),
    "SQLITE_CANTOPEN": (
        errno.EACCES,
        "cannot open the figure history: check that its folder exists and may be written",
    ),
    "SQLITE_FULL": (errno.ENOSPC, "cannot write the figure history: the disk is full"),
    "SQLITE_IOERR": (errno.EIO, "cannot write the figure history: input/output error"),
    "SQLITE_BUSY": (errno.EBUSY, "the figure history is locked by another program"),
}


def history_error(path: Path, exc: Exception) -> Exception:
    """The error to raise for ``exc``: a damaged history, or the system refusing to use it.

    A permission or disk problem must never read as damage: that advice would make an operator
    throw away a healthy history.
    """
    primary = "_".join(getattr(exc, "sqlite_errorname", "").split("_")[:2])  # SQLITE_IOERR_WRITE
    if primary in _SYSTEM:
        code, what = _SYSTEM[primary]
        return OSError(code, f"{what} ({exc})", str(path))
    return InputError(
        path,
        f"not a readable contacts311 figure history ({exc}); expected the SQLite file a report "
        "run writes - move it aside to start a new history",
    )
