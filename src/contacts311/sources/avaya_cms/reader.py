"""Reading all Avaya CMS files of a run together into skill-day rows, the ledger and intervals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.profile import Profile
from contacts311.schema import CONTACT_COLUMNS, INTERVAL_COLUMNS, empty_contacts
from contacts311.sources._base import SourceResult
from contacts311.sources.avaya_cms.cells import drop_blank_rows, parse_cells
from contacts311.sources.avaya_cms.duplicates import (
    mark_daily_covered_by_intervals,
    mark_duplicates,
)
from contacts311.sources.avaya_cms.file_cells import read_cells
from contacts311.sources.avaya_cms.rules import (
    Rules,
    apply_skill_rules,
    file_rules,
    row_counts,
    rule_notes,
)
from contacts311.sources.avaya_cms.titles import TitleDate

FORMAT = "avaya_cms"
KIND = "contacts"
DESCRIPTION = "Avaya CMS split/skill calls: CMS Supervisor report exports and hsplit dumps (phone)"


def read(files: list[InputFile], profile: Profile) -> SourceResult:
    """Read Avaya CMS exports into skill-day contact rows, the ledger and the intervals table.

    All files are read together so that overlapping exports are deduplicated.

    Args:
        files: :class:`~contacts311.inputs.InputFile` entries (``path``, ``name``, ``options``).
        profile: Profile giving ``phone.formula``, ``phone.skills`` and ``phone.exclude_skills``.

    Returns:
        Core rows (one per file, skill and day counted), the ledger, the ``intervals`` table,
        each file's header and notes naming the formula and skills used.

    Raises:
        InputError: A file without a recognisable header, a bad date, count or duration, a
            conflicting duplicate, or a skill-day that the formula would make negative.
    """
    found = _read_files(files, profile)
    rules, headers = found.rules, found.headers
    cells = drop_blank_rows(found.cells)
    ledger = LedgerBuilder(FORMAT)
    per_file = cells["source_file"].value_counts()
    for name in found.columns:
        ledger.read(name, int(per_file.get(name, 0)))
    summary, data = parse_cells(cells, headers)

    data["bucket"] = "counted"
    data["reason"] = ""
    data = mark_duplicates(data, headers)
    data = mark_daily_covered_by_intervals(data)
    data = apply_skill_rules(data, rules)
    data["count"] = row_counts(data, rules)

    counted = data[data["bucket"] == "counted"]
    contacts = _skill_days(counted)
    ledger.add_frame(
        summary[["source_file"]].assign(bucket="excluded", reason="summary_row", count=0),
        contacts_column="count",
    )
    ledger.add_frame(data[["source_file", "bucket", "reason", "count"]], contacts_column="count")
    notes = rule_notes(profile, files, rules) + _title_notes(found.titles) + _dash_notes(data)
    notes.append(
        f"Avaya CMS: {len(contacts):,} skill-days counted from {len(files)} file(s), "
        f"{int(contacts['count'].sum()):,} calls."
    )
    return SourceResult(
        contacts=contacts,
        ledger=ledger,
        notes=notes,
        tables={"intervals": _intervals_table(counted)},
        columns=found.columns,
    )


@dataclass
class _Files:
    """Every file's cells in one frame (blank rows included), with what each file's header says.

    Attributes:
        cells: One row per line below a header: ``source_file``, ``line``, ``file_order``,
            ``kind`` and the text cells by field (``None`` where a file has no such column).
        columns: Each file's header, as written.
        headers: Each file's header cell by field, for messages.
        rules: Each file's formula and skill filters.
        titles: The title line dating each file that has no date column.
    """

    cells: pd.DataFrame
    columns: dict[str, list[str]]
    headers: dict[str, dict[str, str]]
    rules: dict[str, Rules]
    titles: dict[str, TitleDate]


def _read_files(files: list[InputFile], profile: Profile) -> _Files:
    """Read every file's header and cells, in name order, and check each file's formula."""
    found = _Files(pd.DataFrame(), {}, {}, {}, {})
    # Cells of every file are gathered as arrays and framed once: a frame per file (there can
    # be hundreds of small monthly exports) costs more than parsing them.
    texts: dict[str, list[np.ndarray]] = {}
    meta: dict[str, list[np.ndarray]] = {
        "source_file": [],
        "line": [],
        "file_order": [],
        "kind": [],
    }
    for order, f in enumerate(sorted(files, key=lambda f: f.name)):
        found.rules[f.name] = file_rules(f, profile)
        layout, cells, header_line, title = read_cells(Path(f.path), f.name)
        if title is not None:
            found.titles[f.name] = title
        found.columns[f.name] = layout.header
        found.headers[f.name] = {k: layout.header[i] for k, i in layout.fields.items()}
        if found.rules[f.name][0] == "calls_offered" and "calls_offered" not in layout.fields:
            raise InputError(
                f.name,
                "formula calls_offered needs a calls offered column ('Calls Offered' or "
                "'callsoffered'); this export has none",
                line=header_line,
            )
        n = len(cells["first_cell"])
        # A column a file does not have stays missing (None), unlike an empty cell ("").
        for key in [k for k in cells if k not in texts]:
            texts[key] = [np.full(len(part), None, dtype=object) for part in meta["line"]]
        for key, parts in texts.items():
            parts.append(cells[key] if key in cells else np.full(n, None, dtype=object))
        meta["source_file"].append(np.full(n, f.name, dtype=object))
        meta["line"].append(header_line + 1 + np.arange(n, dtype=np.int64))
        meta["file_order"].append(np.full(n, order, dtype=np.int64))
        meta["kind"].append(np.full(n, layout.kind, dtype=object))
    if meta["line"]:
        # Explicitly object: pandas would otherwise convert every text column to Arrow strings,
        # which the parsers turn straight back into objects.
        found.cells = pd.DataFrame(
            {
                **{k: np.concatenate(v) for k, v in meta.items()},
                **{k: pd.Series(np.concatenate(v), dtype=object) for k, v in texts.items()},
            }
        )
    else:
        found.cells = pd.DataFrame(columns=[*meta, "first_cell"])
    return found


def _title_notes(titles: dict[str, TitleDate]) -> list[str]:
    """Per file dated by a title line, the day and the line."""
    return [
        f"{name}: no date column; every row is dated {t.dates[0].isoformat()} from title line "
        f"{t.line} ({t.text!r})."
        for name, t in sorted(titles.items())
    ]


def _dash_notes(data: pd.DataFrame) -> list[str]:
    """Per file, how many cells were a dash (CMS had no calls) read as 0."""
    per_file = data.groupby("source_file", sort=True)[["dash_count_cells", "dash_time_cells"]].sum()
    notes = []
    for name, row in per_file.iterrows():
        counts, times = int(row["dash_count_cells"]), int(row["dash_time_cells"])
        if counts or times:
            notes.append(
                f"{name}: {counts + times:,} cell(s) written as a dash ('-' or '--': no calls in "
                f"CMS) read as 0: {counts:,} in call-count columns, {times:,} in time columns."
            )
    return notes


def _skill_days(counted: pd.DataFrame) -> pd.DataFrame:
    """One core row per file, ACD, skill and day; checks acd_minus_abandoned is not negative."""
    if counted.empty:
        return empty_contacts()
    keys = ["source_file", "acd_key", "skill_id", "contact_date"]
    days = (
        counted.groupby(keys, sort=True)
        .agg(
            count=("count", "sum"),
            queue=("queue", "first"),
            acd_calls=("acd_calls", "sum"),
            abandoned_calls=("abandoned_calls", "sum"),
            first_line=("line", "min"),
            last_line=("line", "max"),
            ledger_rows=("line", "size"),
        )
        .reset_index()
    )
    negative = days["count"].lt(0)
    if negative.any():
        row = days[negative].iloc[0]
        lines = (
            str(row["first_line"])
            if row["first_line"] == row["last_line"]
            else f"{row['first_line']}-{row['last_line']}"
        )
        raise InputError(
            row["source_file"],
            f"formula acd_minus_abandoned gives {row['count']} for skill {row['skill_id']} on "
            f"{row['contact_date'].date().isoformat()} (ACD calls {row['acd_calls']}, abandoned "
            f"{row['abandoned_calls']}); expected ACD calls >= abandoned calls per skill-day. "
            "Use formula acd_calls (ACD calls are already answered calls) or check the export",
            line=lines,
        )
    out = pd.DataFrame(
        {
            "contact_date": days["contact_date"].astype("datetime64[ns]"),
            "channel": "phone",
            "count": days["count"].astype("int64"),
            "source": FORMAT,
            "source_file": days["source_file"],
            "contact_id": pd.Series(pd.NA, index=days.index, dtype="string"),
            "queue": days["queue"],
            # Rows read behind each skill-day, so the pipeline can move them in the ledger
            # (future dates); the core schema drops the column.
            "ledger_rows": days["ledger_rows"].astype("int64"),
        }
    )
    return out.astype(CONTACT_COLUMNS)


def _intervals_table(counted: pd.DataFrame) -> pd.DataFrame:
    rows = counted[counted["start_key"].ge(0)] if "start_key" in counted else counted.iloc[:0]
    out = rows.reindex(columns=list(INTERVAL_COLUMNS)).astype(INTERVAL_COLUMNS)
    return out.sort_values(["contact_date", "queue", "interval_start"], kind="stable").reset_index(
        drop=True
    )
