"""Figure history: every published figure traceable to its inputs, revisions flagged between runs.

Each successful report run appends its figures (period x channel totals), its input files and the
latest contact date per channel to an append-only SQLite file beside the reports
(``reports/history.sqlite``), in one transaction. The report runner records a run ``pending``
and marks it ``published`` once ``latest`` shows it (:mod:`contacts311.history_store`); every
reader here sees published runs only, so a run that was never published is never compared with.
A published figure is never updated or deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from contacts311.calendar import assign_periods, period_keys
from contacts311.history_store import (
    HISTORY_FILE,
    PENDING,
    PUBLISHED,
    connect,
    history_error,
    open_read_only,
    select_sql,
)
from contacts311.measures import channel_columns, period_totals

__all__ = [
    "HISTORY_FILE",
    "Revisions",
    "data_as_of",
    "dropped_figures",
    "figure_revisions",
    "figures_for_run",
    "input_checks",
    "read_history",
    "record_run",
    "revisions",
]


def data_as_of(contacts: pd.DataFrame) -> pd.DataFrame:
    """The latest contact date per channel (the "data as of" stamp), in report channel order."""
    if contacts.empty:
        return pd.DataFrame(columns=["channel", "last_contact_date"])
    last = contacts.groupby("channel")["contact_date"].max()
    order = channel_columns(list(last.index))
    return pd.DataFrame({"channel": order, "last_contact_date": [last[c].date() for c in order]})


def figures_for_run(
    contacts: pd.DataFrame,
    inputs: pd.DataFrame,
    start_month: int = 7,
    basis: str = "fiscal",
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The figures a run publishes: one row per period and channel (plus ``total``).

    Args:
        contacts: The core contacts table.
        inputs: ``Dataset.inputs`` (``source_file``, ``sha256``).
        start_month: First month of the fiscal year.
        basis: ``fiscal`` or ``calendar``.
        as_of: Date deciding which periods are partial (default: today).

    Returns:
        Columns ``period``, ``channel``, ``value``, ``is_partial``, ``input_sha256`` (the
        ``file:sha256`` of every input that contributed to that figure, ``;``-separated).
    """
    totals = period_totals(contacts, basis, start_month, as_of)
    cols = ["period", "channel", "value", "is_partial", "input_sha256"]
    if totals.empty:
        return pd.DataFrame(columns=cols)
    channels = [c for c in totals.columns if c not in ("period", "start", "end", "is_partial")]
    long = totals.melt(
        id_vars=["period", "is_partial"],
        value_vars=channels,
        var_name="channel",
        value_name="value",
    )
    sha = dict(zip(inputs["source_file"], inputs["sha256"], strict=False))
    keyed = contacts.assign(period_key=assign_periods(contacts["contact_date"], basis, start_month))
    label = dict(zip(period_keys(totals), totals["period"], strict=True))
    files = keyed.groupby(["period_key", "channel"])["source_file"].unique()
    contributing: dict[tuple[str, str], set[str]] = {}
    for (key, channel), names in files.items():
        period = label[int(key)]
        contributing.setdefault((period, channel), set()).update(names)
        contributing.setdefault((period, "total"), set()).update(names)
    long["input_sha256"] = [
        ";".join(f"{f}:{sha.get(f, '')}" for f in sorted(contributing.get((p, c), ())))
        for p, c in zip(long["period"], long["channel"], strict=True)
    ]
    long["value"] = long["value"].astype("int64")
    return long[cols]


def record_run(
    path: str | Path,
    run_id: str,
    run_time: dt.datetime,
    figures: pd.DataFrame,
    inputs: pd.DataFrame,
    columns: dict[str, list[str]],
    as_of: pd.DataFrame,
    rules: list[str],
    basis: str = "fiscal",
    status: str = PUBLISHED,
) -> None:
    """Append one successful run to the history, all or nothing.

    Args:
        path: The history file (``reports/history.sqlite``).
        run_id: The run's id (its folder name).
        run_time: When the run started (UTC).
        figures: From :func:`figures_for_run`.
        inputs: ``Dataset.inputs``.
        columns: ``Dataset.columns`` (each file's header).
        as_of: From :func:`data_as_of`.
        rules: The counting rules in force (``Profile.rules_text()``).
        basis: ``fiscal`` or ``calendar``.
        status: ``published``, or ``pending`` for a run whose reports are yet to be published
            (see :func:`contacts311.history_store.mark_published`).
    """
    if status not in (PENDING, PUBLISHED):
        raise ValueError(f"a run enters the history pending or published, not {status!r}")
    rules_text = "\n".join(rules)
    try:
        with closing(connect(Path(path))) as conn, conn:
            conn.execute(
                "INSERT INTO runs (run_id, run_time, basis, profile_sha256, rules, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    run_time.isoformat(),
                    basis,
                    hashlib.sha256(rules_text.encode()).hexdigest(),
                    rules_text,
                    status,
                ),
            )
            conn.executemany(
                "INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        r.period,
                        r.channel,
                        int(r.value),
                        int(bool(r.is_partial)),
                        r.input_sha256,
                    )
                    for r in figures.itertuples()
                ],
            )
            conn.executemany(
                "INSERT INTO inputs VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        r.source_file,
                        r.format,
                        r.sha256,
                        int(r.rows_read),
                        json.dumps(columns.get(r.source_file, [])),
                    )
                    for r in inputs.itertuples()
                ],
            )
            conn.executemany(
                "INSERT INTO as_of VALUES (?, ?, ?)",
                [(run_id, r.channel, str(r.last_contact_date)) for r in as_of.itertuples()],
            )
    except sqlite3.IntegrityError:
        raise  # the same run id twice is a caller's bug, not a damaged file
    except sqlite3.DatabaseError as exc:
        raise history_error(Path(path), exc) from None


