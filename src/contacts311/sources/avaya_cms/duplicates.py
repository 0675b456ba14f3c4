"""Overlapping exports: rows repeating a key, and daily rows that repeat their intervals."""

from __future__ import annotations

import pandas as pd

from contacts311.errors import InputError
from contacts311.sources.avaya_cms.cells import COUNT_FIELDS

_KEY = ["acd_key", "skill_id", "contact_date", "start_key"]


def _key_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Adds the dedup key: ACD (only when several), skill, date, interval start (-1 = daily)."""
    acds = set(data["acd"].unique()) - {""}
    data["acd_key"] = data["acd"] if len(acds) > 1 else ""
    data["start_key"] = data["interval_start"].fillna(-1).astype("int64")
    return data


def _describe_key(row: pd.Series) -> str:
    acd = f"ACD {row['acd_key']}, " if row["acd_key"] else ""
    when = row["contact_date"].date().isoformat()
    if row["start_key"] < 0:
        return f"{acd}skill {row['skill_id']}, {when}, daily row"
    start = int(row["start_key"])
    return f"{acd}skill {row['skill_id']}, {when}, interval {start // 60:02d}:{start % 60:02d}"


def mark_duplicates(
    data: pd.DataFrame, headers: dict[str, dict[str, str]] | None = None
) -> pd.DataFrame:
    """Later rows with an earlier row's key: ``duplicate`` if equal, an error if not."""
    headers = headers or {}
    data = _key_columns(data).sort_values(["file_order", "line"], kind="stable")
    dup = data.duplicated(_KEY, keep="first")
    if dup.any():
        groups = data.groupby(_KEY, sort=False)
        for field_name in COUNT_FIELDS:
            first = groups[field_name].transform("first")
            conflict = dup & data[field_name].notna() & first.notna() & data[field_name].ne(first)
            if conflict.fillna(False).any():
                later = data[conflict.fillna(False)].iloc[0]
                same = (data[_KEY] == later[_KEY]).all(axis=1) & data[field_name].notna()
                earlier = data[same].iloc[0]
                raise InputError(
                    later["source_file"],
                    f"conflicting duplicate for {_describe_key(later)}: {field_name} is "
                    f"{earlier[field_name]} in {earlier['source_file']} line {earlier['line']} but "
                    f"{later[field_name]} in {later['source_file']} line {later['line']}; "
                    "expected overlapping exports to agree",
                    line=int(later["line"]),
                    column=headers.get(later["source_file"], {}).get(field_name, field_name),
                )
        data.loc[dup, ["bucket", "reason"]] = ("duplicate", "same_key_same_values")
    return data


def mark_daily_covered_by_intervals(data: pd.DataFrame) -> pd.DataFrame:
    """A daily row for a skill-day with interval rows is a duplicate when it equals their sums."""
    live = data["bucket"].eq("counted")
    daily = live & data["start_key"].lt(0)
    interval = live & data["start_key"].ge(0)
    if not (daily.any() and interval.any()):
        return data
    day_key = ["acd_key", "skill_id", "contact_date"]
    # Only skill-days that have a daily row matter (usually none: exports are one kind or other).
    daily_days = pd.MultiIndex.from_frame(data.loc[daily, day_key])
    iv = data[interval]
    iv = iv[pd.MultiIndex.from_frame(iv[day_key]).isin(daily_days)]
    if iv.empty:
        return data
    sums = iv.groupby(day_key).agg(
        acd_calls=("acd_calls", "sum"),
        abandoned_calls=("abandoned_calls", "sum"),
        calls_offered=("calls_offered", "sum"),
        offered_n=("calls_offered", "count"),
        rows=("line", "size"),
        files=("source_file", lambda x: ", ".join(sorted(set(x)))),
        first_line=("line", "min"),
        last_line=("line", "max"),
    )
    sums.loc[sums["offered_n"] < sums["rows"], "calls_offered"] = pd.NA
    days = data[daily].join(sums.add_suffix("_iv"), on=day_key)
    matched = days["rows_iv"].notna()
    for field_name in COUNT_FIELDS:
        a, b = days[field_name], days[f"{field_name}_iv"]
        conflict = matched & a.notna() & b.notna() & a.ne(b)
        conflict = conflict.fillna(False)
        if conflict.any():
            row = days[conflict].iloc[0]
            raise InputError(
                row["source_file"],
                f"daily row for {_describe_key(row)} has {field_name} {row[field_name]} but the "
                f"{int(row['rows_iv'])} interval rows of that skill-day ({row['files_iv']}, lines "
                f"{int(row['first_line_iv'])}-{int(row['last_line_iv'])}) sum to {row[f'{field_name}_iv']}; "
                "expected the daily row to equal the sum of its intervals",
                line=int(row["line"]),
            )
    covered = days.index[matched.to_numpy()]
    data.loc[covered, ["bucket", "reason"]] = ("duplicate", "daily_row_equals_intervals")
    return data
