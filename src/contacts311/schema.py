"""The core contacts table and its pandera schema.

One row per counted unit: a ticket (``contact_id`` set, ``count`` 1) or an aggregate such as an
Avaya skill-day (``contact_id`` empty, ``count`` = calls). A row is a day's count unless
``is_monthly`` says it is a month's total (a ``counts`` source with ``period: month``), dated the
first of its month: totals per fiscal year use it, measures that need days leave it out
(:func:`daily_rows`). Nothing else travels past the loaders:
no names, addresses, phone numbers or free text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from contacts311.errors import InputError

if TYPE_CHECKING:  # pandas loads when a table is built: sources import the column lists first
    import numpy as np
    import pandas as pd

__all__ = [
    "CHANNEL_ORDER",
    "CONTACT_COLUMNS",
    "CORE_COLUMNS",
    "GRAIN_COLUMNS",
    "INTERVAL_COLUMNS",
    "MONTHLY_COLUMN",
    "NeedsDailyData",
    "daily_rows",
    "last_day_covered",
    "monthly_mask",
    "empty_contacts",
    "order_channels",
    "validate_contacts",
]

#: The channels every report shows first, in this order.
CHANNEL_ORDER = ("phone", "email", "webform", "in_person")


def order_channels(channels: Iterable[str]) -> list[str]:
    """Channels in report order: phone, email, webform, in_person, then any other, sorted."""
    present = set(channels)
    return [c for c in CHANNEL_ORDER if c in present] + sorted(present - set(CHANNEL_ORDER))


#: Column -> dtype of the core table.
CONTACT_COLUMNS = {
    "contact_date": "datetime64[ns]",
    "channel": "string",
    "count": "int64",
    "source": "string",
    "source_file": "string",
    "contact_id": "string",
    "queue": "string",
}


#: The column saying a row is a month's total (dated the first of its month), not a day's.
MONTHLY_COLUMN = "is_monthly"

#: Column -> dtype of the core table's columns a source may leave out: a row without
#: ``is_monthly`` is a day's.
GRAIN_COLUMNS = {MONTHLY_COLUMN: "bool"}

#: Column -> dtype of the validated core table: what every source gives, and its grain.
CORE_COLUMNS = {**CONTACT_COLUMNS, **GRAIN_COLUMNS}


#: Column -> dtype of the ``intervals`` table (phone sources with interval data, for staffing).
INTERVAL_COLUMNS = {
    "contact_date": "datetime64[ns]",
    "interval_start": "int64",
    "interval_minutes": "int64",
    "queue": "string",
    "calls_offered": "Int64",
    "acd_calls": "int64",
    "abandoned_calls": "int64",
    "acd_time_seconds": "Int64",
    "acw_time_seconds": "Int64",
    "staffed_seconds": "Int64",
    "answer_wait_seconds": "Int64",
    "abandon_wait_seconds": "Int64",
}


def empty_contacts() -> pd.DataFrame:
    """An empty core table with the right columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CORE_COLUMNS.items()})


class NeedsDailyData(ValueError):
    """A day-level measure was asked of contacts that are only monthly totals.

    The message is one or more sentences fit for a report ("Spikes need daily data; email is
    monthly (12 months, 2023-07 to 2024-06)."): callers show it instead of a chart or table.
    """


def monthly_mask(contacts: pd.DataFrame) -> np.ndarray:
    """Which rows are months' totals (all ``False`` for a table without ``is_monthly``)."""
    import numpy as np

    if MONTHLY_COLUMN not in contacts.columns:
        return np.zeros(len(contacts), dtype=bool)
    return contacts[MONTHLY_COLUMN].astype("boolean").fillna(False).to_numpy(dtype=bool)


