"""The ledger, the core rows and the intervals table, from the counting rule's tally."""

from __future__ import annotations

import pandas as pd

from contacts311.ledger import LedgerBuilder
from contacts311.schema import INTERVAL_COLUMNS as SCHEMA_INTERVAL_COLUMNS
from contacts311.sources.amazon_connect._rule import Tally

#: Columns of the ``intervals`` table; call records carry no CMS wait totals.
INTERVAL_COLUMNS = {
    k: v for k, v in SCHEMA_INTERVAL_COLUMNS.items() if not k.endswith("_wait_seconds")
}
#: Ledger reasons of a chain's first leg that is not counted.
REASONS = ("not_voice", "outbound", "not_answered")
_FORMAT = "amazon_connect"


def tables(
    tally: Tally | None, names: list[str], ledger: LedgerBuilder
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Fill ``ledger``; return the core rows, the intervals table and the legs folded in."""
    if tally is None:
        tally = Tally(
            chains=pd.DataFrame(columns=["file", "class", "queue", "day", "calls"]),
            files=pd.DataFrame(columns=["file", "read", "legs"]),
            intervals=pd.DataFrame(columns=["day", "interval_start", "queue", "calls", "acd"]),
        )
    chains = tally.chains
    per_class = chains.groupby(["file", "class"])["calls"].sum()
    heads = per_class.groupby(level="file").sum()
    files = tally.files.set_index("file")
    folded = 0
    for i, name in enumerate(names):
        read = int(files["read"].get(i, 0))
        legs = int(files["legs"].get(i, 0))
        ledger.read(name, read)
        ledger.add(name, "duplicate", "duplicate", read - legs)
        # Every leg is the first of its chain (a class below) or folded into its chain.
        ledger.add(name, "excluded", "transfer_leg", legs - int(heads.get(i, 0)))
        folded += legs - int(heads.get(i, 0))
    for i, name in enumerate(names):
        counted = int(per_class.get((i, "counted"), 0))
        ledger.add(name, "counted", "", counted, counted)
        for reason in REASONS:
            ledger.add(name, "excluded", reason, int(per_class.get((i, reason), 0)))
    return _core(chains, names), _intervals(tally.intervals), folded


def _core(chains: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    answered = chains[chains["class"] == "counted"]
    days = answered.groupby(["file", "day", "queue"], dropna=False, sort=True)["calls"].sum()
    days = days.reset_index()
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime(days["day"]).astype("datetime64[us]"),
            "channel": pd.Series("phone", index=days.index, dtype="string"),
            "count": days["calls"].astype("int64"),
            "source": pd.Series(_FORMAT, index=days.index, dtype="string"),
            "source_file": pd.array([names[int(i)] for i in days["file"]], dtype="string"),
            "contact_id": pd.Series(pd.NA, index=days.index, dtype="string"),
            "queue": pd.array(days["queue"], dtype="string"),
            # One counted record per answered call: the pipeline moves this many ledger rows
            # when a day turns out to be in the future.
            "ledger_rows": days["calls"].astype("int64"),
        }
    ).reset_index(drop=True)


def _intervals(slots: pd.DataFrame) -> pd.DataFrame:
    """Voice legs that reached a queue, per local half hour (for staffing)."""
    slots = slots.sort_values(["day", "interval_start", "queue"]).reset_index(drop=True)
    unknown = pd.array([pd.NA] * len(slots), dtype="Int64")
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime(slots["day"]),
            "interval_start": slots["interval_start"],
            "interval_minutes": 30,
            "queue": pd.array(slots["queue"], dtype="string"),
            "calls_offered": slots["calls"],
            "acd_calls": slots["acd"],
            "abandoned_calls": slots["calls"] - slots["acd"],
            # Handle and staffed times are not in contact records in a comparable form.
            "acd_time_seconds": unknown,
            "acw_time_seconds": unknown.copy(),
            "staffed_seconds": unknown.copy(),
        },
        columns=list(INTERVAL_COLUMNS),
    ).astype(INTERVAL_COLUMNS)
