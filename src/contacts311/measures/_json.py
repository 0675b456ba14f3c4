"""Numbers as JSON-friendly values, for the plain-data outputs of the measures."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def json_number(value: Any, digits: int | None = None) -> float | None:
    """A JSON-friendly float (``None`` for missing), optionally rounded."""
    if value is None or value is pd.NA:
        return None
    v = float(value)
    if math.isnan(v):
        return None
    return round(v, digits) if digits is not None else v
