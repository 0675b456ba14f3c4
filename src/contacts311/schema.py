"""The core contacts table and its pandera schema.

One row per counted unit: a ticket (``contact_id`` set, ``count`` 1) or an aggregate such as an
Avaya skill-day (``contact_id`` empty, ``count`` = calls). Nothing else travels past the loaders:
no names, addresses, phone numbers or free text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from contacts311.errors import InputError

if TYPE_CHECKING:  # pandas loads when a table is built: sources import the column lists first
    import pandas as pd

__all__ = [
    "CHANNEL_ORDER",
    "CONTACT_COLUMNS",
    "INTERVAL_COLUMNS",
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

    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CONTACT_COLUMNS.items()})


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
            )
        ],
    )


def validate_contacts(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce ``frame`` to the core dtypes and validate it (lazy: all failures reported at once).

    Raises:
        InputError: Listing the failing column, check and first failure cases.
    """
    import pandera.errors

    frame = frame.reindex(columns=list(CONTACT_COLUMNS))
    frame = frame.astype(CONTACT_COLUMNS)
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
