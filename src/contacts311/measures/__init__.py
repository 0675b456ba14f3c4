"""Measures computed from the core contacts table.

One module per family: :mod:`~contacts311.measures.totals` (period totals per channel, shares,
the headline figure), :mod:`~contacts311.measures.growth` (year over year, average growth, the
period to date), :mod:`~contacts311.measures.population` (per 1,000 residents, indexes, the
gap), :mod:`~contacts311.measures.plan` (the plan forecast and the Clear Impact scorecard) and
:mod:`~contacts311.measures.summary` (the headline figures as plain data). The titles and notes
printed with them are in :mod:`contacts311.wording`.

Partial periods (not yet ended, or with a month of exports missing) are never compared with
complete ones: their growth, index, per-1,000 and variance fields are left empty.
"""

from contacts311.measures.growth import (
    average_growth,
    growth_table,
    loglinear_growth,
    partial_period_comparison,
)
from contacts311.measures.plan import (
    clearimpact_rows,
    forecast_source,
    plan_alignment,
    plan_comparison,
    scorecard,
)
from contacts311.measures.population import (
    population_by_period,
    population_comparison,
    population_growth_summary,
    population_table,
)
from contacts311.measures.summary import summary
from contacts311.measures.totals import (
    channel_columns,
    channel_shares,
    headline_figure,
    period_totals,
)

__all__ = [
    "average_growth",
    "channel_columns",
    "channel_shares",
    "clearimpact_rows",
    "forecast_source",
    "growth_table",
    "headline_figure",
    "loglinear_growth",
    "partial_period_comparison",
    "period_totals",
    "plan_alignment",
    "plan_comparison",
    "population_by_period",
    "population_comparison",
    "population_growth_summary",
    "population_table",
    "scorecard",
    "summary",
]