def read_history(path: str | Path, include_pending: bool = False) -> dict[str, pd.DataFrame]:
    """The history's tables (``runs``, ``figures``, ``inputs``, ``as_of``); empty when absent.

    Args:
        path: The history file.
        include_pending: Also the rows of runs not (yet) published; every figure a report or a
            command compares with comes from published runs only.
    """
    path = Path(path)
    names = ("runs", "figures", "inputs", "as_of")
    try:
        with closing(open_read_only(path)) as conn:
            return {n: pd.read_sql_query(select_sql(conn, n, include_pending), conn) for n in names}
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise history_error(path, exc) from None


@dataclass
class Revisions:
    """What changed between two runs.

    Attributes:
        previous_run: The earlier run id (``None`` when there is only one run).
        current_run: The later run id (``None`` when there is no run).
        figures: ``period, channel, previous_value, current_value, change, previous_run, current_run``
            for every figure whose value differs (a figure present in only one run counts as
            differing, with the missing side empty).
        inputs: ``source_file, change`` (``new``, ``changed``, ``gone``).
    """

    previous_run: str | None
    current_run: str | None
    figures: pd.DataFrame
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def empty(self) -> bool:
        """True when no figure and no input differs."""
        return self.figures.empty and self.inputs.empty


_REV_COLUMNS = [
    "period",
    "channel",
    "previous_value",
    "current_value",
    "change",
    "previous_run",
    "current_run",
]
_INPUT_CHANGE_COLUMNS = ["source_file", "change"]


def _no_revisions(current_run: str | None) -> Revisions:
    """Nothing to compare: no run at all, or only ``current_run``."""
    return Revisions(
        None,
        current_run,
        pd.DataFrame(columns=_REV_COLUMNS),
        pd.DataFrame(columns=_INPUT_CHANGE_COLUMNS),
    )


def revisions(path: str | Path, since: str | None = None, current: str | None = None) -> Revisions:
    """Figures that differ between the latest run (or ``current``) and the previous one (or ``since``).

    Raises:
        KeyError: ``since`` or ``current`` is not a run in the history.
    """
    hist = read_history(path)
    runs = list(hist["runs"]["run_id"])
    if not runs:
        return _no_revisions(None)
    for rid in (since, current):
        if rid is not None and rid not in runs:
            raise KeyError(f"run {rid!r} is not in the history (runs: {', '.join(runs[-5:])})")
    cur = current or runs[-1]
    before = runs[: runs.index(cur)]
    prev = since or (before[-1] if before else None)
    figs = hist["figures"]
    now = figs[figs["run_id"] == cur].set_index(["period", "channel"])["value"]
    if prev is None:
        return _no_revisions(cur)
    old = figs[figs["run_id"] == prev].set_index(["period", "channel"])["value"]
    both = pd.concat({"previous_value": old, "current_value": now}, axis=1)
    differ = both[~(both["previous_value"] == both["current_value"])].copy()
    differ["change"] = differ["current_value"] - differ["previous_value"]
    differ["previous_run"] = prev
    differ["current_run"] = cur
    differ = differ.reset_index()
    for col in ("previous_value", "current_value", "change"):
        differ[col] = differ[col].astype("Int64")
    differ = differ.sort_values(["period", "channel"], kind="stable").reset_index(drop=True)[
        _REV_COLUMNS
    ]

    ins = hist["inputs"]
    a = ins[ins["run_id"] == prev].set_index("source_file")["sha256"]
    b = ins[ins["run_id"] == cur].set_index("source_file")["sha256"]
    changes = [(f, "new") for f in b.index.difference(a.index)]
    changes += [(f, "gone") for f in a.index.difference(b.index)]
    changes += [(f, "changed") for f in a.index.intersection(b.index) if a[f] != b[f]]
    inputs = pd.DataFrame(sorted(changes), columns=_INPUT_CHANGE_COLUMNS)
    return Revisions(prev, cur, differ, inputs)


