"""One Zendesk file after parsing: which table it holds and the kept fields only."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Parsed:
    """One file after parsing: which table it holds and the kept fields only."""

    kind: str  # "tickets", "ticket_events", "users", "unknown", "messages" or "empty"
    frame: pd.DataFrame
    columns: list[str]
    rows: int
    label: str = ""  # where unknown records were found (page key, stream or keys seen)
