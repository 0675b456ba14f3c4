"""Times measured in the ``intervals`` table: average handle time and callers' mean patience."""

from __future__ import annotations

import pandas as pd


def handle_time_seconds(intervals: pd.DataFrame) -> float | None:
    """Average handle time from interval (or daily) rows: (ACD time + ACW time) / ACD calls.

    Only rows that report ACD time count (a missing after-call-work time counts as 0 on
    those rows). Returns ``None`` when no row has both ACD time and ACD calls.
    """
    if "acd_time_seconds" not in intervals or "acd_calls" not in intervals:
        return None
    acd_time = pd.to_numeric(intervals["acd_time_seconds"], errors="coerce")
    calls = pd.to_numeric(intervals["acd_calls"], errors="coerce")
    acw = (
        pd.to_numeric(intervals["acw_time_seconds"], errors="coerce").fillna(0)
        if "acw_time_seconds" in intervals
        else 0
    )
    have = acd_time.notna() & calls.notna()
    handled = float(calls[have].sum())
    if not handled > 0:
        return None
    work = float((acd_time + acw)[have].sum())
    return work / handled if work > 0 else None


def patience_seconds(intervals: pd.DataFrame) -> float | None:
    """Mean caller patience from abandoned calls: total time in queue / abandoned calls.

    The maximum-likelihood estimate for exponential patience, where answered callers'
    patience is censored at their wait: every second any caller spent waiting was exposed to
    hanging up. Needs ``answer_wait_seconds`` (Avaya ``anstime``) and
    ``abandon_wait_seconds`` (``abntime``); ``None`` without them or without abandoned calls.
    """
    needed = {"answer_wait_seconds", "abandon_wait_seconds", "abandoned_calls"}
    if not needed <= set(intervals.columns):
        return None
    ans = pd.to_numeric(intervals["answer_wait_seconds"], errors="coerce")
    abn = pd.to_numeric(intervals["abandon_wait_seconds"], errors="coerce")
    have = ans.notna() & abn.notna()
    abandoned = float(pd.to_numeric(intervals["abandoned_calls"], errors="coerce")[have].sum())
    exposure = float((ans + abn)[have].sum())
    if not abandoned > 0 or not exposure > 0:
        return None
    return exposure / abandoned
