"""Models of the contact series: ETS projection, STL decomposition, spikes and the undercount.

:mod:`~contacts311.models.series` (contacts per month or day),
:mod:`~contacts311.models.projection` (the next year's total),
:mod:`~contacts311.models.seasonality` (STL and spikes) and
:mod:`~contacts311.models.undercount` (missed hand-logged contacts). Spikes on days and the
undercount use days' counts only; a channel given only as monthly totals raises
:class:`NeedsDailyData` with a sentence for the report. Their sentences are in
:mod:`contacts311.wording`; ``undercount_sentence`` is also importable from here.
"""

from contacts311.models.projection import (
    MIN_PROJECTION_MONTHS,
    MIN_TREND_MONTHS,
    Projection,
    project_next_period,
)
from contacts311.models.seasonality import decompose, find_spikes
from contacts311.models.series import (
    MIN_STL_MONTHS,
    NeedsDailyData,
    daily_series,
    monthly_series,
)
from contacts311.models.undercount import (
    MANUAL_CHANNELS,
    undercount,
    undercount_days,
    undercount_sentence,
)

__all__ = [
    "MIN_PROJECTION_MONTHS",
    "MIN_STL_MONTHS",
    "MIN_TREND_MONTHS",
    "MANUAL_CHANNELS",
    "NeedsDailyData",
    "Projection",
    "daily_series",
    "decompose",
    "find_spikes",
    "monthly_series",
    "project_next_period",
    "undercount",
    "undercount_days",
    "undercount_sentence",
]
