"""Working on a column's distinct texts: dates, skills, counts and intervals repeat heavily.

Cells stay Python objects and every parser works on a column's distinct values, then spreads
the results back with the factorize codes. That is vectorised and avoids converting every cell
to a string array.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def distinct(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's code and the column's distinct stripped texts; code -1 = column absent."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, [str(u).strip() for u in uniques]


def spread(per_unique: list, codes: np.ndarray, missing, dtype=object) -> np.ndarray:  # noqa: ANN001
    """Per-row values from per-distinct-value results; ``missing`` where the code is -1."""
    # The sentinel goes last so that code -1 picks it.
    return np.array([*per_unique, missing], dtype=dtype)[codes]


def column(d: pd.DataFrame, field_name: str) -> pd.Series:
    """A field's cells; missing (NaN) where a file has no such column."""
    if field_name in d:
        return d[field_name]
    return pd.Series(np.nan, index=d.index, dtype=object)