def last_day_covered(contacts: pd.DataFrame) -> pd.Timestamp:
    """The last day the rows cover: a month's total covers its month to the last day.

    Raises:
        ValueError: ``contacts`` is empty.
    """
    import pandas as pd

    if contacts.empty:
        raise ValueError("no contacts, so no last day")
    dates = pd.to_datetime(contacts["contact_date"]).dt.normalize()
    ends = dates.where(~monthly_mask(contacts), dates + pd.offsets.MonthEnd(0))
    return ends.max()


def daily_rows(
    contacts: pd.DataFrame, needs: str, *, left_out: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """The rows that are days' counts, and one sentence per channel with monthly totals.

    A month's total dated the first of its month would read as one very busy day, so measures
    that need days (spikes, the undercount, weekday shares, weekly totals) take only these rows.

    Args:
        contacts: Core contacts rows (a table without ``is_monthly`` is all daily).
        needs: The sentence's subject and verb, such as ``"Spikes need"``.
        left_out: The caller goes on without the monthly rows (the sentence says they are left
            out); ``False`` when it stops instead.

    Returns:
        The daily rows, and for each channel with monthly rows (in report order)
        :func:`contacts311.wording.needs_daily_note`'s sentence, e.g. "Spikes need daily
        data; email is monthly (12 months, 2019-07 to 2020-06).".
    """
    import pandas as pd

    from contacts311.wording import needs_daily_note

    monthly = monthly_mask(contacts)
    if not monthly.any():
        return contacts, []
    daily, months = contacts[~monthly], contacts[monthly]
    daily_channels = set(daily["channel"].astype("str"))
    channels = months["channel"].astype("str")
    notes = []
    for channel in order_channels(channels.unique()):
        spans = pd.to_datetime(months.loc[channels == channel, "contact_date"]).dt.to_period("M")
        notes.append(
            needs_daily_note(
                needs,
                channel,
                spans.nunique(),
                str(spans.min()),
                str(spans.max()),
                has_days=channel in daily_channels,
                left_out=left_out,
            )
        )
    return daily, notes


def _schema():  # built lazily: pandera is slow to import
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "contact_date": pa.Column("datetime64[ns]", nullable=False),
            "channel": pa.Column(
                "string", pa.Check.str_matches(r"^[a-z][a-z0-9_]*$"), nullable=False
            ),
            "count": pa.Column("int64", pa.Check.ge(0), nullable=False),
            "source": pa.Column("string", nullable=False),
            "source_file": pa.Column("string", nullable=False),
            "contact_id": pa.Column("string", nullable=True),
            "queue": pa.Column("string", nullable=True),
            MONTHLY_COLUMN: pa.Column("bool", nullable=False),
        },
        strict=True,
        ordered=False,
        checks=[
            pa.Check(
                lambda df: (
                    ~(
                        df["contact_id"].notna()
                        & df.duplicated(["source", "contact_id"], keep=False)
                    )
                ),
                name="one row per contact id and source",
                error="a contact id appears twice after deduplication",
            ),
            pa.Check(
                lambda df: ~df[MONTHLY_COLUMN] | (df["contact_date"].dt.day == 1),
                name="a month's total is dated the first of its month",
                error="a monthly row is not dated the first day of its month",
            ),
        ],
    )


def validate_contacts(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce ``frame`` to the core dtypes and validate it (lazy: all failures reported at once).

    Raises:
        InputError: Listing the failing column, check and first failure cases.
    """
    import pandera.errors

    frame = frame.reindex(columns=list(CORE_COLUMNS))
    # Sources without monthly totals leave the column out: their rows are days.
    frame[MONTHLY_COLUMN] = frame[MONTHLY_COLUMN].astype("boolean").fillna(False)
    frame = frame.astype(CORE_COLUMNS)
    frame["contact_date"] = frame["contact_date"].dt.normalize()
    try:
        return _schema().validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.head(3)
        detail = "; ".join(
            f"column {r.column!r} check {r.check!r} failed for {r.failure_case!r} (row {r.index})"
            for r in first.itertuples()
        )
        raise InputError(
            None, f"core contacts table failed validation ({len(cases)} failures): {detail}"
        ) from None
