"""Zendesk timestamps: account-local times of the CSV export, UTC times of the JSON export."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from contacts311.errors import InputError, warn_input

_LOCAL_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
)

_LOCAL_FORMATS_TEXT = (
    "YYYY-MM-DD HH:MM:SS (or with T, without seconds, or with a UTC offset)"
    " or MM/DD/YYYY HH:MM[:SS] [AM/PM]"
)

_UTC_FORMATS_TEXT = "ISO-8601 UTC, e.g. 2024-03-11T16:15:02Z"


def parse_local_times(
    values: pd.Series, name: str, column: str, lines: Any, tz: str
) -> tuple[pd.Series, pd.Series]:
    """Parse account-local times; return (UTC, local) as naive datetimes.

    A local time in the spring-forward gap (02:30 on the day clocks jump to 03:00) is shifted
    forward to the first valid instant (03:00); an ambiguous fall-back time (01:30 twice) takes
    the first occurrence (daylight time), because the export gives no way to tell them apart.
    """
    values = values.reset_index(drop=True).astype("str")
    if len(values) == 0:
        empty = pd.Series(pd.DatetimeIndex([], dtype="datetime64[ns]"))
        return empty, empty
    has_offset = values.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).astype(bool)
    if has_offset.any():
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        naive = pd.to_datetime(values.where(~has_offset), format="ISO8601", errors="coerce")
    else:  # the usual Zendesk CSV: every time naive, parse once
        naive = arrow_times(values, None)
        if naive is None:
            naive = pd.to_datetime(values, format="ISO8601", errors="coerce")
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    for fmt in _LOCAL_FORMATS:
        missing = naive.isna() & ~has_offset
        if not missing.any():
            break
        naive = naive.fillna(pd.to_datetime(values.where(missing), format=fmt, errors="coerce"))
    bad = (naive.isna() & ~has_offset) | (parsed.isna() & has_offset)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            name,
            f"cannot read time {values.iloc[pos]!r}; expected {_LOCAL_FORMATS_TEXT}"
            f" (account time zone {tz})",
            line=int(lines[pos]),
            column=column,
        )
    utc = naive.dt.tz_localize(
        tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    ).dt.tz_convert("UTC")
    utc = utc.where(~has_offset, parsed)
    local = utc.dt.tz_convert(tz).dt.tz_localize(None)
    # Keep the written local wall-clock time (not the shifted one) for the contact date.
    local = naive.where(~has_offset, local)
    return utc.dt.tz_localize(None).astype("datetime64[ns]"), local.astype("datetime64[ns]")


def arrow_times(values: pd.Series, zone: str | None) -> pd.Series | None:
    """Naive datetimes read by Arrow's C++ ISO-8601 parser, or ``None`` unless every value reads.

    With ``zone="UTC"`` every value must carry its zone (Z or an offset) and comes back as UTC;
    with ``None`` no value may carry one. Anything Arrow rejects (a UTC time without a zone,
    which is warned about, or an unreadable time, which is an error) takes the slower pandas
    path that says so.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
        if text.null_count:
            return None
        stamps = pc.cast(text, pa.timestamp("ns", tz=zone))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    nanos = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return pd.Series(nanos.view("datetime64[ns]"), index=values.index)


def parse_utc(values: pd.Series, name: str, column: str, lines: Any) -> pd.Series:
    """Parse ISO-8601 UTC times (a value without an offset is taken as UTC) to naive UTC."""
    if len(values) == 0:
        return pd.Series(pd.DatetimeIndex([], dtype="datetime64[ns]"))
    zoned = arrow_times(values, "UTC")
    if zoned is not None:
        return zoned
    text = values.astype(str)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        line = int(lines[pos]) if lines[pos] > 0 else None
        where = "" if line is not None else f" (record {pos + 1})"
        raise InputError(
            name,
            f"cannot read time {values.iloc[pos]!r}{where}; expected {_UTC_FORMATS_TEXT}",
            line=line,
            column=column,
        )
    unzoned = ~text.str.endswith("Z")
    if unzoned.any():
        # Most values end in Z; only the rest need the slower offset pattern.
        unzoned[unzoned] = ~text[unzoned].str.contains(r"[+-]\d\d:?\d\d$", regex=True)
    if unzoned.any():
        warn_input(
            name,
            f"{int(unzoned.sum())} {column} time(s) have no time zone (e.g. "
            f"{text[unzoned].iloc[0]!r}); taken as UTC, as the incremental export writes",
        )
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")