def input_checks(
    path: str | Path,
    as_of: pd.DataFrame,
    inputs: pd.DataFrame,
    columns: dict[str, list[str]],
    stale_days: int = 7,
) -> tuple[list[str], list[str]]:
    """Compare a new run's inputs with the previous successful run's.

    Returns:
        ``(stale, layout)`` warnings: channels whose data now ends more than ``stale_days``
        earlier than before, and formats whose columns were added or removed.
    """
    hist = read_history(path)
    if hist["runs"].empty:
        return [], []
    prev = hist["runs"]["run_id"].iloc[-1]
    stale = []
    before = hist["as_of"][hist["as_of"]["run_id"] == prev]
    now = dict(zip(as_of["channel"], as_of["last_contact_date"], strict=False))
    for r in before.itertuples():
        last_before = dt.date.fromisoformat(r.last_contact_date)
        last_now = now.get(r.channel)
        if last_now is None:
            stale.append(
                f"{r.channel}: no data this run; the previous run had data to {last_before}"
            )
            continue
        days_earlier = (last_before - pd.Timestamp(last_now).date()).days
        if days_earlier > stale_days:
            stale.append(
                f"{r.channel}: data ends {last_now}, {days_earlier} days "
                f"earlier than the previous run ({last_before}); a month of exports may be missing"
            )
    layout = []
    prev_inputs = hist["inputs"][hist["inputs"]["run_id"] == prev]
    prev_cols: dict[str, set[str]] = {}
    for r in prev_inputs.itertuples():
        prev_cols.setdefault(r.format, set()).update(json.loads(r.columns))
    cur_cols: dict[str, set[str]] = {}
    for r in inputs.itertuples():
        cur_cols.setdefault(r.format, set()).update(columns.get(r.source_file, []))
    for fmt in sorted(set(prev_cols) & set(cur_cols)):
        gone = sorted(prev_cols[fmt] - cur_cols[fmt])
        added = sorted(cur_cols[fmt] - prev_cols[fmt])
        if gone or added:
            parts = []
            if gone:
                parts.append("columns gone: " + ", ".join(repr(c) for c in gone))
            if added:
                parts.append("columns new: " + ", ".join(repr(c) for c in added))
            layout.append(
                f"{fmt} export layout changed since the previous run ({'; '.join(parts)})"
            )
    return stale, layout


def figure_revisions(path: str | Path, figures: pd.DataFrame) -> pd.DataFrame:
    """This run's figures against the latest run already in the history (before it is recorded).

    Args:
        path: The history file; a missing file means there is no earlier run.
        figures: This run's figures, from :func:`figures_for_run`.

    Returns:
        One row per figure of this run: ``period, channel, value, previous_value, change,
        revised, previous_run, note``. ``previous_value`` and ``change`` are empty when the
        history has no earlier run or that run had no such figure; ``revised`` is true only for
        a figure the earlier run published with a different value; ``note`` says it in words
        (``revised +120 (was 1,000)``, ``unchanged``, ``new since the last run``, ``first run``).
    """
    cols = [
        "period",
        "channel",
        "value",
        "previous_value",
        "change",
        "revised",
        "previous_run",
        "note",
    ]
    hist = read_history(path)
    runs = list(hist["runs"]["run_id"])
    prev_run = runs[-1] if runs else None
    base = figures[["period", "channel", "value"]].reset_index(drop=True)
    if base.empty:
        return pd.DataFrame(columns=cols)
    figs = hist["figures"]
    before = figs[figs["run_id"] == prev_run].set_index(["period", "channel"])["value"]
    keys = list(zip(base["period"], base["channel"], strict=True))
    previous = pd.array([before.get(k) for k in keys], dtype="Int64")
    out = base.assign(previous_value=previous)
    out["value"] = out["value"].astype("int64")
    out["change"] = (out["value"].astype("Int64") - out["previous_value"]).astype("Int64")
    out["revised"] = (out["change"].fillna(0) != 0).astype(bool)
    out["previous_run"] = prev_run
    notes = []
    for r in out.itertuples():
        if prev_run is None:
            notes.append("first run")
        elif pd.isna(r.previous_value):
            notes.append("new since the last run")
        elif r.revised:
            notes.append(f"revised {int(r.change):+,} (was {int(r.previous_value):,})")
        else:
            notes.append("unchanged")
    out["note"] = notes
    return out[cols]


def dropped_figures(path: str | Path, figures: pd.DataFrame) -> pd.DataFrame:
    """Figures the latest recorded run published that this run no longer has.

    Returns:
        ``period, channel, previous_value, previous_run`` (empty when nothing was dropped or
        there is no earlier run).
    """
    cols = ["period", "channel", "previous_value", "previous_run"]
    hist = read_history(path)
    if hist["runs"].empty:
        return pd.DataFrame(columns=cols)
    prev_run = hist["runs"]["run_id"].iloc[-1]
    figs = hist["figures"]
    before = figs[figs["run_id"] == prev_run]
    now = set(zip(figures["period"], figures["channel"], strict=True))
    gone = before[[k not in now for k in zip(before["period"], before["channel"], strict=True)]]
    return pd.DataFrame(
        {
            "period": gone["period"].to_list(),
            "channel": gone["channel"].to_list(),
            "previous_value": gone["value"].astype("int64").to_list(),
            "previous_run": prev_run,
        },
        columns=cols,
    )
